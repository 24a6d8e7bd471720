"""Amazon's own invoices (Finances Invoices API 2026-06-25): what Amazon bills
the seller, read with getInvoiceHeaders and getInvoice, shaped as the model's
InvoiceHeader and InvoiceItem (financesInvoices_2026-06-25.json)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .common import (
    Api,
    ApiError,
    StoreError,
    aware,
    invalid,
    isoformat,
    money,
    parse_iso8601,
    route,
    utcnow,
)
from .corruptions import corrupt
from .marketplaces import MARKETPLACES


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


class FeeInvoicesStore:
    """Amazon's invoices to sellers."""

    def __init__(self):
        super().__init__()
        self.fee_invoices = []  # Amazon's invoices to the seller: FeeInvoice
        self.fee_invoice_pages = {}  # getInvoiceHeaders nextToken -> TokenPages
        self.fee_invoice_item_pages = {}  # getInvoice nextTokenForLineItems -> TokenPages

    def add_fee_invoice(self, seller_id, marketplace_id, number, issued, items, **details):
        """An invoice Amazon issues to the seller. ``items``: dicts with
        description, amount (without tax), tax, tax_rate_code ("DE 19"),
        service_charge_type; ``details``: FeeInvoice's other fields."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        details.setdefault("currency", MARKETPLACES[marketplace_id].currency)
        with self.lock:
            invoice = FeeInvoice(
                seller_id=seller_id,
                marketplace_id=marketplace_id,
                number=number,
                issued=aware(issued),
                items=[
                    FeeInvoiceItem(
                        line_id=item.get("line_id") or f"{number}-{index + 1}",
                        description=item["description"],
                        amount=money(item["amount"]),
                        tax=money(item.get("tax", "0")),
                        tax_rate_code=item.get("tax_rate_code", ""),
                        service_charge_type=item.get("service_charge_type", "OTHER"),
                        quantity=item.get("quantity", 1),
                    )
                    for index, item in enumerate(items)
                ],
                **details,
            )
            self.fee_invoices.append(invoice)
            return invoice


class FeeInvoicesApi(Api):
    """getInvoiceHeaders and getInvoice (Finances Invoices API 2026-06-25)."""

    routes = [
        route(
            "GET",
            "/finances/invoices/2026-06-25/invoices",
            "getInvoiceHeaders",
            "get_invoice_headers",
        ),
        route(
            "GET",
            "/finances/invoices/2026-06-25/invoices/(?P<identifier>[^/]+)",
            "getInvoice",
            "get_invoice",
        ),
    ]

    def _seller_marketplace(self, call, params):
        # marketplaceId: "required": true (the model's check comes first).
        self._marketplace_ids(call, {"marketplaceIds": params.get("marketplaceId", "")})
        return params["marketplaceId"]

    def op_get_invoice_headers(self, call, params, body):
        store = self.emulator.store
        bound, rest = self._resumed_pages(call, params, "nextToken", store.fee_invoice_pages)
        if rest is not None:
            return self._fee_invoices_page(call, bound, rest)
        marketplace_id = self._seller_marketplace(call, params)
        now = utcnow()
        start, end = params.get("fromIssueDate"), params.get("toIssueDate")
        # "Either provide both dates or leave both empty."
        if bool(start) != bool(end):
            raise invalid("Provide both fromIssueDate and toIssueDate, or neither.")
        if start:
            start = parse_iso8601("fromIssueDate", start)
            end = parse_iso8601("toIssueDate", end)
            if end < start:
                raise invalid("toIssueDate is before fromIssueDate.")
            # "The range between fromIssueDate and toIssueDate must not exceed 90 days."
            if end - start > ISSUE_DATE_RANGE:
                raise invalid("fromIssueDate and toIssueDate must not be more than 90 days apart.")
        else:
            # "fromIssueDate defaults to 90 days before the date of the request",
            # "toIssueDate defaults to the date of the request".
            start, end = now - ISSUE_DATE_RANGE, now
        modified_after = None
        if params.get("invoicesModifiedAfter"):
            modified_after = parse_iso8601("invoicesModifiedAfter", params["invoicesModifiedAfter"])
        with store.lock:
            found = [
                index
                for index, invoice in enumerate(store.fee_invoices)
                if invoice.seller_id == call.seller_id
                and invoice.marketplace_id == marketplace_id
                and start <= invoice.issued <= end
                and (modified_after is None or invoice.updated > modified_after)
            ]
        found.sort(key=lambda index: store.fee_invoices[index].issued)
        size = HEADERS_PAGE_SIZE
        pages = [found[i : i + size] for i in range(0, len(found), size)] or [[]]
        if store.transaction_empty_pages and len(pages) > 1:
            pages.insert(-1, [])  # "Note that this operation can return empty pages."
        return self._fee_invoices_page(call, bound, pages)

    def _fee_invoices_page(self, call, bound, pages):
        store = self.emulator.store
        page, token = self._first_page(call, bound, pages, store.fee_invoice_pages)
        invoices = [render_header(store.fee_invoices[i], isoformat) for i in page]
        if any(store.fee_invoices[i].corruptions for i in page):
            call.fault = "corrupted"  # a test's, outside the models on purpose
        data = {"invoices": invoices, "numOfRecords": len(invoices)}
        if token:
            data["nextToken"] = token
        return 200, data

    def op_get_invoice(self, call, params, body, identifier):
        store = self.emulator.store
        bound, rest = self._resumed_pages(
            call,
            dict(params, identifier=identifier),
            "nextTokenForLineItems",
            store.fee_invoice_item_pages,
        )
        marketplace_id = self._seller_marketplace(call, params)
        invoice = next(
            (
                invoice
                for invoice in store.fee_invoices
                if invoice.seller_id == call.seller_id
                and invoice.marketplace_id == marketplace_id
                and invoice.identifier == identifier
            ),
            None,
        )
        if invoice is None:
            raise ApiError(404, "NotFound", f"Invoice {identifier} not found.")
        if rest is None:
            size = LINE_ITEMS_PAGE_SIZE
            items = invoice.items
            rest = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
        page, token = self._first_page(call, bound, rest, store.fee_invoice_item_pages)
        if invoice.corruptions:
            call.fault = "corrupted"  # a test's, outside the models on purpose
        data = {
            "invoiceHeader": render_header(invoice, isoformat),
            "invoiceItems": [render_item(item, invoice.currency) for item in page],
        }
        if token:
            data["nextTokenForLineItems"] = token
        return 200, data
