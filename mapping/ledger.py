"""Amazon's inventory ledger reports (Reports API) into plain values. No Odoo.

GET_LEDGER_DETAIL_VIEW_DATA: one row per event that changed a SKU's FBA units
(receipt, customer shipment, return, transfer, adjustment with its reason),
its reference (an inbound shipment, an order, a return) and quantity.
GET_LEDGER_SUMMARY_VIEW_DATA: per day and SKU, the starting balance, the
units by kind of event, the ending balance. The columns are those of
Amazon's "FBA Inventory reports attributes" page; Seller Central's downloads
spell them with spaces ("Event Type"), so a header is read by its letters.
"""

import re
from dataclasses import dataclass
from datetime import date

from . import checks
from .checks import PayloadError
from .returns import read_tsv

LEDGER_DETAIL_REPORT = "GET_LEDGER_DETAIL_VIEW_DATA"
LEDGER_SUMMARY_REPORT = "GET_LEDGER_SUMMARY_VIEW_DATA"
# Adjustments' reason codes that tell why units left or came back.
LOST, FOUND = ("M",), ("F",)
DAMAGED = ("E", "H", "K", "U")
DISPOSED = ("D",)
SUMMARY_MOVES = (
    "Receipts",
    "CustomerShipments",
    "CustomerReturns",
    "VendorReturns",
    "WarehouseTransferInOut",
    "Found",
    "Lost",
    "Damaged",
    "Disposed",
    "OtherEvents",
    "UnknownEvents",
)


@dataclass(frozen=True)
class LedgerEvent:
    day: date
    sku: str
    fnsku: str
    event_type: str
    reference: str
    quantity: int
    fulfillment_center: str
    disposition: str
    reason: str
    country: str
    unreconciled: int
    # Of a loss, the units Amazon has since found or paid (ReconciledQuantity).
    reconciled: int = 0

    @property
    def kind(self):
        """What happened, as a person reads the ledger: Receipts, Shipments,
        CustomerReturns, ..., or for adjustments Lost, Found, Damaged,
        Disposed, Other."""
        if self.event_type != "Adjustments":
            return self.event_type
        for kind, codes in (("Lost", LOST), ("Found", FOUND), ("Damaged", DAMAGED)):
            if self.reason in codes:
                return kind
        return "Disposed" if self.reason in DISPOSED else "Other"


@dataclass(frozen=True)
class LedgerDay:
    day: date
    sku: str
    disposition: str
    location: str
    starting: int
    moves: dict  # SUMMARY_MOVES: units
    ending: int

    @property
    def unexplained(self):
        """What the day's columns do not tell of its balance change."""
        return self.ending - self.starting - sum(self.moves.values())


def _key(name):
    return re.sub(r"[^a-z]", "", (name or "").lower())


def _rows(text):
    return normalized(read_tsv(text))


def _int(row, name, line):
    value = (row.get(_key(name)) or "0").strip()
    try:
        return checks.integer(int(value), f"line {line}: {name}")
    except ValueError:
        raise PayloadError(f"line {line}: {name} is not a whole number: {value[:20]!r}") from None


def _day(row, line):
    value = (row.get("date") or "").strip()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise PayloadError(f"line {line}: Date is not a date: {value[:30]!r}") from None


def _text(row, name, line, limit=checks.ID_LENGTH):
    return checks.text((row.get(_key(name)) or "").strip(), f"line {line}: {name}", limit)


def _sku(row, line):
    sku = _text(row, "MSKU", line)
    if not sku:
        raise PayloadError(f"line {line}: MSKU is missing")
    return sku


def normalized(rows):
    """read_tsv's rows with their headers read by their letters."""
    return [{_key(name): value for name, value in row.items()} for row in rows]


def detail_event(row, line):
    """The LedgerEvent of one (normalized) row of a ledger detail report."""
    return LedgerEvent(
        day=_day(row, line),
        sku=_sku(row, line),
        fnsku=_text(row, "FNSKU", line),
        event_type=_text(row, "EventType", line),
        reference=_text(row, "ReferenceID", line),
        quantity=_int(row, "Quantity", line),
        fulfillment_center=_text(row, "FulfillmentCenter", line),
        disposition=_text(row, "Disposition", line),
        reason=_text(row, "Reason", line),
        country=_text(row, "Country", line),
        unreconciled=_int(row, "UnreconciledQuantity", line),
        reconciled=_int(row, "ReconciledQuantity", line),
    )


def summary_day(row, line):
    """The LedgerDay of one (normalized) row of a ledger summary report."""
    return LedgerDay(
        day=_day(row, line),
        sku=_sku(row, line),
        disposition=_text(row, "Disposition", line),
        location=_text(row, "Location", line),
        starting=_int(row, "StartingWarehouseBalance", line),
        moves={name: _int(row, name, line) for name in SUMMARY_MOVES},
        ending=_int(row, "EndingWarehouseBalance", line),
    )


def parse_ledger_detail(text):
    """The LedgerEvent of each row of a ledger detail report."""
    return [detail_event(row, line) for line, row in enumerate(_rows(text), start=2)]


def parse_ledger_summary(text):
    """The LedgerDay of each row of a ledger summary report."""
    return [summary_day(row, line) for line, row in enumerate(_rows(text), start=2)]
