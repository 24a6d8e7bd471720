"""Amazon's inventory ledger (Reports API): every change of a seller's FBA
units as an event, reported in detail (GET_LEDGER_DETAIL_VIEW_DATA) and day by
day per SKU (GET_LEDGER_SUMMARY_VIEW_DATA), with the columns of Amazon's "FBA
Inventory reports attributes" page.

Both reports are written from the same events, so a summary's ending balance
is its starting balance plus the day's events, and the detail adds up to the
summary. Quantities are signed: units in positive, out negative. The event
types and reason codes are those of Seller Central's ledger (Receipts,
Shipments, CustomerReturns, VendorReturns, WhseTransfers, Adjustments; the
adjustments' reasons: M lost, F found, E/H/K/U damaged, D disposed, O other).
The emulator's own: one fulfilment center per seller and country.

The emulator's stock events write the ledger as they move the units of
``FbaStock`` (``fba_event``): an FBA order shipped (Shipments, its order id),
an MCF package shipped (Shipments, its sellerFulfillmentOrderId), a customer
return (CustomerReturns), an inbound shipment received (Receipts, its
shipment id), units lost, found, damaged or disposed of (Adjustments with
their reason). So the ledger and the inventory summaries agree; a drift set
with ``set_fba_stock`` alone has no ledger event (a test's unexplained drift).
"""

from dataclasses import dataclass
from datetime import datetime

from .common import StoreError, aware, utcnow
from .marketplaces import MARKETPLACES

LEDGER_DETAIL = "GET_LEDGER_DETAIL_VIEW_DATA"
LEDGER_SUMMARY = "GET_LEDGER_SUMMARY_VIEW_DATA"
DETAIL_COLUMNS = (
    "Date",
    "FNSKU",
    "ASIN",
    "MSKU",
    "Title",
    "EventType",
    "ReferenceID",
    "Quantity",
    "FulfillmentCenter",
    "Disposition",
    "Reason",
    "Country",
    "ReconciledQuantity",
    "UnreconciledQuantity",
)
SUMMARY_COLUMNS = (
    "Date",
    "FNSKU",
    "ASIN",
    "MSKU",
    "Title",
    "Disposition",
    "StartingWarehouseBalance",
    "InTransitBetweenWarehouses",
    "Receipts",
    "CustomerShipments",
    "CustomerReturns",
    "VendorReturns",
    "WarehouseTransferIn/Out",
    "Found",
    "Lost",
    "Damaged",
    "Disposed",
    "OtherEvents",
    "EndingWarehouseBalance",
    "UnknownEvents",
    "Location",
)
EVENT_TYPES = (
    "Receipts",
    "Shipments",
    "CustomerReturns",
    "VendorReturns",
    "WhseTransfers",
    "Adjustments",
)
# The summary's column of each event type, and of each adjustment's reason.
SUMMARY_COLUMN = {
    "Receipts": "Receipts",
    "Shipments": "CustomerShipments",
    "CustomerReturns": "CustomerReturns",
    "VendorReturns": "VendorReturns",
    "WhseTransfers": "WarehouseTransferIn/Out",
}
ADJUSTMENT_COLUMN = {
    "M": "Lost",
    "F": "Found",
    "E": "Damaged",
    "H": "Damaged",
    "K": "Damaged",
    "U": "Damaged",
    "D": "Disposed",
    "O": "OtherEvents",
}
DAMAGED = ("E", "H", "K", "U")
# The disposition a damaged unit takes (Seller Central's ledger dispositions:
# SELLABLE, DEFECTIVE, WAREHOUSE_DAMAGED, CUSTOMER_DAMAGED, CARRIER_DAMAGED...).
DAMAGED_DISPOSITION = "WAREHOUSE_DAMAGED"


@dataclass
class LedgerEvent:
    seller_id: str
    country: str
    moment: datetime
    sku: str
    event_type: str
    quantity: int
    reference_id: str = ""
    reason: str = ""
    disposition: str = "SELLABLE"
    fnsku: str = ""
    asin: str = ""
    title: str = ""
    fulfillment_center: str = "LEJ1"
    reconciled: int = 0
    unreconciled: int = 0


