"""Amazon's inventory ledger (spapi_emulator/ledger.py, issue #39): the
emulator writes the detail and summary reports from the same events, with
the columns of Amazon's "FBA Inventory reports attributes" page, and the
mapper (mapping/ledger.py) reads both through the real client."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import DE, SELLER_ID

from mapping.checks import PayloadError
from mapping.ledger import (
    LEDGER_DETAIL_REPORT,
    LEDGER_SUMMARY_REPORT,
    parse_ledger_detail,
    parse_ledger_summary,
)


def _report(adapter, report_type, since):
    report_id = adapter.create_report(report_type, [DE], data_start=since)
    for _attempt in range(4):  # IN_QUEUE, IN_PROGRESS, then DONE
        report, text = adapter.read_report(report_id)
        if report["processingStatus"] in ("DONE", "CANCELLED"):
            return report, text
    raise AssertionError(report)


def test_detail_and_summary_tell_the_same_units(emulator, adapter):
    store = emulator.store
    now = datetime.now(UTC)
    day_1, day_2 = now - timedelta(days=2), now - timedelta(days=1)
    before = now - timedelta(days=10)
    events = [
        (before, "Receipts", 10, {"reference_id": "FBA15ABC"}),
        (day_1, "Shipments", -3, {"reference_id": "302-1111111-1111111"}),
        (day_1, "Adjustments", -1, {"reason": "M", "reference_id": "ADJ-1", "unreconciled": 1}),
        (day_2, "Adjustments", 1, {"reason": "F", "reference_id": "ADJ-2"}),
        (day_2, "Adjustments", -1, {"reason": "E", "reference_id": "ADJ-3"}),
        (day_2, "CustomerReturns", 1, {"reference_id": "302-1111111-1111111"}),
    ]
    for minute, (day, kind, quantity, details) in enumerate(events):
        at = day + timedelta(minutes=minute)  # one after the other, as they happened
        store.add_ledger_event(SELLER_ID, "DE", "MUG-01", kind, quantity, moment=at, **details)
    store.add_ledger_event(SELLER_ID, "US", "MUG-01", "Receipts", 50, moment=day_1)  # elsewhere
    since = now - timedelta(days=3)
    _report_detail, text = _report(adapter, LEDGER_DETAIL_REPORT, since)
    detail = parse_ledger_detail(text)
    assert [(e.kind, e.quantity, e.reference) for e in detail] == [
        ("Shipments", -3, "302-1111111-1111111"),
        ("Lost", -1, "ADJ-1"),
        ("Found", 1, "ADJ-2"),
        ("Damaged", -1, "ADJ-3"),
        ("CustomerReturns", 1, "302-1111111-1111111"),
    ]
    assert {e.country for e in detail} == {"DE"} and detail[1].unreconciled == 1
    _report_summary, text = _report(adapter, LEDGER_SUMMARY_REPORT, since)
    first, second = parse_ledger_summary(text)
    assert (first.starting, first.ending) == (10, 6)
    assert (first.moves["CustomerShipments"], first.moves["Lost"]) == (-3, -1)
    assert (second.starting, second.ending) == (6, 7)
    assert (second.moves["Found"], second.moves["Damaged"], second.moves["CustomerReturns"]) == (
        1,
        -1,
        1,
    )
    assert first.unexplained == second.unexplained == 0
    # The detail adds up to the summary.
    assert sum(e.quantity for e in detail) == second.ending - first.starting


def test_a_period_without_events_is_cancelled_and_bad_rows_are_refused(emulator, adapter):
    report, text = _report(adapter, LEDGER_DETAIL_REPORT, datetime.now(UTC) - timedelta(days=1))
    assert report["processingStatus"] == "CANCELLED" and text is None  # nothing to report
    header = "Date\tMSKU\tEventType\tQuantity\n"
    with pytest.raises(PayloadError, match="Quantity is not a whole number"):
        parse_ledger_detail(header + "2026-12-01\tMUG-01\tShipments\tmany\n")
    with pytest.raises(PayloadError, match="MSKU is missing"):
        parse_ledger_detail(header + "2026-12-01\t\tShipments\t-1\n")
    with pytest.raises(PayloadError, match="Date is not a date"):
        parse_ledger_detail(header + "yesterday\tMUG-01\tShipments\t-1\n")
    # Seller Central's spelling of the same columns reads the same.
    spaced = (
        "Date\tMSKU\tEvent Type\tReference ID\tQuantity\n2026-12-01\tMUG-01\tReceipts\tFBA1\t4\n"
    )
    (event,) = parse_ledger_detail(spaced)
    assert (event.event_type, event.reference, event.quantity) == ("Receipts", "FBA1", 4)


def test_the_emulators_stock_events_write_the_ledger_the_summaries_agree_with(emulator, adapter):
    """Every way units move at Amazon writes its ledger event: the ledger's
    balances are what getInventorySummaries says Amazon holds."""
    store = emulator.store
    store.set_fba_stock(SELLER_ID, DE, "MUG-01", inbound_shipped=25)
    store.receive_inbound(SELLER_ID, DE, "MUG-01", 20, "FBA15XYZ")
    order = store.add_order(
        SELLER_ID,
        DE,
        [{"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "9.90"}],
        fulfilled_by="AMAZON",
        status="UNSHIPPED",
    )
    store.set_status(order.order_id, "SHIPPED")
    store.set_status(order.order_id, "SHIPPED")  # told twice: shipped once
    store.add_return(SELLER_ID, DE, order.order_id, "MUG-01", 1)
    for reason, quantity in (("M", -2), ("F", 1), ("E", -1), ("D", -1)):
        store.fba_event(
            SELLER_ID, DE, "MUG-01", "Adjustments", quantity, reason=reason, reference_id=reason
        )
    store.fba_event(SELLER_ID, DE, "MUG-02", "Adjustments", -1, reason="M")  # holds none
    stock = store.fba_stock[SELLER_ID, DE, "MUG-01"]
    # 20 received, 2 shipped, 1 back, 2 lost, 1 found, 1 damaged: 17 sellable.
    assert (stock.fulfillable, stock.unfulfillable, stock.inbound_shipped) == (17, 0, 5)
    (summary,) = [s for page in adapter.iter_fba_inventory_pages(DE) for s in page]
    assert summary["inventoryDetails"]["fulfillableQuantity"] == 17
    _done, text = _report(adapter, LEDGER_DETAIL_REPORT, datetime.now(UTC) - timedelta(hours=1))
    detail = parse_ledger_detail(text)
    assert [(e.kind, e.quantity, e.reference) for e in detail if e.disposition == "SELLABLE"] == [
        ("Receipts", 20, "FBA15XYZ"),
        ("Shipments", -2, order.order_id),
        ("CustomerReturns", 1, order.order_id),
        ("Lost", -2, "M"),
        ("Found", 1, "F"),
        ("Damaged", -1, "E"),
    ]
    # The damaged unit changed disposition, then was disposed of.
    assert [(e.kind, e.quantity) for e in detail if e.disposition != "SELLABLE"] == [
        ("Damaged", 1),
        ("Disposed", -1),
    ]
    _done, text = _report(adapter, LEDGER_SUMMARY_REPORT, datetime.now(UTC) - timedelta(hours=1))
    ending = {day.disposition: day.ending for day in parse_ledger_summary(text)}
    assert ending == {"SELLABLE": 17, "WAREHOUSE_DAMAGED": 0}
