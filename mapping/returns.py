"""Customer returns reports (Reports API) into plain values.

Plain functions, no Odoo. Amazon's report documents are tab-separated text
with a header row: the FBA customer returns report
(GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA), one row per returned unit group
as Amazon's fulfilment centre received it, and the returns report of
merchant-fulfilled orders (GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE), one
row per return request.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from . import checks
from .checks import PayloadError

FBA_RETURNS_REPORT = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
FBM_RETURNS_REPORT = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
# detailed-disposition: only SELLABLE units go back on sale; DAMAGED,
# CUSTOMER_DAMAGED, CARRIER_DAMAGED, DISTRIBUTOR_DAMAGED, DEFECTIVE, EXPIRED...
# are held apart as unfulfillable.
SELLABLE = "SELLABLE"


@dataclass(frozen=True)
class FbaReturn:
    key: str  # what makes the row one return, read twice or not
    order_ref: str
    sku: str
    quantity: int
    returned_at: datetime
    disposition: str
    reason: str
    status: str
    license_plate: str
    fulfillment_center: str

    @property
    def sellable(self):
        return self.disposition == SELLABLE


@dataclass(frozen=True)
class FbmReturn:
    key: str
    order_ref: str
    rma: str
    sku: str
    quantity: int
    requested_at: datetime
    status: str
    reason: str
    tracking: str


def read_tsv(text):
    """The rows of a tab-separated report document, as dicts by column name;
    PayloadError when the document is no such text."""
    # newline="": the csv module reads the line ends itself (a lone carriage
    # return inside a field, say).
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    try:
        return list(_rows(reader))
    except csv.Error as error:
        raise PayloadError(f"the report is not tab-separated text: {error}") from None


def _rows(reader):
    for row in reader:
        # More fields than the header: csv puts them in a list under None.
        extra = row.pop(None, None)
        values = {(key or "").strip(): (value or "").strip() for key, value in row.items()}
        if extra is not None:
            values[EXTRA_FIELDS] = "\t".join(extra)
        yield values


# The key of a row's fields beyond its header's (a shifted row).
EXTRA_FIELDS = "(fields beyond the header)"


def _check_row(row):
    if EXTRA_FIELDS in row:
        raise PayloadError("the row has more fields than the report's header")


def _moment(value, name):
    if not value:
        raise PayloadError(f"{name} is missing")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{name} is not a date: {value!r:.60}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None)


def _quantity(value, name):
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        raise PayloadError(f"{name} is not a quantity: {value!r:.60}") from None
    if not 0 < quantity <= 10**6:
        raise PayloadError(f"{name} is not a quantity: {value!r:.60}")
    return quantity


def parse_fba_return(row):
    """:class:`FbaReturn` of a row of the FBA customer returns report."""
    _check_row(row)
    order_ref = checks.identifier(row.get("order-id"), "order-id")
    sku = checks.text(row.get("sku"), "sku")
    if not sku:
        raise PayloadError("sku is missing")
    returned_at = _moment(row.get("return-date"), "return-date")
    quantity = _quantity(row.get("quantity"), "quantity")
    disposition = checks.text(row.get("detailed-disposition"), "detailed-disposition").upper()
    lpn = checks.text(row.get("license-plate-number"), "license-plate-number", checks.ID_LENGTH)
    # The license plate number labels the returned unit(s) in Amazon's centre:
    # with it a row is one return; without, its date, disposition and quantity.
    key = "|".join(
        (order_ref, sku, lpn)
        if lpn
        else (order_ref, sku, returned_at.isoformat(), disposition, str(quantity))
    )
    return FbaReturn(
        key=f"fba|{key}",
        order_ref=order_ref,
        sku=sku,
        quantity=quantity,
        returned_at=returned_at,
        disposition=disposition,
        reason=checks.text(row.get("reason"), "reason"),
        status=checks.text(row.get("status"), "status"),
        license_plate=lpn,
        fulfillment_center=checks.text(row.get("fulfillment-center-id"), "fulfillment-center-id"),
    )


def parse_fbm_return(row):
    """:class:`FbmReturn` of a row of the merchant-fulfilled returns report."""
    _check_row(row)
    order_ref = checks.identifier(row.get("Order ID"), "Order ID")
    sku = checks.text(row.get("Merchant SKU"), "Merchant SKU")
    if not sku:
        raise PayloadError("Merchant SKU is missing")
    rma = checks.text(row.get("Amazon RMA ID"), "Amazon RMA ID", checks.ID_LENGTH)
    requested_at = _moment(row.get("Return request date"), "Return request date")
    quantity = _quantity(row.get("Return quantity"), "Return quantity")
    key = "|".join((order_ref, sku, rma) if rma else (order_ref, sku, requested_at.isoformat()))
    return FbmReturn(
        key=f"fbm|{key}",
        order_ref=order_ref,
        rma=rma,
        sku=sku,
        quantity=quantity,
        requested_at=requested_at,
        status=checks.text(row.get("Return request status"), "Return request status"),
        reason=checks.text(row.get("Return Reason"), "Return Reason"),
        tracking=checks.text(row.get("Tracking ID"), "Tracking ID"),
    )
