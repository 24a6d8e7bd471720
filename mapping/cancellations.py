"""Seller cancellations into Amazon's flat-file order acknowledgement feed,
and its processing report back into plain values. Plain functions, no Odoo.

Amazon's "Order Feed Type Values" page names the feed that "Cancels multiple
orders at the same time": POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA, a
tab-separated file with ``order-id``, ``amazon-order-item-code`` and
``cancellation-reason-code``. What Amazon made of each row comes back in the
feed's processing report, a "Feed Processing Summary" with an error line per
row it refused.
"""

from dataclasses import dataclass

from . import checks
from .checks import PayloadError

COLUMNS = ("order-id", "amazon-order-item-code", "cancellation-reason-code")

# The reason codes Amazon takes (the order acknowledgement's CancelReason).
# Amazon puts the cancelled units back on sale for every reason but
# NoInventory: the seller said it has none.
CANCEL_REASONS = (
    "NoInventory",
    "ShippingAddressUndeliverable",
    "CustomerExchange",
    "BuyerCanceled",
    "GeneralAdjustment",
    "CarrierCreditDecision",
    "RiskAssessmentInformationNotValid",
    "CarrierCoverageFailure",
    "CustomerReturn",
    "MerchandiseNotReceived",
)


@dataclass(frozen=True)
class Cancellation:
    """One item the seller cancels: its order, Amazon's item id, the reason."""

    order_ref: str
    item_ref: str
    reason: str


def cancellation_feed(cancellations):
    """The feed document (bytes) of :class:`Cancellation` rows. A value that
    would break the file (a tab, a line break) or an unknown reason raises
    :class:`PayloadError`: nothing is sent."""
    lines = ["\t".join(COLUMNS)]
    for row in cancellations:
        if row.reason not in CANCEL_REASONS:
            raise PayloadError(f"{row.reason!r} is not one of Amazon's cancellation reasons")
        order_ref = checks.identifier(row.order_ref, "order-id")
        item_ref = checks.identifier(row.item_ref, "amazon-order-item-code")
        lines.append("\t".join((order_ref, item_ref, row.reason)))
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass(frozen=True)
class CancellationReport:
    processed: int
    successful: int
    errors: dict  # order id -> [Amazon's messages]


def parse_cancellation_report(content):
    """:class:`CancellationReport` of the feed's processing report (bytes or
    text). A report that is not one raises :class:`PayloadError`."""
    if isinstance(content, bytes):
        content = content.decode("utf-8", errors="replace")
    counts, errors, columns = {}, {}, None
    for line in content.replace("\r\n", "\n").split("\n"):
        cells = [cell.strip() for cell in line.split("\t")]
        label = cells[0] if cells[0] else (cells[1] if len(cells) > 1 else "")
        if label.startswith("Number of records"):
            value = cells[-1]
            if not value.isdigit():
                raise PayloadError(f"{label} is not a number: {value!r}")
            counts[label] = int(value)
        elif "original-record-number" in cells:
            columns = cells
        elif columns and any(cells):
            row = dict(zip(columns, cells, strict=False))
            order_ref = row.get("order-id", "")
            message = row.get("error-message") or row.get("error-code") or line
            errors.setdefault(order_ref, []).append(message.replace("\x00", "")[:500])
    if "Number of records processed" not in counts:
        raise PayloadError("the processing report has no Feed Processing Summary")
    return CancellationReport(
        processed=counts["Number of records processed"],
        successful=counts.get("Number of records successful", 0),
        errors=errors,
    )
