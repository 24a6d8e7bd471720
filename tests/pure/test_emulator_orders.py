"""searchOrders and getOrder (spapi_emulator/orders.py): Amazon's rules on
the query, the orders' rendering, the pagination token bound to its query."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from conftest import (
    DE,
    JP,
    MODELS_DIR,
    SELLER_ID,
    US,
    ago,
    error_of,
)

from spapi_emulator.render import order_total


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"marketplaceIds": US}, "Exactly one of createdAfter and lastUpdatedAfter"),
        (
            {"marketplaceIds": US, "createdAfter": ago(hours=2), "lastUpdatedAfter": ago(hours=2)},
            "Exactly one",
        ),
        # Checked against the model (format: date-time) when present, else by the handler.
        (
            {"marketplaceIds": US, "lastUpdatedAfter": "yesterday"},
            "lastUpdatedAfter" if MODELS_DIR else "ISO 8601",
        ),
        (
            # ``ago`` itself, called at test time: a time taken when pytest collects
            # is no longer within two minutes of now when the test runs.
            {"marketplaceIds": US, "lastUpdatedAfter": ago(hours=2), "lastUpdatedBefore": ago},
            "two minutes",
        ),
        (
            {
                "marketplaceIds": US,
                "lastUpdatedAfter": ago(hours=2),
                "lastUpdatedBefore": ago(hours=3),
            },
            "equal to or after",
        ),
        ({"marketplaceIds": "NOPE", "lastUpdatedAfter": ago(hours=2)}, "Invalid marketplace"),
        (
            {"marketplaceIds": US, "lastUpdatedAfter": ago(hours=2), "fulfilledBy": "ROBOTS"},
            "fulfilledBy",
        ),
        (
            {"marketplaceIds": US, "lastUpdatedAfter": ago(hours=2), "maxResultsPerPage": "500"},
            "maxResultsPerPage",
        ),
        ({"marketplaceIds": US, "paginationToken": "garbage"}, "paginationToken"),
    ],
)
def test_search_orders_validation(http, params, detail):
    params = {key: value() if callable(value) else value for key, value in params.items()}
    response = http.get("/orders/2026-01-01/orders", params=params)
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidInput"
    assert detail in error_of(response)["details"]


def test_marketplace_ids_are_optional_in_searchorders(http, emulator):
    """Not required by the 2026-01-01 model: the seller's marketplaces then."""
    _seed_orders(emulator, 1)
    response = http.get("/orders/2026-01-01/orders", params={"lastUpdatedAfter": ago(hours=2)})
    assert response.status_code == 200
    assert len(response.json()["orders"]) == 1


def test_a_marketplace_the_seller_lacks_is_forbidden(http):
    response = http.get(
        "/orders/2026-01-01/orders", params={"marketplaceIds": JP, "lastUpdatedAfter": ago(hours=2)}
    )
    assert response.status_code == 403
    assert JP in error_of(response)["details"]


def test_status_changes_move_last_updated_time(http, emulator):
    order = emulator.store.add_order(
        SELLER_ID,
        DE,
        [{"sku": "A", "title": "A", "quantity": 1, "unit_price": "9.99"}],
        status="PENDING",
        created_time=datetime.now(timezone.utc) - timedelta(hours=3),
    )
    window = {"marketplaceIds": DE, "lastUpdatedAfter": ago(hours=4)}
    assert [
        o["orderId"] for o in http.get("/orders/2026-01-01/orders", params=window).json()["orders"]
    ] == [order.order_id]
    emulator.store.set_status(order.order_id, "UNSHIPPED")
    # The change is too fresh for a search (two minutes at least)...
    assert http.get("/orders/2026-01-01/orders", params=window).json()["orders"] == []
    # ...until time passes.
    emulator.store.travel(minutes=5)
    orders = http.get(
        "/orders/2026-01-01/orders", params={**window, "includedData": "FULFILLMENT"}
    ).json()["orders"]
    assert orders[0]["fulfillment"]["fulfillmentStatus"] == "UNSHIPPED"


def test_order_rendering_has_amazons_amounts(http, emulator):
    order = emulator.store.add_order(
        SELLER_ID,
        DE,
        [
            {
                "sku": "MUG",
                "title": "Mug",
                "quantity": 2,
                "unit_price": "10.00",
                "shipping_price": "4.99",
                "shipping_discount": "1.00",
                "gift_wrap_price": "2.50",
                "gift_wrap_level": "Classic",
                "gift_message": "Happy birthday",
                "promotion_discount": "3.00",
                "promotion_ids": ["PROMO1"],
            }
        ],
        business=True,
        vat_number="DE123456789",
        buyer_company="Muster GmbH",
        purchase_order_number="PO-7",
    )
    assert order_total(order) == Decimal("23.49")
    data = http.get(
        f"/orders/2026-01-01/orders/{order.order_id}",
        params={"includedData": "BUYER,PROCEEDS,PROMOTION,FULFILLMENT,TAX"},
    ).json()["order"]
    assert data["proceeds"]["grandTotal"] == {"amount": "23.49", "currencyCode": "EUR"}
    item = data["orderItems"][0]
    kinds = {b["type"]: b["subtotal"]["amount"] for b in item["proceeds"]["breakdowns"]}
    assert kinds == {"ITEM": "20.00", "SHIPPING": "4.99", "GIFT_WRAP": "2.50", "DISCOUNT": "-4.00"}
    assert item["fulfillment"]["packing"]["giftOption"]["giftMessage"] == "Happy birthday"
    assert data["buyer"]["buyerPurchaseOrderNumber"] == "PO-7"
    assert data["tax"]["taxRegistrations"][0]["taxRegistrationNumber"] == "DE123456789"
    assert data["programs"] == ["AMAZON_BUSINESS"]
    # Only the requested datasets come back.
    bare = http.get(f"/orders/2026-01-01/orders/{order.order_id}").json()["order"]
    assert "buyer" not in bare and "proceeds" not in bare


