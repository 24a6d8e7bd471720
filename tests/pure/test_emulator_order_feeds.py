"""POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA (spapi_emulator/order_feeds.py):
the emulator cancels what Amazon cancels and refuses, row by row, what a
seller cannot cancel; the adapter's feed passes (issue #35)."""

from conftest import DE, SELLER_ID, US

from mapping.cancellations import Cancellation, cancellation_feed, parse_cancellation_report
from spapi.adapter import ORDER_INCLUDED_DATA

MUG = {"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "11.90"}
TEE = {"sku": "TEE-M", "title": "Tee", "quantity": 1, "unit_price": "19.99"}


def _cancel(adapter, marketplace, rows):
    """Send ``rows`` (order, item, reason) through the adapter: the report."""
    content = cancellation_feed([Cancellation(*row) for row in rows])
    feed_id = adapter.submit_order_cancellations(marketplace, content)
    feed, report = adapter.get_feed_result(feed_id)
    assert feed["processingStatus"] == "DONE"
    return parse_cancellation_report(report)


def test_two_orders_cancelled_in_one_feed_show_cancelled(emulator, adapter):
    store = emulator.store
    one = store.add_order(SELLER_ID, DE, [MUG, TEE])
    two = store.add_order(SELLER_ID, DE, [MUG])
    rows = [
        (order.order_id, item.order_item_id, "NoInventory")
        for order in (one, two)
        for item in order.items
    ]
    report = _cancel(adapter, DE, rows)
    assert (report.processed, report.successful, report.errors) == (3, 3, {})
    for order in (one, two):
        seen = adapter.get_order(order.order_id, (*ORDER_INCLUDED_DATA, "CANCELLATION"))
        assert seen["fulfillment"]["fulfillmentStatus"] == "CANCELLED"
        for item in seen["orderItems"]:
            execution = item["cancellation"]["cancellationExecution"]
            assert execution == {"cancelledBy": "MERCHANT", "cancelReason": "NoInventory"}


def test_whole_items_cancel_the_order_only_once_none_is_left(emulator, adapter):
    order = emulator.store.add_order(SELLER_ID, DE, [MUG, TEE])
    mug, tee = order.items
    report = _cancel(adapter, DE, [(order.order_id, tee.order_item_id, "BuyerCanceled")])
    assert report.errors == {}
    seen = adapter.get_order(order.order_id, (*ORDER_INCLUDED_DATA, "CANCELLATION"))
    assert seen["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"
    by_id = {item["orderItemId"]: item for item in seen["orderItems"]}
    assert "cancellation" not in by_id[mug.order_item_id]
    assert by_id[tee.order_item_id]["cancellation"]["cancellationExecution"]["cancelledBy"] == (
        "MERCHANT"
    )


def test_what_a_seller_cannot_cancel_is_refused_row_by_row(emulator, adapter):
    store = emulator.store
    good = store.add_order(SELLER_ID, DE, [MUG])
    shipped = store.add_order(SELLER_ID, DE, [MUG], status="SHIPPED")
    partly = store.add_order(SELLER_ID, DE, [MUG, TEE])
    store.ship_elsewhere(partly.order_id, {"MUG-01": 1})
    fba = store.add_order(SELLER_ID, DE, [MUG], fulfilled_by="AMAZON", status="SHIPPED")
    gone = store.add_order(SELLER_ID, DE, [MUG], status="CANCELLED")
    store.add_seller("AOTHERSELLER", [DE])
    foreign = store.add_order("AOTHERSELLER", DE, [MUG])
    item = good.items[0].order_item_id
    rows = [
        (good.order_id, item, "ShippingAddressUndeliverable"),
        (shipped.order_id, shipped.items[0].order_item_id, "NoInventory"),
        (partly.order_id, partly.items[1].order_item_id, "NoInventory"),
        (fba.order_id, fba.items[0].order_item_id, "NoInventory"),
        (gone.order_id, gone.items[0].order_item_id, "NoInventory"),
        (foreign.order_id, foreign.items[0].order_item_id, "NoInventory"),
        ("999-0000000-0000000", "1", "NoInventory"),
        (good.order_id, "00000000000000", "NoInventory"),
    ]
    report = _cancel(adapter, DE, rows)
    assert (report.processed, report.successful) == (8, 1)
    assert set(report.errors) == {r[0] for r in rows[1:]}
    assert "shipped items" in report.errors[shipped.order_id][0]
    assert "shipped items" in report.errors[partly.order_id][0]
    assert "fulfilled by Amazon" in report.errors[fba.order_id][0]
    assert "already cancelled" in report.errors[gone.order_id][0]
    assert "was not found" in report.errors[foreign.order_id][0]
    assert "has no item" in report.errors[good.order_id][0]
    assert store.orders[good.order_id].status == "CANCELLED"
    assert store.orders[partly.order_id].status == "PARTIALLY_SHIPPED"
    assert not store.orders[partly.order_id].items[1].cancelled_by
    # Sent again: an order cancelled is cancelled once.
    again = _cancel(adapter, DE, rows[:1])
    assert "already cancelled" in again.errors[good.order_id][0]


def test_a_file_amazon_cannot_read_ends_fatal_and_a_bad_row_is_its_own(emulator, adapter):
    order = emulator.store.add_order(SELLER_ID, US, [MUG])
    info = adapter.create_feed_document("text/tab-separated-values; charset=UTF-8")
    adapter.upload_feed_document(
        info["url"], b"order-id\treason\nX\tY\n", "text/tab-separated-values; charset=UTF-8"
    )
    feed_id = adapter.create_feed(
        "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA", [US], info["feedDocumentId"]
    )
    feed, report = adapter.get_feed_result(feed_id)
    assert feed["processingStatus"] == "FATAL"
    assert b"no amazon-order-item-code, cancellation-reason-code column" in report
    # A reason Amazon does not know, and a row shifted by a tab.
    content = (
        "order-id\tamazon-order-item-code\tcancellation-reason-code\n"
        f"{order.order_id}\t{order.items[0].order_item_id}\tOutOfStock\n"
        f"{order.order_id}\t{order.items[0].order_item_id}\tNoInventory\textra\n"
    ).encode()
    info = adapter.create_feed_document("text/tab-separated-values; charset=UTF-8")
    adapter.upload_feed_document(info["url"], content, "text/tab-separated-values; charset=UTF-8")
    feed_id = adapter.create_feed(
        "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA", [US], info["feedDocumentId"]
    )
    _feed, raw = adapter.get_feed_result(feed_id)
    report = parse_cancellation_report(raw)
    assert (report.processed, report.successful) == (2, 0)
    messages = report.errors[order.order_id]
    assert "'OutOfStock' is not a cancellation reason code" in messages[0]
    assert "one value per column" in messages[1]
    assert emulator.store.orders[order.order_id].status == "UNSHIPPED"


def test_amazon_puts_units_back_on_sale_for_every_reason_but_no_inventory(emulator, adapter):
    store = emulator.store
    listing = store.add_listing(SELLER_ID, "MUG-01", [DE], quantity=5)
    one, two = store.add_order(SELLER_ID, DE, [MUG]), store.add_order(SELLER_ID, DE, [MUG])
    _cancel(adapter, DE, [(one.order_id, one.items[0].order_item_id, "BuyerCanceled")])
    assert listing.offers[DE].quantity == 7  # the two mugs back on sale
    _cancel(adapter, DE, [(two.order_id, two.items[0].order_item_id, "NoInventory")])
    assert listing.offers[DE].quantity == 7  # the seller has none: not back
