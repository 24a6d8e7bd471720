"""Amazon's own invoices (Finances Invoices API 2026-06-25): what Amazon bills
the seller, read with getInvoiceHeaders and getInvoice, shaped as the model's
InvoiceHeader and InvoiceItem (financesInvoices_2026-06-25.json)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .corruptions import corrupt


def _now():
    return datetime.now(UTC)


# getInvoiceHeaders: "nextToken when the number of invoices exceeds the default
# page size value (100)".
HEADERS_PAGE_SIZE = 100
# getInvoice: "nextTokenForLineItems when the number of line items exceeds the
# default page size (600)".
LINE_ITEMS_PAGE_SIZE = 600
# fromIssueDate / toIssueDate: "The range [...] must not exceed 90 days";
# without them, "fromIssueDate defaults to 90 days before the date of the request".
ISSUE_DATE_RANGE = timedelta(days=90)


@dataclass
class FeeInvoiceItem:
    line_id: str
    description: str
    amount: Decimal  # without tax
    tax: Decimal = Decimal("0.00")
    tax_rate_code: str = ""  # "A list of country code and tax rate combinations [...] `DE 19`"
    service_charge_type: str = "OTHER"  # LineItemContext.serviceChargeType
    quantity: int = 1

    @property
    def total(self):
        return self.amount + self.tax


@dataclass
class FeeInvoice:
    seller_id: str
    marketplace_id: str
    number: str
    currency: str
    issued: object  # aware datetime
    items: list
    status: str = "DEDUCTED"  # InvoiceHeader.invoiceStatus
    invoice_type: str = "OTHER"  # AP_INVENTORY is for vendors' inventory invoices
    payer: str = ""  # the seller's name on the invoice
    payee_name: str = "Amazon EU S.à r.l."
    payee_vat: str = ""
    billing_start: object = None
    billing_end: object = None
    created: object = field(default_factory=_now)
    updated: object = field(default_factory=_now)
    # Not Amazon's behaviour, a test's: (path, value) pairs set in the rendered
    # header (as Order.corruptions), breaking what the model promises.
    corruptions: list = field(default_factory=list)

    @property
    def identifier(self):
        return self.number

    @property
    def untaxed(self):
        return sum((item.amount for item in self.items), Decimal("0.00"))

    @property
    def tax(self):
        return sum((item.tax for item in self.items), Decimal("0.00"))

    @property
    def total(self):
        return self.untaxed + self.tax


def _money(amount, currency):
    # Currency.currencyAmount is a BigDecimal, "A signed decimal number".
    return {"currencyCode": currency, "currencyAmount": float(amount)}


def _breakdown(kind, amount, currency, children=()):
    return {
        "breakdownType": kind,
        "breakdownAmount": _money(amount, currency),
        "breakdowns": list(children),
    }


def render_header(invoice, isoformat):
    currency = invoice.currency
    header = {
        "invoiceNumber": invoice.number,
        "invoiceIdentifier": invoice.identifier,
        "invoiceStatus": invoice.status,
        "invoiceType": invoice.invoice_type,
        "payer": {
            "partnerId": invoice.seller_id,
            "partnerType": "SELLER",
            "partnerName": invoice.payer or invoice.seller_id,
            "partnerEntities": [],
        },
        "payee": {
            "partnerId": "AMAZON_EU",
            "partnerType": "AMAZON",
            "partnerName": invoice.payee_name,
            "partnerEntities": [],
        },
        "issueDate": isoformat(invoice.issued),
        "invoiceAmount": _money(invoice.total, currency),
        "invoiceAmountBreakdowns": [
            _breakdown(
                "Total",
                invoice.total,
                currency,
                [
                    _breakdown("InvoiceAmountWithoutTax", invoice.untaxed, currency),
                    _breakdown("TaxAmount", invoice.tax, currency),
                ],
            )
        ],
        "creationDate": isoformat(invoice.created),
        "lastUpdatedDate": isoformat(invoice.updated),
    }
    if invoice.payee_vat:
        header["payee"]["taxRegistrationNumber"] = invoice.payee_vat
    if invoice.billing_start and invoice.billing_end:
        header["billingPeriod"] = {
            "startDate": isoformat(invoice.billing_start),
            "endDate": isoformat(invoice.billing_end),
        }
    for path, value in invoice.corruptions:
        corrupt(header, path, value)
    return header


def render_item(item, currency):
    data = {
        "lineItemId": item.line_id,
        "quantity": item.quantity,
        "totalAmount": _money(item.total, currency),
        "totalAmountBreakdown": [
            _breakdown("ItemCostWithoutTax", item.amount, currency),
            _breakdown("ItemTaxAmount", item.tax, currency),
        ],
        "lineItemContext": {
            "lineItemType": "SERVICES",
            "itemDescription": item.description,
            "serviceChargeType": item.service_charge_type,
        },
    }
    if item.tax_rate_code:
        data["taxRateCodes"] = [item.tax_rate_code]
    return data
