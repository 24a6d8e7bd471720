"""Amazon's own invoices (Finances Invoices API 2026-06-25, InvoiceHeader and
InvoiceItem) into plain values (no Odoo)."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from .checks import (
    ID_LENGTH,
    LONG_LENGTH,
    PayloadError,
    array,
    decimal,
    identifier,
    integer,
    moment,
    obj,
    objects,
    text,
)

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


def _decimal(money, path):
    money = obj(money, path)
    if not money:
        return None
    return decimal(money.get("currencyAmount"), f"{path}.currencyAmount").quantize(Decimal("0.01"))


# Amazon's breakdowns nest a level or two; a deeper tree is no invoice's.
MAX_DEPTH = 8


def _by_type(breakdowns, path, depth=0):
    """{breakdownType: amount} of a breakdown tree, all levels."""
    if depth > MAX_DEPTH:
        raise PayloadError(f"{path} nests more than {MAX_DEPTH} levels")
    found = {}
    for index, breakdown in enumerate(objects(breakdowns, path)):
        here = f"{path}[{index}]"
        kind = text(breakdown.get("breakdownType"), f"{here}.breakdownType", limit=ID_LENGTH)
        found.setdefault(
            kind, _decimal(breakdown.get("breakdownAmount"), f"{here}.breakdownAmount")
        )
        for kind, amount in _by_type(
            breakdown.get("breakdowns"), f"{here}.breakdowns", depth + 1
        ).items():
            found.setdefault(kind, amount)  # the first of a type wins, as above
    return found


def parse_tax_rate(code):
    """``"DE 19"`` -> ("DE", Decimal("19")); None when it says something else."""
    parts = (code or "").split() if isinstance(code, str) else []
    if len(parts) != 2:
        return None
    try:
        rate = Decimal(parts[1])
    except ArithmeticError:
        return None
    return (parts[0].upper(), rate) if rate.is_finite() and 0 <= rate <= 100 else None


def parse_fee_invoice_line(item, path="invoiceItems[0]"):
    item = obj(item, path)
    context = obj(item.get("lineItemContext"), f"{path}.lineItemContext")
    amounts = _by_type(item.get("totalAmountBreakdown"), f"{path}.totalAmountBreakdown")
    total = _decimal(item.get("totalAmount"), f"{path}.totalAmount") or ZERO
    tax = amounts.get("ItemTaxAmount")
    amount = amounts.get("ItemCostWithoutTax")
    if amount is None:
        amount = total - (tax or ZERO)
    if tax is None:
        tax = total - amount
    codes = array(item.get("taxRateCodes"), f"{path}.taxRateCodes")
    rates = tuple(rate for rate in map(parse_tax_rate, codes) if rate)
    quantity = item.get("quantity")
    charge_type = context.get("serviceChargeType") or context.get("lineItemType") or "OTHER"
    return FeeInvoiceLine(
        ref=text(item.get("lineItemId"), f"{path}.lineItemId", limit=ID_LENGTH),
        description=text(
            context.get("itemDescription"), f"{path}.lineItemContext.itemDescription", LONG_LENGTH
        ),
        charge_type=text(charge_type, f"{path}.lineItemContext.serviceChargeType", ID_LENGTH),
        quantity=1 if quantity in (None, 0) else integer(quantity, f"{path}.quantity", 0, 10**9),
        amount=amount,
        tax=tax,
        tax_rates=rates,
    )


def parse_fee_invoice(header, items=None):
    """A FeeInvoice from getInvoice's ``invoiceHeader`` and ``invoiceItems``
    (or a getInvoiceHeaders header alone: no lines). Raises PayloadError
    naming the field that is not what Amazon's model says."""
    header = obj(header, "invoiceHeader")
    lines = tuple(
        parse_fee_invoice_line(item, f"invoiceItems[{index}]")
        for index, item in enumerate(array(items, "invoiceItems"))
    )
    ref = identifier(header.get("invoiceIdentifier"), "invoiceIdentifier")
    total = _decimal(header.get("invoiceAmount"), "invoiceAmount") or ZERO
    amounts = _by_type(header.get("invoiceAmountBreakdowns"), "invoiceAmountBreakdowns")
    tax = amounts.get("TaxAmount")
    if tax is None:
        tax = sum((line.tax for line in lines), ZERO)
    untaxed = amounts.get("InvoiceAmountWithoutTax")
    if untaxed is None:
        untaxed = total - tax
    period = obj(header.get("billingPeriod"), "billingPeriod")
    payer = obj(header.get("payer"), "payer")
    payee = obj(header.get("payee"), "payee")
    issued = moment(header.get("issueDate"), "issueDate")
    if issued is None:
        raise PayloadError("issueDate is missing")
    return FeeInvoice(
        ref=ref,
        number=text(header.get("invoiceNumber"), "invoiceNumber", limit=ID_LENGTH) or ref,
        status=text(header.get("invoiceStatus"), "invoiceStatus", limit=ID_LENGTH),
        kind=text(header.get("invoiceType"), "invoiceType", limit=ID_LENGTH),
        issued=issued,
        due=moment(header.get("dueDate"), "dueDate"),
        currency=text(
            obj(header.get("invoiceAmount"), "invoiceAmount").get("currencyCode"),
            "invoiceAmount.currencyCode",
            limit=ID_LENGTH,
        ),
        total=total,
        untaxed=untaxed,
        tax=tax,
        payer_type=text(payer.get("partnerType"), "payer.partnerType", limit=ID_LENGTH),
        payee_type=text(payee.get("partnerType"), "payee.partnerType", limit=ID_LENGTH),
        payee_name=text(payee.get("partnerName"), "payee.partnerName"),
        payee_vat=text(
            payee.get("taxRegistrationNumber"), "payee.taxRegistrationNumber", ID_LENGTH
        ),
        period=(
            (
                moment(period.get("startDate"), "billingPeriod.startDate"),
                moment(period.get("endDate"), "billingPeriod.endDate"),
            )
            if period
            else None
        ),
        lines=lines,
    )