def test_the_items_tax_collection_comes_with_the_tax_dataset_only(http, emulator):
    order = emulator.store.add_order(
        SELLER_ID,
        US,
        [
            {
                "sku": "MUG",
                "title": "Mug",
                "quantity": 1,
                "unit_price": "10.00",
                "tax": "0.80",
                "tax_model": "MARKETPLACE_FACILITATOR",
            }
        ],
    )
    path = f"/orders/2026-01-01/orders/{order.order_id}"
    taxed = http.get(path, params={"includedData": "PROCEEDS,TAX"}).json()["order"]
    item = taxed["orderItems"][0]
    assert item["tax"]["taxCollections"] == [
        {"model": "MARKETPLACE_FACILITATOR", "responsibleParty": "Amazon Services, Inc."}
    ]
    assert {"type": "TAX", "subtotal": {"amount": "0.80", "currencyCode": "USD"}} in item[
        "proceeds"
    ]["breakdowns"]
    untaxed = http.get(path, params={"includedData": "PROCEEDS"}).json()["order"]
    assert "tax" not in untaxed["orderItems"][0]


# --- searchOrders pagination: a token is bound to the query that made it ---------------
def _seed_orders(emulator, count):
    for n in range(count):
        emulator.store.add_order(
            SELLER_ID,
            DE,
            [{"sku": f"SKU-{n}", "title": "A", "quantity": 1, "unit_price": "9.99"}],
            status="UNSHIPPED",
            created_time=datetime.now(timezone.utc) - timedelta(minutes=60 - n),
        )


@pytest.fixture
def paged(http, emulator):
    """Seven orders and the first page (3) of a search for them."""
    _seed_orders(emulator, 7)
    query = {
        "marketplaceIds": DE,
        "lastUpdatedAfter": ago(hours=2),
        "lastUpdatedBefore": ago(minutes=5),
        "fulfillmentStatuses": "UNSHIPPED,SHIPPED",
        "includedData": "FULFILLMENT,PROCEEDS",
        "maxResultsPerPage": "3",
    }
    first = http.get("/orders/2026-01-01/orders", params=query).json()
    return query, first


def test_later_pages_take_the_same_query_and_may_change_included_data(http, paged):
    query, first = paged
    assert len(first["orders"]) == 3
    assert all("fulfillment" in o and "proceeds" in o for o in first["orders"])
    # includedData and maxResultsPerPage "can be modified between calls".
    second = http.get(
        "/orders/2026-01-01/orders",
        params={
            **query,
            "includedData": "BUYER",
            "maxResultsPerPage": "2",
            "paginationToken": first["pagination"]["nextToken"],
        },
    ).json()
    assert len(second["orders"]) == 2
    # Datasets not asked for are not returned.
    assert all("fulfillment" not in o and "proceeds" not in o for o in second["orders"])
    third = http.get(
        "/orders/2026-01-01/orders",
        params={**query, "paginationToken": second["pagination"]["nextToken"]},
    ).json()
    assert "pagination" not in third
    ids = [o["orderId"] for page in (first, second, third) for o in page["orders"]]
    assert len(ids) == len(set(ids)) == 7


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"lastUpdatedAfter": None}, "lastUpdatedAfter"),  # the bug of issue #14
        ({"lastUpdatedBefore": None}, "lastUpdatedBefore"),
        ({"fulfillmentStatuses": "UNSHIPPED"}, "fulfillmentStatuses"),
        ({"marketplaceIds": f"{DE},{US}"}, "marketplaceIds"),
        ({"fulfilledBy": "MERCHANT"}, "fulfilledBy"),
    ],
)
def test_a_token_with_other_parameters_is_refused(http, paged, change, named):
    query, first = paged
    params = {**query, **change, "paginationToken": first["pagination"]["nextToken"]}
    params = {k: v for k, v in params.items() if v is not None}
    response = http.get("/orders/2026-01-01/orders", params=params)
    assert response.status_code == 400
    assert error_of(response)["code"] == "InvalidInput"
    assert error_of(response)["details"].startswith(named)


def test_a_token_expires_after_24_hours(http, emulator, paged):
    query, first = paged
    token = first["pagination"]["nextToken"]
    # The same token may be sent again (a retry after a lost answer)...
    for _attempt in range(2):
        response = http.get("/orders/2026-01-01/orders", params={**query, "paginationToken": token})
        assert response.status_code == 200
    # ...until it is a day old.
    emulator.store.order_pages[token].issued -= timedelta(hours=24, seconds=1)
    response = http.get("/orders/2026-01-01/orders", params={**query, "paginationToken": token})
    assert response.status_code == 400
    assert "expired" in error_of(response)["details"]


def test_a_token_is_bound_to_its_seller(http, emulator, paged):
    query, first = paged
    emulator.store.order_pages[first["pagination"]["nextToken"]].seller_id = "AOTHERSELLER"
    response = http.get(
        "/orders/2026-01-01/orders",
        params={**query, "paginationToken": first["pagination"]["nextToken"]},
    )
    assert response.status_code == 400
    assert "paginationToken" in error_of(response)["details"]
