"""Amazon's own invoices (Finances Invoices API 2026-06-25, InvoiceHeader and
InvoiceItem) into plain values (no Odoo)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class FeeInvoiceLine:
    ref: str  # lineItemId
    description: str
    charge_type: str  # serviceChargeType, else lineItemType
    quantity: int
    amount: Decimal  # without tax
    tax: Decimal
    tax_rates: tuple  # ((country, rate percent), ...) from taxRateCodes ("DE 19")


@dataclass(frozen=True)
class FeeInvoice:
    ref: str  # invoiceIdentifier: what getInvoice takes
    number: str
    status: str
    kind: str  # invoiceType
    issued: datetime  # naive UTC, as Odoo stores datetimes
    due: datetime | None
    currency: str
    total: Decimal
    untaxed: Decimal
    tax: Decimal
    payer_type: str
    payee_type: str
    payee_name: str
    payee_vat: str
    period: tuple | None  # (start, end) of the billing period
    lines: tuple

    @property
    def billed_to_seller(self):
        """An invoice Amazon issued to the seller (fees, services), not one
        the seller or a vendor issued to Amazon."""
        return self.payer_type == "SELLER" and self.payee_type == "AMAZON"


def _decimal(money):
    if not money:
        return None
    return Decimal(str(money.get("currencyAmount"))).quantize(Decimal("0.01"))


def _moment(text):
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _by_type(breakdowns):
    """{breakdownType: amount} of a breakdown tree, all levels."""
    found = {}
    for breakdown in breakdowns or ():
        found.setdefault(breakdown.get("breakdownType"), _decimal(breakdown.get("breakdownAmount")))
        for kind, amount in _by_type(breakdown.get("breakdowns")).items():
            found.setdefault(kind, amount)  # the first of a type wins, as above
    return found


def parse_tax_rate(code):
    """``"DE 19"`` -> ("DE", Decimal("19")); None when it says something else."""
    parts = (code or "").split()
    if len(parts) != 2:
        return None
    try:
        return parts[0].upper(), Decimal(parts[1])
    except ArithmeticError:
        return None


def parse_fee_invoice_line(item):
    context = item.get("lineItemContext") or {}
    amounts = _by_type(item.get("totalAmountBreakdown"))
    total = _decimal(item.get("totalAmount")) or ZERO
    tax = amounts.get("ItemTaxAmount")
    amount = amounts.get("ItemCostWithoutTax")
    if amount is None:
        amount = total - (tax or ZERO)
    if tax is None:
        tax = total - amount
    rates = tuple(rate for rate in map(parse_tax_rate, item.get("taxRateCodes") or ()) if rate)
    return FeeInvoiceLine(
        ref=item.get("lineItemId") or "",
        description=context.get("itemDescription") or "",
        charge_type=context.get("serviceChargeType") or context.get("lineItemType") or "OTHER",
        quantity=item.get("quantity") or 1,
        amount=amount,
        tax=tax,
        tax_rates=rates,
    )


def parse_fee_invoice(header, items=()):
    """A FeeInvoice from getInvoice's ``invoiceHeader`` and ``invoiceItems``
    (or a getInvoiceHeaders header alone: no lines)."""
    lines = tuple(parse_fee_invoice_line(item) for item in items)
    total = _decimal(header.get("invoiceAmount")) or ZERO
    amounts = _by_type(header.get("invoiceAmountBreakdowns"))
    tax = amounts.get("TaxAmount")
    if tax is None:
        tax = sum((line.tax for line in lines), ZERO)
    untaxed = amounts.get("InvoiceAmountWithoutTax")
    if untaxed is None:
        untaxed = total - tax
    period = header.get("billingPeriod")
    payer, payee = header.get("payer") or {}, header.get("payee") or {}
    return FeeInvoice(
        ref=header["invoiceIdentifier"],
        number=header.get("invoiceNumber") or header["invoiceIdentifier"],
        status=header.get("invoiceStatus") or "",
        kind=header.get("invoiceType") or "",
        issued=_moment(header.get("issueDate")),
        due=_moment(header.get("dueDate")),
        currency=(header.get("invoiceAmount") or {}).get("currencyCode") or "",
        total=total,
        untaxed=untaxed,
        tax=tax,
        payer_type=payer.get("partnerType") or "",
        payee_type=payee.get("partnerType") or "",
        payee_name=payee.get("partnerName") or "",
        payee_vat=payee.get("taxRegistrationNumber") or "",
        period=(_moment(period["startDate"]), _moment(period["endDate"])) if period else None,
        lines=lines,
    )
