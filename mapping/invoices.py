"""An Odoo invoice into the feed options of Amazon's UPLOAD_VAT_INVOICE feed,
and the feed's processing report into plain values (no Odoo).

From Amazon's "(Option 3) Upload invoices through the SP-API" page: the
marketplaces where sellers upload their own invoices, the ``metadata:`` keys,
the characters an invoice number may use; ``TotalAmount`` is VAT included and
must equal Amazon's total of the order to two decimals.
"""

import re
from decimal import Decimal

# Spain, UK, France, Germany, Italy, the Netherlands, Poland, Sweden.
VAT_INVOICE_MARKETPLACES = frozenset(
    {
        "A1RKKUPIHCS9HS",
        "A1F83G8C2ARO7P",
        "A13V1IB3VIYZZH",
        "A1PA6795UKMFR9",
        "APJ6JRA9NG5V4",
        "A1805IZSGTT6HS",
        "A1C3SOZRARQ6R3",
        "A2NODRKZP88ZB9",
    }
)
INVOICE = "Invoice"
CREDIT_NOTE = "CreditNote"
# Commas, slashes, backslashes, spaces, dashes, underscores, semicolons,
# colons, 0-9, A-Z, a-z and #: nothing else in an invoice number.
_ALLOWED = re.compile(r"[,/\\ \-_;:0-9A-Za-z#]+")


class InvoiceNumberError(ValueError):
    """An invoice number Amazon would refuse."""


def _amount(value):
    """Positive, two decimals: what the document says, whatever its sign in Odoo."""
    return f"{abs(Decimal(str(value))).quantize(Decimal('0.01')):.2f}"


def vat_invoice_options(order_ref, number, total, vat, document_type=INVOICE, transaction_ref=None):
    """The ``feedOptions`` of one invoice (``document_type`` INVOICE) or credit
    note (CREDIT_NOTE, with the refund's ``transaction_ref``). Amounts are
    positive, VAT included. Raises InvoiceNumberError for a number Amazon
    refuses, ValueError for a credit note without its refund."""
    if not number or not _allowed(number):
        raise InvoiceNumberError(
            f"Amazon accepts invoice numbers made of letters, digits, spaces and , / \\ - _ ; : # "
            f"only, not {number!r}."
        )
    options = {
        "metadata:OrderId": order_ref,
        "metadata:InvoiceNumber": number,
        "metadata:TotalAmount": _amount(total),
        "metadata:TotalVATAmount": _amount(vat),
        "metadata:DocumentType": document_type,
    }
    if document_type == CREDIT_NOTE:
        if not transaction_ref:
            raise ValueError("A credit note is uploaded with the refund's transaction id.")
        options["metadata:TransactionId"] = transaction_ref
    return options


def _allowed(number):
    return bool(_ALLOWED.fullmatch(number))


def parse_vat_invoice_report(content):
    """(accepted, [error messages]) of an UPLOAD_VAT_INVOICE processing report:
    Amazon's tab-separated "Feed Processing Summary", one record per feed."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    # NUL is no character a database text holds; what else Amazon wrote is kept.
    text = text.replace("\x00", "")
    successful = None
    errors = []
    header = None
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("\t")]
        label = cells[0] or (cells[1] if len(cells) > 1 else "")
        if label.lower().startswith("number of records successful"):
            successful = next((int(c) for c in cells[1:] if c.isdecimal()), None)
        elif "error-message" in cells:
            header = cells
        elif header and len(cells) == len(header):
            row = dict(zip(header, cells, strict=True))
            if row.get("error-type", "").lower() == "error":
                code = row.get("error-code")
                errors.append(f"{row['error-message']} ({code})" if code else row["error-message"])
    if successful is None:
        return False, errors or [text.strip()[:500] or "Amazon's report is empty."]
    return successful > 0 and not errors, errors
