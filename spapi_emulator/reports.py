"""The reports the emulator writes (Reports API 2021-06-30): the customer
returns of a seller, FBA and merchant-fulfilled.

Amazon's report documents are tab-separated text, a header row of the
attribute names its "Report attributes" pages list, then one row per
record. The emulator writes them gzip-compressed, as Amazon may
(ReportDocument.compressionAlgorithm: "If the report document contents have
been compressed, the compression algorithm used is returned in this property
and you must decompress the report when you download").
"""

import gzip
from dataclasses import dataclass, field
from datetime import datetime

# "FBA Customer Concessions reports attributes", GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA.
FBA_RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
FBA_RETURNS_COLUMNS = (
    "return-date",
    "order-id",
    "sku",
    "asin",
    "fnsku",
    "product-name",
    "quantity",
    "fulfillment-center-id",
    "detailed-disposition",
    "reason",
    "status",
    "license-plate-number",
    "customer-comments",
)
# "Returns reports attributes", GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE: the
# returns of merchant-fulfilled orders.
FBM_RETURNS = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
FBM_RETURNS_COLUMNS = (
    "Order ID",
    "Order date",
    "Return request date",
    "Return request status",
    "Amazon RMA ID",
    "Merchant RMA ID",
    "Label type",
    "Label cost",
    "Currency code",
    "Return carrier",
    "Tracking ID",
    "Label to be paid by",
    "A-to-Z Claim",
    "Is prime",
    "ASIN",
    "Merchant SKU",
    "Item Name",
    "Return quantity",
    "Return Reason",
    "In policy",
    "Return type",
    "Resolution",
    "Invoice number",
    "Return delivery date",
    "Order Amount",
    "Order quantity",
    "SafeT Action reason",
    "SafeT claim id",
    "SafeT claim state",
    "SafeT claim creation time",
    "SafeT claim reimbursement amount",
    "Refunded Amount",
)
REPORT_TYPES = (FBA_RETURNS, FBM_RETURNS)


@dataclass
class Report:
    report_id: str
    seller_id: str
    report_type: str
    marketplace_ids: list
    data_start: datetime
    data_end: datetime
    created_time: datetime
    status: str = "IN_QUEUE"
    processing_start: datetime | None = None
    processing_end: datetime | None = None
    document_id: str | None = None


@dataclass
class CustomerReturn:
    """One returned item as Amazon reports it. ``moment`` is the FBA return
    date or the merchant-fulfilled return request date."""

    seller_id: str
    marketplace_id: str
    fulfilled_by: str  # AMAZON or MERCHANT
    moment: datetime
    order_id: str
    sku: str
    quantity: int
    asin: str = ""
    fnsku: str = ""
    product_name: str = ""
    fulfillment_center_id: str = "FRA7"
    disposition: str = "SELLABLE"  # FBA: SELLABLE, DAMAGED, CUSTOMER_DAMAGED, DEFECTIVE...
    reason: str = "UNWANTED_ITEM"
    status: str = "Unit returned to inventory"
    license_plate_number: str = ""
    customer_comments: str = ""
    rma_id: str = ""  # merchant-fulfilled: Amazon RMA ID
    request_status: str = "Approved"
    resolution: str = "StandardRefund"
    order_date: datetime | None = None
    tracking_id: str = ""
    extra: dict = field(default_factory=dict)


def _date(moment):
    return moment.isoformat(timespec="seconds") if moment else ""


def _fba_row(item):
    return (
        _date(item.moment),
        item.order_id,
        item.sku,
        item.asin,
        item.fnsku,
        item.product_name,
        str(item.quantity),
        item.fulfillment_center_id,
        item.disposition,
        item.reason,
        item.status,
        item.license_plate_number,
        item.customer_comments,
    )


def _fbm_row(item):
    values = {
        "Order ID": item.order_id,
        "Order date": _date(item.order_date),
        "Return request date": _date(item.moment),
        "Return request status": item.request_status,
        "Amazon RMA ID": item.rma_id,
        "Tracking ID": item.tracking_id,
        "ASIN": item.asin,
        "Merchant SKU": item.sku,
        "Item Name": item.product_name,
        "Return quantity": str(item.quantity),
        "Return Reason": item.reason,
        "In policy": "Y",
        "Return type": "C-Returns",
        "Resolution": item.resolution,
        **item.extra,
    }
    return tuple(values.get(column, "") for column in FBM_RETURNS_COLUMNS)


def report_rows(report, returns):
    """The rows of ``report`` from the seller's ``returns`` (empty: nothing to
    report)."""
    fulfilled_by = "AMAZON" if report.report_type == FBA_RETURNS else "MERCHANT"
    render = _fba_row if fulfilled_by == "AMAZON" else _fbm_row
    return [
        render(item)
        for item in sorted(returns, key=lambda item: (item.moment, item.order_id, item.sku))
        if item.seller_id == report.seller_id
        and item.fulfilled_by == fulfilled_by
        and item.marketplace_id in report.marketplace_ids
        and report.data_start <= item.moment <= report.data_end
    ]


def render_report_document(report_type, rows):
    """The gzip-compressed, tab-separated document of ``rows``."""
    columns = FBA_RETURNS_COLUMNS if report_type == FBA_RETURNS else FBM_RETURNS_COLUMNS
    lines = ["\t".join(columns)] + ["\t".join(row) for row in rows]
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"))
