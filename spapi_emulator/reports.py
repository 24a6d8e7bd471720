"""The reports the emulator writes (Reports API 2021-06-30): the customer
returns of a seller, FBA and merchant-fulfilled, and its inventory ledger
(ledger.py).

Amazon's report documents are tab-separated text, a header row of the
attribute names its "Report attributes" pages list, then one row per
record. The emulator writes them gzip-compressed, as Amazon may
(ReportDocument.compressionAlgorithm: "If the report document contents have
been compressed, the compression algorithm used is returned in this property
and you must decompress the report when you download").
"""

import gzip
import time
from dataclasses import dataclass, field
from datetime import datetime

from .common import (
    DOCUMENT_URL_LIFETIME,
    Api,
    ApiError,
    StoreError,
    aware,
    invalid,
    isoformat,
    parse_iso8601,
    processing_times,
    route,
    utcnow,
)
from .ledger import LEDGER_DETAIL, LEDGER_SUMMARY, ledger_columns, ledger_rows
from .marketplaces import MARKETPLACES

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
REPORT_TYPES = (FBA_RETURNS, FBM_RETURNS, LEDGER_DETAIL, LEDGER_SUMMARY)


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
    columns = {FBA_RETURNS: FBA_RETURNS_COLUMNS, FBM_RETURNS: FBM_RETURNS_COLUMNS}.get(
        report_type
    ) or ledger_columns(report_type)
    lines = ["\t".join(columns)] + ["\t".join(row) for row in rows]
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"))


class ReportsStore:
    """The reports sellers ask for and the returns they report."""

    def __init__(self):
        super().__init__()
        self.reports = {}  # reportId -> Report
        self.returns = []  # CustomerReturn, FBA and merchant-fulfilled
        self.report_processing_delay = 0.0  # seconds before a report is processed
        self._report_seq = 0

    # --- customer returns and reports -------------------------------------------
    def add_return(self, seller_id, marketplace_id, order_id, sku, quantity=1, **details):
        """A customer return of ``quantity`` units of ``sku`` from ``order_id``:
        FBA or merchant-fulfilled as the order was (``fulfilled_by`` otherwise),
        ``moment`` defaults to now; other fields: see ``reports.CustomerReturn``."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        order = self.orders.get(order_id)
        fulfilled_by = details.pop("fulfilled_by", None) or (
            order.fulfilled_by if order else "AMAZON"
        )
        with self.lock:
            item = CustomerReturn(
                seller_id=seller_id,
                marketplace_id=marketplace_id,
                fulfilled_by=fulfilled_by,
                moment=aware(details.pop("moment", None)) or utcnow(),
                order_id=order_id,
                sku=sku,
                quantity=quantity,
                order_date=order.created_time if order else None,
                **details,
            )
            self.returns.append(item)
            self._fba_returned(item)
            return item

    def create_report(self, seller_id, report_type, marketplace_ids, data_start, data_end):
        if report_type not in REPORT_TYPES:
            raise StoreError(f"unsupported report type {report_type}")
        with self.lock:
            self._report_seq += 1
            report = Report(
                report_id=str(70000 + self._report_seq),
                seller_id=seller_id,
                report_type=report_type,
                marketplace_ids=list(marketplace_ids),
                data_start=data_start,
                data_end=data_end,
                created_time=utcnow(),
            )
            self.reports[report.report_id] = report
            return report


class ReportsApi(Api):
    """createReport, getReport and getReportDocument (Reports API 2021-06-30)."""

    routes = [
        route("POST", "/reports/2021-06-30/reports", "createReport", "create_report"),
        route("GET", "/reports/2021-06-30/reports/(?P<report_id>[^/]+)", "getReport", "get_report"),
        route(
            "GET",
            "/reports/2021-06-30/documents/(?P<document_id>[^/]+)",
            "getReportDocument",
            "get_report_document",
        ),
    ]

    def op_create_report(self, call, params, body):
        store = self.emulator.store
        # The body's schema (reportType, marketplaceIds 1..25) is the contract's.
        report_type = body["reportType"]
        if report_type not in REPORT_TYPES:
            raise invalid(f"Report type {report_type!r} is not supported by the emulator.")
        marketplace_ids = self._marketplace_ids(
            call, {"marketplaceIds": ",".join(body["marketplaceIds"])}, limit=25
        )
        now = utcnow()
        # dataStartTime, dataEndTime: "The default is now. The value must be prior
        # to or equal to the current date and time."
        bounds = {}
        for name in ("dataStartTime", "dataEndTime"):
            moment = parse_iso8601(name, body[name]) if body.get(name) else now
            if moment > now:
                raise invalid(f"{name} must be prior to or equal to the current date and time.")
            bounds[name] = moment
        # "The start of a date and time range": a range starts before it ends.
        if bounds["dataStartTime"] > bounds["dataEndTime"]:
            raise invalid("dataStartTime must be prior to dataEndTime.")
        report = store.create_report(
            call.seller_id,
            report_type,
            marketplace_ids,
            bounds["dataStartTime"],
            bounds["dataEndTime"],
        )
        return 202, {"reportId": report.report_id}

    def op_get_report(self, call, params, body, report_id):
        store = self.emulator.store
        report = store.reports.get(report_id)
        # reportId: "This identifier is unique only in combination with a seller ID."
        if report is None or report.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Report {report_id} not found.")
        self.emulator.process_report(report)
        data = {
            "reportId": report.report_id,
            "reportType": report.report_type,
            "marketplaceIds": report.marketplace_ids,
            "dataStartTime": isoformat(report.data_start),
            "dataEndTime": isoformat(report.data_end),
            "createdTime": isoformat(report.created_time),
            "processingStatus": report.status,
        }
        data.update(processing_times(report))
        if report.document_id:
            data["reportDocumentId"] = report.document_id
        return 200, data

    def op_get_report_document(self, call, params, body, document_id):
        store = self.emulator.store
        owned = any(
            report.document_id == document_id and report.seller_id == call.seller_id
            for report in store.reports.values()
        )
        if not owned:
            raise ApiError(404, "NotFound", f"Report document {document_id} not found.")
        expires = time.time() + DOCUMENT_URL_LIFETIME.total_seconds()
        return 200, {
            "reportDocumentId": document_id,
            "url": f"{self.emulator.url}/_documents/{document_id}?expires={expires:.0f}",
            "compressionAlgorithm": "GZIP",
        }


# --- reports --------------------------------------------------------------------
def process_report(store, report):
    """Amazon writes reports in the background: the emulator moves a report
    on each time it is looked at, once ``store.report_processing_delay``
    passed: IN_QUEUE, then IN_PROGRESS, then DONE with its document, or
    CANCELLED: "an automatic cancellation if there is no data to return"."""
    with store.lock:
        age = (utcnow() - report.created_time).total_seconds()
        if report.status == "IN_QUEUE" and age >= store.report_processing_delay:
            report.status = "IN_PROGRESS"
            report.processing_start = utcnow()
        elif report.status == "IN_PROGRESS":
            if report.report_type in (LEDGER_DETAIL, LEDGER_SUMMARY):
                countries = {MARKETPLACES[m].country for m in report.marketplace_ids}
                rows = ledger_rows(report, store.ledger, countries)
            else:
                rows = report_rows(report, store.returns)
            if rows:
                document = store.create_document(
                    "text/tab-separated-values",
                    render_report_document(report.report_type, rows),
                )
                report.document_id = document.document_id
            report.processing_end = utcnow()
            # DONE, FATAL and CANCELLED are final.
            report.status = "DONE" if rows else "CANCELLED"
            store.report_finished(report)
