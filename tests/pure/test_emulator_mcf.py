"""Multi-Channel Fulfillment (spapi_emulator/fulfillment_outbound.py,
fulfillmentOutbound_2020-07-01.json): the emulator refuses what Amazon
refuses, and the adapter's requests (mapping/mcf.py) pass (issue #38)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from conftest import DE, SELLER_ID, error_of

from mapping.checks import PayloadError
from mapping.mcf import (
    McfAddress,
    McfLine,
    create_request,
    fulfillment_order_id,
    parse_fulfillment_order,
    parse_order_list,
    parse_previews,
    preview_request,
)
from spapi import SpApiNotFoundError, SpApiRequestError

ERIKA = McfAddress("Erika  Mustermann", "Hauptstr. 1", "Berlin", "10115", "DE")
ORDERS = "/fba/outbound/2020-07-01/fulfillmentOrders"


def _lines(mugs=2, tees=0):
    lines = [McfLine("1", "MUG-01", mugs)]
    if tees:
        lines.append(McfLine("2", "TEE-M", tees))
    return lines


def _create(adapter, ref, lines, policy="FillOrKill", address=ERIKA, speed="Standard"):
    request = create_request(
        ref,
        DE,
        address,
        lines,
        speed,
        policy,
        order_id=f"S{ref}",
        order_date=datetime.now(UTC),
        comment="Thank you  for your order",
    )
    return adapter.create_fulfillment_order(request)


@pytest.fixture
def stock(emulator):
    store = emulator.store
    store.set_fba_stock(SELLER_ID, DE, "MUG-01", fulfillable=10)
    store.set_fba_stock(SELLER_ID, DE, "TEE-M", fulfillable=1)
    return lambda sku: store.fba_stock[SELLER_ID, DE, sku]


def test_previews_give_each_speed_its_fees_and_dates(emulator, adapter, stock):
    previews = parse_previews(adapter.get_fulfillment_preview(preview_request(DE, ERIKA, _lines())))
    assert [p.speed for p in previews] == ["Standard", "Expedited", "Priority"]
    assert all(p.fulfillable and p.fee_total > 0 and p.currency == "EUR" for p in previews)
    standard, _expedited, priority = previews
    assert priority.latest_arrival < standard.latest_arrival
    assert priority.fee_total > standard.fee_total
    # What Amazon cannot fulfil, said item by item and for the address.
    previews = parse_previews(
        adapter.get_fulfillment_preview(
            preview_request(
                DE,
                McfAddress("Erika", "Hauptstr. 1", "Berlin", "1011", "DE"),
                [McfLine("1", "NOPE", 1), McfLine("2", "TEE-M", 2)],
            )
        )
    )
    assert not any(p.fulfillable for p in previews)
    assert set(previews[0].reasons) == {
        "InvalidDestinationAddress",
        "NOPE: InvalidSKU",
        "TEE-M: InventoryUnavailable",
    }
    assert stock("MUG-01").fulfillable == 10  # a preview reserves nothing


def test_an_order_reserves_ships_in_packages_and_completes(emulator, adapter, stock):
    store = emulator.store
    assert _create(adapter, "WH-OUT-00001", _lines(3, 1)) is True
    order = parse_fulfillment_order(adapter.get_fulfillment_order("WH-OUT-00001"))
    assert order.status == "Received" and not order.packages
    assert order.items == {"1": (3, 0, 0), "2": (1, 0, 0)}
    assert (stock("MUG-01").fulfillable, stock("MUG-01").reserved) == (7, 3)
    # The displayed texts, as Amazon keeps them: no two spaces in a row.
    kept = store.fulfillment_orders[SELLER_ID, "WH-OUT-00001"].request
    assert kept["displayableOrderComment"] == "Thank you for your order"
    assert kept["destinationAddress"]["name"] == "Erika Mustermann"
    # A first package: two mugs; the rest later.
    store.ship_fulfillment_order(SELLER_ID, "WH-OUT-00001", {"1": 2})
    order = parse_fulfillment_order(adapter.get_fulfillment_order("WH-OUT-00001"))
    assert order.status == "Processing" and not order.final
    (package,) = order.packages
    assert package.items == (("1", 2),) and package.tracking.startswith("DHL")
    assert (stock("MUG-01").fulfillable, stock("MUG-01").reserved) == (7, 1)
    store.ship_fulfillment_order(SELLER_ID, "WH-OUT-00001")
    order = parse_fulfillment_order(adapter.get_fulfillment_order("WH-OUT-00001"))
    assert order.status == "Complete" and order.final
    # Each shipment's fees leave the seller's account (4.10 a unit, Standard).
    fees = [t for t in store.transactions if t.description.startswith("Multi-Channel")]
    assert [(t.transaction_type, t.total) for t in fees] == [
        ("ServiceFee", Decimal("-8.20")),
        ("ServiceFee", Decimal("-8.20")),
    ]
    assert sorted(item for p in order.packages for item in p.items) == [
        ("1", 1),
        ("1", 2),
        ("2", 1),
    ]
    assert stock("MUG-01").reserved == stock("TEE-M").reserved == 0
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert parse_order_list(adapter.list_all_fulfillment_orders(since)) == [
        ("WH-OUT-00001", "Complete")
    ]
    assert parse_order_list(adapter.list_all_fulfillment_orders(since + timedelta(hours=1))) == []


def test_the_same_order_sent_again_is_never_a_second_one(emulator, adapter, stock):
    assert _create(adapter, "WH-OUT-00002", _lines(2)) is True
    # A crash between the creation and its record: sent again, refused by
    # Amazon as a duplicate, found as created.
    assert _create(adapter, "WH-OUT-00002", _lines(2)) is False
    assert len(emulator.store.fulfillment_orders) == 1
    assert stock("MUG-01").reserved == 2


def test_policies_decide_what_a_short_order_becomes(emulator, adapter, stock):
    _create(adapter, "KILL", _lines(1, 3))  # FillOrKill: one item short, all invalid
    order = parse_fulfillment_order(adapter.get_fulfillment_order("KILL"))
    assert order.status == "Invalid" and order.final
    assert order.items["2"] == (3, 0, 3)
    assert stock("MUG-01").reserved == 0
    _create(adapter, "AVAILABLE", _lines(1, 3), policy="FillAllAvailable")
    order = parse_fulfillment_order(adapter.get_fulfillment_order("AVAILABLE"))
    assert order.status == "Received"
    assert order.items["2"] == (3, 0, 2)  # the one tee ships, two are unfulfillable
    _create(adapter, "BADZIP", _lines(1), address=McfAddress("E", "H 1", "Berlin", "ABC", "DE"))
    assert parse_fulfillment_order(adapter.get_fulfillment_order("BADZIP")).status == "Invalid"


def test_cancelling_while_amazon_allows_it(emulator, adapter, stock):
    store = emulator.store
    _create(adapter, "CANCEL-1", _lines(4))
    adapter.cancel_fulfillment_order("CANCEL-1")
    order = parse_fulfillment_order(adapter.get_fulfillment_order("CANCEL-1"))
    assert order.status == "Cancelled" and order.items["1"] == (4, 4, 0)
    assert (stock("MUG-01").fulfillable, stock("MUG-01").reserved) == (10, 0)
    _create(adapter, "CANCEL-2", _lines(4))
    store.advance_fulfillment_order(SELLER_ID, "CANCEL-2", "Planning")
    adapter.cancel_fulfillment_order("CANCEL-2")  # "can cancel ... Planning"
    _create(adapter, "CANCEL-3", _lines(4))
    store.advance_fulfillment_order(SELLER_ID, "CANCEL-3", "Processing")
    with pytest.raises(SpApiRequestError, match="can no longer be cancelled"):
        adapter.cancel_fulfillment_order("CANCEL-3")
    with pytest.raises(SpApiNotFoundError):
        adapter.get_fulfillment_order("SOMEONE-ELSES")


def test_what_amazon_refuses_is_refused(emulator, http, stock):
    def create(**changes):
        body = create_request(
            "R-1", DE, ERIKA, _lines(1), "Standard", "FillOrKill", order_date=datetime.now(UTC)
        )
        body.update(changes)
        return http.post(ORDERS, json=body)

    cases = [
        (
            {"items": [{"sellerSku": "NOPE", "sellerFulfillmentOrderItemId": "1", "quantity": 1}]},
            "Invalid sellerSku NOPE",
        ),
        (
            {
                "items": [
                    {"sellerSku": "MUG-01", "sellerFulfillmentOrderItemId": "1", "quantity": 251}
                ]
            },
            "250 units",
        ),
        ({"shippingSpeedCategory": "ScheduledDelivery"}, "only available in the JP marketplace"),
        ({"displayableOrderId": "S  1"}, "two spaces in a row"),
        (
            {
                "destinationAddress": {
                    "name": "E",
                    "addressLine1": "H",
                    "postalCode": "1",
                    "countryCode": "DE",
                }
            },
            None,
        ),  # no city: accepted, then Invalid (the address is validated after receipt)
        (
            {"sellerFulfillmentOrderId": "x" * 41},
            "sellerFulfillmentOrderId",
        ),  # the model's maxLength
    ]
    for changes, expected in cases:
        response = create(**changes)
        if expected is None:
            assert response.status_code == 200, response.text
            continue
        assert response.status_code == 400, (changes, response.text)
        assert expected in str(error_of(response)), (changes, response.text)
    assert [o.status for o in emulator.store.fulfillment_orders.values()] == ["Invalid"]
    assert emulator.store.fba_stock[SELLER_ID, DE, "MUG-01"].reserved == 0


def test_the_mapper_refuses_what_it_cannot_send():
    assert fulfillment_order_id("WH/OUT/00012") == "WH-OUT-00012"
    with pytest.raises(PayloadError):
        fulfillment_order_id("///")
    with pytest.raises(PayloadError, match="whole number"):
        preview_request(DE, ERIKA, [McfLine("1", "MUG-01", 1.5)])
    with pytest.raises(PayloadError, match="250 units"):
        preview_request(DE, ERIKA, [McfLine(str(n), "MUG-01", 50) for n in range(6)])
    with pytest.raises(PayloadError, match="shipping speed"):
        create_request(
            "A", DE, ERIKA, _lines(), "Teleport", "FillOrKill", order_date=datetime.now(UTC)
        )
    with pytest.raises(PayloadError, match="fulfillmentOrderItems"):
        parse_fulfillment_order({"fulfillmentOrder": {"sellerFulfillmentOrderId": "A"}})