class LedgerStore:
    """The sellers' inventory ledger events."""

    def __init__(self):
        super().__init__()
        self.ledger = []  # LedgerEvent

    def add_ledger_event(self, seller_id, country, sku, event_type, quantity, **details):
        """An event of the ledger: ``quantity`` signed (in positive, out
        negative); ``details``: moment, reference_id, reason, disposition,
        fnsku, asin, title, fulfillment_center, reconciled, unreconciled."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        if event_type not in EVENT_TYPES:
            raise StoreError(f"unknown ledger event type {event_type}")
        if event_type == "Adjustments" and details.get("reason") not in ADJUSTMENT_COLUMN:
            raise StoreError(f"an adjustment needs a reason code of {sorted(ADJUSTMENT_COLUMN)}")
        with self.lock:
            event = LedgerEvent(
                seller_id,
                country,
                aware(details.pop("moment", None)) or utcnow(),
                sku,
                event_type,
                quantity,
                **details,
            )
            self.ledger.append(event)
            return event

    def fba_event(
        self, seller_id, marketplace_id, sku, event_type, quantity, from_reserved=False, **details
    ):
        """A stock event at Amazon: the units of the seller's ``FbaStock`` move
        and the ledger says so. ``quantity`` signed as in the ledger.
        Shipments take fulfillable units (the emulator reserves none for FBA
        orders), or reserved ones (``from_reserved``: an MCF order's); CustomerReturns come back
        sellable (fulfillable) or not (unfulfillable) by their disposition;
        Receipts move inbound units to fulfillable; lost, found, other and
        vendor returns move fulfillable units; damaged ones move from
        fulfillable to unfulfillable (two ledger rows: SELLABLE out, damaged
        in); disposed ones leave unfulfillable. A SKU Amazon holds nothing of
        (no ``FbaStock``) moves nothing and writes nothing."""
        country = MARKETPLACES[marketplace_id].country
        reason = details.get("reason", "")
        with self.lock:
            stock = self.fba_stock.get((seller_id, marketplace_id, sku))
            if stock is None:
                return None
            if event_type == "Shipments" and from_reserved:
                stock.reserved = max(0, stock.reserved + quantity)
            elif event_type == "Shipments":
                stock.fulfillable = max(0, stock.fulfillable + quantity)
            elif event_type == "CustomerReturns":
                if details.get("disposition", "SELLABLE") == "SELLABLE":
                    stock.fulfillable += quantity
                else:
                    stock.unfulfillable += quantity
            elif event_type == "Receipts":
                receiving = min(stock.inbound_receiving, quantity)
                stock.inbound_receiving -= receiving
                stock.inbound_shipped = max(0, stock.inbound_shipped - quantity + receiving)
                stock.fulfillable += quantity
            elif reason == "D":
                stock.unfulfillable = max(0, stock.unfulfillable + quantity)
                details.setdefault("disposition", DAMAGED_DISPOSITION)
            elif event_type != "WhseTransfers":
                stock.fulfillable = max(0, stock.fulfillable + quantity)
                if reason in DAMAGED:
                    stock.unfulfillable -= quantity
            stock.last_updated_time = utcnow()
            event = self.add_ledger_event(seller_id, country, sku, event_type, quantity, **details)
            if reason in DAMAGED:
                self.add_ledger_event(
                    seller_id,
                    country,
                    sku,
                    event_type,
                    -quantity,
                    **dict(details, moment=event.moment, disposition=DAMAGED_DISPOSITION),
                )
            return event

    def receive_inbound(self, seller_id, marketplace_id, sku, quantity, shipment_id):
        """Amazon's centre receives ``quantity`` units of an inbound shipment."""
        return self.fba_event(
            seller_id, marketplace_id, sku, "Receipts", quantity, reference_id=shipment_id
        )

    def _fba_order_shipped(self, order):
        """An FBA order's units leave Amazon's stock, each item a Shipments event."""
        if order.fulfilled_by != "AMAZON":
            return
        for item in order.items:
            self.fba_event(
                order.seller_id,
                order.marketplace_id,
                item.sku,
                "Shipments",
                -item.quantity,
                reference_id=order.order_id,
            )

    def _fba_returned(self, item):
        """A customer return of an FBA order back in Amazon's stock."""
        if item.fulfilled_by == "AMAZON":
            sellable = item.disposition == "SELLABLE"
            self.fba_event(
                item.seller_id,
                item.marketplace_id,
                item.sku,
                "CustomerReturns",
                item.quantity,
                reference_id=item.order_id,
                moment=item.moment,
                disposition="SELLABLE" if sellable else "CUSTOMER_DAMAGED",
            )


def _day(moment):
    return moment.date().isoformat()


def ledger_rows(report, events, countries):
    """The rows of a ledger report: the seller's events in ``countries``
    (those of the report's marketplaces) between its data start and end."""
    mine = sorted(
        (e for e in events if e.seller_id == report.seller_id and e.country in countries),
        key=lambda e: e.moment,  # stable: events of one second in the order they happened
    )
    inside = [e for e in mine if report.data_start <= e.moment <= report.data_end]
    if report.report_type == LEDGER_DETAIL:
        return [_detail_row(event) for event in inside]
    return _summary_rows(mine, inside, report.data_start)


def _detail_row(event):
    return (
        _day(event.moment),
        event.fnsku,
        event.asin,
        event.sku,
        event.title,
        event.event_type,
        event.reference_id,
        str(event.quantity),
        event.fulfillment_center,
        event.disposition,
        event.reason,
        event.country,
        str(event.reconciled),
        str(event.unreconciled),
    )


def _summary_rows(mine, inside, start):
    """One row per day, SKU, disposition and country with events: its balance
    before the day, each column's events, its balance after."""
    balance = {}
    for event in mine:
        if event.moment < start:
            key = (event.sku, event.disposition, event.country)
            balance[key] = balance.get(key, 0) + event.quantity
    days = {}
    for event in inside:
        key = (_day(event.moment), event.sku, event.disposition, event.country)
        days.setdefault(key, []).append(event)
    rows = []
    for (day, sku, disposition, country), day_events in sorted(days.items()):
        columns = dict.fromkeys(SUMMARY_COLUMNS[7:18], 0)
        for event in day_events:
            if event.event_type == "Adjustments":
                columns[ADJUSTMENT_COLUMN[event.reason]] += event.quantity
            else:
                columns[SUMMARY_COLUMN[event.event_type]] += event.quantity
        first = day_events[0]
        starting = balance.get((sku, disposition, country), 0)
        ending = starting + sum(event.quantity for event in day_events)
        balance[sku, disposition, country] = ending
        values = {
            "Date": day,
            "FNSKU": first.fnsku,
            "ASIN": first.asin,
            "MSKU": sku,
            "Title": first.title,
            "Disposition": disposition,
            "StartingWarehouseBalance": starting,
            "InTransitBetweenWarehouses": 0,
            **columns,
            "EndingWarehouseBalance": ending,
            "UnknownEvents": 0,
            "Location": country,
        }
        rows.append(tuple(str(values[column]) for column in SUMMARY_COLUMNS))
    return rows


def ledger_columns(report_type):
    return DETAIL_COLUMNS if report_type == LEDGER_DETAIL else SUMMARY_COLUMNS
