"""The seller's own VAT invoices: the UPLOAD_VAT_INVOICE feed.

Sources (Amazon's developer documentation, no OpenAPI model describes it):
- "(Option 3) Upload invoices through the SP-API or Seller Central" (the VAT
  Calculation Service guide): the marketplaces, the ``feedOptions`` keys, the
  rule on ``TotalAmount``, the characters an invoice number may use; the PDF
  invoice is the feed document.
- "Invoicing Feed Type Values": "This feed accepts the FeedOptions parameter",
  "This feed is only available in the EU marketplace (VAT program)."
- The feeds model (feeds_2021-06-30.json): ``FeedOptions`` is "Additional
  options to control the feed. These vary by feed type", a map of strings.

Amazon answers ``createFeed`` before it reads the invoice: what is wrong with
one comes back in the feed's processing report, the tab-separated "Feed
Processing Summary" that sellers quote from Amazon (selling-partner-api-models
issue 2437: error 79513 "Please provide metadata:shippingid or
metadata:orderid,metadata:invoicenumber,metadata:totalamount,metadata:totalvatamount"),
whose keys are written in lower case: the keys are read whatever their case.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .common import utcnow
from .render import order_total

FEED_TYPE = "UPLOAD_VAT_INVOICE"
# The marketplaceIds the Option 3 page lists: Spain, UK, France, Germany, Italy,
# the Netherlands, Poland, Sweden.
MARKETPLACE_IDS = (
    "A1RKKUPIHCS9HS",
    "A1F83G8C2ARO7P",
    "A13V1IB3VIYZZH",
    "A1PA6795UKMFR9",
    "APJ6JRA9NG5V4",
    "A1805IZSGTT6HS",
    "A1C3SOZRARQ6R3",
    "A2NODRKZP88ZB9",
)
# The PDF invoice is the document: createFeedDocument's contentType says so.
CONTENT_TYPE = "application/pdf"
DOCUMENT_TYPES = ("Invoice", "CreditNote")
# The Option 3 page: the invoice number may only use commas, slashes,
# backslashes, spaces, dashes, underscores, semicolons, colons, 0-9, A-Z, a-z
# and #.
INVOICE_NUMBER = re.compile(r"[,/\\ \-_;:0-9A-Za-z#]+")
MISSING_METADATA = (
    "79513",
    "Please provide metadata:shippingid or metadata:orderid,metadata:invoicenumber,"
    "metadata:totalamount,metadata:totalvatamount",
)


@dataclass
class VatInvoice:
    """One invoice or credit note as Amazon received it, and what it said."""

    feed_id: str
    seller_id: str
    marketplace_id: str
    options: dict  # feedOptions as sent
    pdf: bytes
    errors: list = field(default_factory=list)  # [(code, message)]
    received: object = field(default_factory=utcnow)

    @property
    def accepted(self):
        return not self.errors

    def option(self, key):
        return self.metadata.get(key.lower())

    @property
    def metadata(self):
        """``metadata:<key>`` options by lower-case key."""
        return {
            name.split(":", 1)[1].lower(): value
            for name, value in self.options.items()
            if name.lower().startswith("metadata:")
        }


def check_create_feed(marketplace_ids, feed_options):
    """What ``createFeed`` refuses at once for this feed type: an error
    message, or None."""
    if len(marketplace_ids) != 1:
        # One invoice is for one order, of one marketplace.
        return "UPLOAD_VAT_INVOICE takes the one marketplace of the invoiced order."
    if marketplace_ids[0] not in MARKETPLACE_IDS:
        return (
            f"UPLOAD_VAT_INVOICE is not available in marketplace {marketplace_ids[0]}: "
            "only in the EU marketplaces of the VAT program."
        )
    if not feed_options:
        return None  # Amazon says what is missing in the processing report
    if not isinstance(feed_options, dict) or not all(
        isinstance(value, str) for value in feed_options.values()
    ):
        return "feedOptions is a map of strings."
    return None


def _amount(text):
    try:
        value = Decimal(text)
    except (InvalidOperation, TypeError):
        return None
    if not value.is_finite() or value.as_tuple().exponent < -2:
        return None
    return value


def check_invoice(store, invoice, content_type, content):
    """The errors Amazon reports for one uploaded invoice: [(code, message)]."""
    if content_type != CONTENT_TYPE or not (content or b"").startswith(b"%PDF-"):
        return [("", "The feed document is not a PDF invoice.")]
    meta = invoice.metadata
    has_order = all(meta.get(key) for key in ("orderid", "invoicenumber", "totalamount"))
    if not meta.get("shippingid") and not (has_order and meta.get("totalvatamount")):
        return [MISSING_METADATA]
    errors = []
    number = meta.get("invoicenumber") or ""
    if number and not INVOICE_NUMBER.fullmatch(number):
        errors.append(("", f"InvoiceNumber {number!r} has characters that are not allowed."))
    document_type = meta.get("documenttype") or "Invoice"
    if document_type not in DOCUMENT_TYPES:
        errors.append(("", f"DocumentType must be Invoice or CreditNote, not {document_type!r}."))
    total, vat = _amount(meta.get("totalamount")), _amount(meta.get("totalvatamount"))
    if total is None or vat is None or vat < 0 or total < vat:
        errors.append(("", "TotalAmount and TotalVATAmount are amounts with two decimals."))
        return errors
    order = store.orders.get(meta.get("orderid") or "")
    if order is None or order.seller_id != invoice.seller_id:
        errors.append(("", f"Order {meta.get('orderid')} is not an order of this seller."))
        return errors
    if order.marketplace_id != invoice.marketplace_id:
        errors.append(("", f"Order {order.order_id} is not an order of this marketplace."))
    if document_type == "CreditNote":
        # The Option 3 page: a credit note also gives TransactionId, the
        # refund it documents.
        refund = next(
            (
                tx
                for tx in store.transactions
                if tx.transaction_id == meta.get("transactionid")
                and tx.seller_id == invoice.seller_id
                and tx.order_id == order.order_id
            ),
            None,
        )
        if refund is None:
            errors.append(("", "A credit note needs the TransactionId of the order's refund."))
    elif total != order_total(order):
        # The Option 3 page: TotalAmount is the invoice's total, VAT included
        # (items, gift wrap and shipping, less promotions); an invoice whose
        # total differs from Amazon's at two decimals is rejected.
        errors.append(
            (
                "",
                f"TotalAmount {total} does not match the order's total "
                f"{order_total(order):.2f} {order.currency}.",
            )
        )
    return errors


def process_vat_invoice_feed(store, feed, content_type, content, options):
    """Read one uploaded invoice: (processing report text, final status). The
    invoice is kept in ``store.vat_invoices`` with what Amazon said of it."""
    invoice = VatInvoice(
        feed_id=feed.feed_id,
        seller_id=feed.seller_id,
        marketplace_id=feed.marketplace_ids[0],
        options=dict(options or {}),
        pdf=content or b"",
    )
    invoice.errors = check_invoice(store, invoice, content_type, content)
    store.vat_invoices.append(invoice)
    return render_report(invoice), "DONE"


def render_report(invoice):
    lines = [
        "Feed Processing Summary:",
        "\tNumber of records processed\t\t1",
        f"\tNumber of records successful\t\t{0 if invoice.errors else 1}",
        "",
    ]
    if invoice.errors:
        lines.append("original-record-number\tsku\terror-code\terror-type\terror-message")
        lines += [f"1\t\t{code}\tError\t{message}" for code, message in invoice.errors]
    return ("\n".join(lines) + "\n").encode()
