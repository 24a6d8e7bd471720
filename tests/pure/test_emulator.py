"""The emulator's own behaviour: validation, state, rate limits, seeding, CLI."""

import gzip
import json
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    DE,
    JP,
    MODELS_DIR,
    REFRESH_TOKEN,
    REPO,
    SELLER_ID,
    UK,
    US,
    access_token,
)

from spapi_emulator import MARKETPLACES, Emulator, StoreError
from spapi_emulator.render import order_total
from spapi_emulator.seed import DEMO_FBA, DEMO_MARKETPLACES, seed_demo


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(**delta):
    return iso(datetime.now(timezone.utc) - timedelta(**delta))


@pytest.fixture
def http(emulator):
    token = access_token(emulator.url)
    client = httpx.Client(base_url=emulator.url, headers={"x-amz-access-token": token})
    yield client
    client.close()


def error_of(response):
    return response.json()["errors"][0]


# The checks driven by Amazon's models need them (shared/spapi-models or
# $SAC_SPAPI_MODELS); without them the emulator serves unchecked requests.
needs_models = pytest.mark.skipif(
    MODELS_DIR is None, reason="Amazon's API models not found (set SAC_SPAPI_MODELS)"
)


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


def test_requests_need_a_valid_token(emulator):
    response = httpx.get(f"{emulator.url}/sellers/v1/marketplaceParticipations")
    assert response.status_code == 403
    assert error_of(response)["code"] == "Unauthorized"
    response = httpx.get(
        f"{emulator.url}/sellers/v1/marketplaceParticipations",
        headers={"x-amz-access-token": "Atza|forged"},
    )
    assert response.status_code == 403


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


def test_rate_limit_answers_429_with_the_limit_header(http, emulator):
    emulator.limiter.speed = 1
    emulator.limiter.set_plan("getMarketplaceParticipations", 0.016, 2)
    statuses = [http.get("/sellers/v1/marketplaceParticipations").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = http.get("/sellers/v1/marketplaceParticipations")
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.016"
    assert error_of(response)["code"] == "QuotaExceeded"


def test_seeding_refuses_nonsense(emulator):
    with pytest.raises(StoreError):
        emulator.store.add_order("NOBODY", US, [])
    with pytest.raises(StoreError):
        emulator.store.add_order(SELLER_ID, "XX", [])
    with pytest.raises(StoreError):
        emulator.store.add_order(SELLER_ID, US, [], status="LOST")


def test_demo_seed_covers_three_marketplaces_and_both_channels():
    emu = Emulator()
    seed_demo(emu.store, order_count=300)
    orders = list(emu.store.orders.values())
    assert len(orders) == 300
    assert {o.marketplace_id for o in orders} == set(DEMO_MARKETPLACES)
    assert {o.fulfilled_by for o in orders} == {"AMAZON", "MERCHANT"}
    assert {o.status for o in orders} >= {"SHIPPED", "UNSHIPPED", "CANCELLED", "PENDING"}
    assert {o.currency for o in orders} == {"USD", "EUR", "GBP"}
    assert any(not o.buyer_name for o in orders if o.fulfilled_by == "AMAZON")
    # Amazon's money: a closed payout with sales, fees, a refund and a reserve.
    store = emu.store
    [closed] = [g for g in store.event_groups if g.processing_status == "Closed"]
    kinds = {tx.transaction_type for tx in store.transactions if tx.group_id == closed.group_id}
    assert kinds == {"Shipment", "Refund", "ServiceFee", "Reserve"}
    assert store.event_group_total(closed) > 0
    assert len(store.fee_invoices) == 1
    # Issue #40: partly shipped orders say how much left; FBA stock, returns
    # and offer prices give every screen something true to show.
    partial = [o for o in orders if o.status == "PARTIALLY_SHIPPED"]
    assert partial
    for order in partial:
        shipped = sum(item.quantity_shipped for item in order.items)
        assert 0 < shipped < sum(item.quantity for item in order.items)
    assert {stock.sku for stock in store.fba_stock.values()} == {sku for sku, _c in DEMO_FBA}
    assert all(stock.fulfillable > 0 for stock in store.fba_stock.values())
    assert len(store.returns) == 3
    assert all(
        offer.price for listing in store.listings.values() for offer in listing.offers.values()
    )


def test_marketplace_catalogue_matches_the_library():
    from sp_api.base import Marketplaces  # noqa: PLC0415

    library = {m.marketplace_id for m in Marketplaces}
    assert set(MARKETPLACES) <= library | {"AE08WJ6YKNBMC"}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url, process):
    for _ in range(100):
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.1)
    raise AssertionError("the emulator did not start")


def test_cli_runs_standalone_with_the_demo_seed():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "spapi_emulator", "--port", str(port), "--seed", "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/_emulator/health", process).json() == {
            "status": "ok"
        }
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert f"listening on http://127.0.0.1:{port}" in output
    assert "300 order(s)" in output


def test_cli_loads_a_json_seed_file(tmp_path):
    seed = {
        "apps": [{"client_id": "app", "client_secret": "secret"}],
        "sellers": [
            {"seller_id": "S1", "marketplace_ids": [US], "client_id": "app", "refresh_token": "rt"}
        ],
        "orders": [
            {
                "seller_id": "S1",
                "marketplace_id": US,
                "fulfilled_by": "AMAZON",
                "status": "SHIPPED",
                "items": [{"sku": "X", "title": "X", "quantity": 1, "unit_price": "1.00"}],
            }
        ],
        "listings": [{"seller_id": "S1", "sku": "X", "marketplace_ids": [US], "quantity": 3}],
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "spapi_emulator", "--port", str(port), "--seed", str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/_emulator/health", process)
        token = access_token(f"http://127.0.0.1:{port}", "app", "secret", "rt")
        orders = httpx.get(
            f"http://127.0.0.1:{port}/orders/2026-01-01/orders",
            params={"marketplaceIds": US, "lastUpdatedAfter": ago(hours=1)},
            headers={"x-amz-access-token": token},
        ).json()["orders"]
        assert len(orders) == 1
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_consent_page_redirects_with_a_code(emulator):
    response = httpx.get(
        f"{emulator.url}/apps/authorize/consent",
        params={"application_id": CLIENT_ID, "state": "abc", "version": "beta"},
    )
    assert response.status_code == 302
    location = httpx.URL(response.headers["Location"])
    assert location.params["state"] == "abc"
    assert location.params["selling_partner_id"] == SELLER_ID
    assert location.params["spapi_oauth_code"] in emulator.store.auth_codes


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


# --- every request checked against Amazon's models (spapi_emulator/contract.py) ------------
LISTING = f"/listings/2021-08-01/items/{SELLER_ID}/MUG-01"
PACKAGE = {
    "packageReferenceId": "1",
    "carrierCode": "UPS",
    "trackingNumber": "1Z999",
    "shipDate": "2026-01-01T10:00:00Z",
    "orderItems": [{"orderItemId": "1", "quantity": 1}],
}


def _without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


@needs_models
@pytest.mark.parametrize(
    ("method", "path", "params", "body", "named"),
    [
        # searchOrders: types, enums, array limits of the model.
        (
            "GET",
            "/orders/2026-01-01/orders",
            {"marketplaceIds": ",".join([DE] * 51), "lastUpdatedAfter": ago(hours=2)},
            None,
            "marketplaceIds",
        ),
        (
            "GET",
            "/orders/2026-01-01/orders",
            {"marketplaceIds": DE, "lastUpdatedAfter": ago(hours=2), "includedData": "ALL"},
            None,
            "includedData",
        ),
        (
            "GET",
            "/orders/2026-01-01/orders",
            {"marketplaceIds": DE, "createdAfter": ago(hours=2), "maxResultsPerPage": "ten"},
            None,
            "maxResultsPerPage",
        ),
        (
            "GET",
            "/orders/2026-01-01/orders",
            {"marketplaceIds": DE, "createdAfter": ago(hours=2), "fulfillmentStatuses": "LOST"},
            None,
            "fulfillmentStatuses",
        ),
        # getOrder: its includedData.
        ("GET", "/orders/2026-01-01/orders/X", {"includedData": "BUYERS"}, None, "includedData"),
        # confirmShipment: the body's schema.
        (
            "POST",
            "/orders/v0/orders/X/shipmentConfirmation",
            {},
            {"packageDetail": PACKAGE},
            "marketplaceId",
        ),
        (
            "POST",
            "/orders/v0/orders/X/shipmentConfirmation",
            {},
            {"marketplaceId": DE, "packageDetail": _without(PACKAGE, "trackingNumber")},
            "trackingNumber",
        ),
        (
            "POST",
            "/orders/v0/orders/X/shipmentConfirmation",
            {},
            {"marketplaceId": DE, "packageDetail": {**PACKAGE, "shipDate": "01/01/2026"}},
            "packageDetail/shipDate",
        ),
        (
            "POST",
            "/orders/v0/orders/X/shipmentConfirmation",
            {},
            {
                "marketplaceId": DE,
                "packageDetail": {**PACKAGE, "orderItems": [{"orderItemId": "1"}]},
            },
            "quantity",
        ),
        ("POST", "/orders/v0/orders/X/shipmentConfirmation", {}, None, "payload"),
        # Listings Items: marketplaceIds required, productType and patch operations.
        ("GET", LISTING, {}, None, "marketplaceIds"),
        (
            "PATCH",
            LISTING,
            {"marketplaceIds": DE},
            {"patches": [{"op": "merge", "path": "/attributes/x", "value": [{}]}]},
            "productType",
        ),
        (
            "PATCH",
            LISTING,
            {"marketplaceIds": DE},
            {"productType": "PRODUCT", "patches": [{"op": "upsert", "path": "/attributes/x"}]},
            "patches/0/op",
        ),
        # Feeds: the bodies' schemas, and the feed types the emulator processes.
        (
            "POST",
            "/feeds/2021-06-30/feeds",
            {},
            {"feedType": "POST_PRODUCT_DATA", "marketplaceIds": [DE], "inputFeedDocumentId": "1"},
            "feedType",
        ),
        ("POST", "/feeds/2021-06-30/documents", {}, {}, "contentType"),
        (
            "POST",
            "/feeds/2021-06-30/feeds",
            {},
            {"marketplaceIds": [DE], "inputFeedDocumentId": "1"},
            "feedType",
        ),
    ],
)
def test_requests_outside_the_model_are_refused(http, method, path, params, body, named):
    response = http.request(method, path, params=params, json=body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "InvalidInput"
    assert named in error["details"].split(":")[0]


@needs_models
def test_a_body_that_is_not_json_is_an_unsupported_media_type(http):
    response = http.post(
        "/feeds/2021-06-30/documents",
        content=b"contentType=text/xml",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "UnsupportedMediaType"


@needs_models
def test_unknown_parameters_are_reported_on_the_call(http, emulator):
    response = http.get(
        "/orders/2026-01-01/orders",
        params={"marketplaceIds": DE, "lastUpdatedAfter": ago(hours=2), "MarketplaceId": DE},
    )
    assert response.status_code == 200  # Amazon ignores them...
    call = emulator.calls_for("searchOrders")[-1]
    assert call.unknown_params == ["MarketplaceId"]  # ...the conformance check does not
    call.unknown_params = []


# --- feeds: documents, final statuses ----------------------------------------------------------
def _document(http, content_type="application/json; charset=UTF-8"):
    return http.post("/feeds/2021-06-30/documents", json={"contentType": content_type}).json()


def test_a_document_is_uploaded_with_its_content_type_within_five_minutes(http, emulator):
    document = _document(http)
    upload = httpx.put(document["url"], content=b"{}", headers={"Content-Type": "text/plain"})
    assert upload.status_code == 403
    assert error_of(upload)["code"] == "SignatureDoesNotMatch"
    stored = emulator.store.documents[document["feedDocumentId"]]
    stored.created_time -= timedelta(minutes=5, seconds=1)
    upload = httpx.put(
        document["url"], content=b"{}", headers={"Content-Type": "application/json; charset=UTF-8"}
    )
    assert upload.status_code == 403
    assert stored.content is None
    emulator.reset_calls()  # deliberately invalid documents, not for the conformance check


def test_a_document_that_is_not_a_listings_feed_ends_fatal_for_good(http, emulator):
    document = _document(http)
    httpx.put(
        document["url"],
        content=b'{"messages": []}',  # no header
        headers={"Content-Type": "application/json; charset=UTF-8"},
    )
    feed_id = http.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "JSON_LISTINGS_FEED",
            "marketplaceIds": [US],
            "inputFeedDocumentId": document["feedDocumentId"],
        },
    ).json()["feedId"]
    for _attempt in range(2):
        feed = http.get(f"/feeds/2021-06-30/feeds/{feed_id}").json()
        assert feed["processingStatus"] == "FATAL"
    info = http.get(f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}").json()
    report = httpx.get(info["url"]).json()
    assert report["issues"][0]["severity"] == "ERROR"
    with pytest.raises(StoreError):
        emulator.store.cancel_feed(feed_id)  # only IN_QUEUE feeds can be cancelled
    emulator.reset_calls()  # a deliberately invalid document


# --- UPLOAD_VAT_INVOICE: the seller's own invoices, read as Amazon reads them -------------------
PDF = b"%PDF-1.4\n%%EOF\n"


def _vat_invoice(http, options, marketplace=DE, content=PDF, content_type="application/pdf"):
    """(createFeed's response, the feed's processing report or None)."""
    document = _document(http, content_type)
    httpx.put(document["url"], content=content, headers={"Content-Type": content_type})
    created = http.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "UPLOAD_VAT_INVOICE",
            "marketplaceIds": [marketplace],
            "inputFeedDocumentId": document["feedDocumentId"],
            "feedOptions": options,
        },
    )
    if created.status_code != 202:
        return created, None
    feed = http.get(f"/feeds/2021-06-30/feeds/{created.json()['feedId']}").json()
    assert feed["processingStatus"] == "DONE"
    info = http.get(f"/feeds/2021-06-30/documents/{feed['resultFeedDocumentId']}").json()
    return created, httpx.get(info["url"]).text


def _mug_order(emulator, marketplace=DE):
    items = [
        {
            "sku": "MUG-01",
            "title": "Mug",
            "quantity": 2,
            "unit_price": "11.90",
            "shipping_price": "4.90",
        }
    ]
    return emulator.store.add_order(SELLER_ID, marketplace, items)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"metadata:InvoiceNumber": None}, "79513\tError\tPlease provide metadata:shippingid"),
        ({"metadata:TotalVATAmount": None}, "79513"),
        ({"metadata:TotalAmount": "28.60"}, "TotalAmount 28.60 does not match the order's total"),
        ({"metadata:TotalAmount": "28.705"}, "amounts with two decimals"),
        ({"metadata:InvoiceNumber": "INV.2026.1"}, "characters that are not allowed"),
        ({"metadata:DocumentType": "Receipt"}, "DocumentType must be Invoice or CreditNote"),
        ({"metadata:DocumentType": "CreditNote"}, "needs the TransactionId"),
        ({"metadata:OrderId": "302-0000000-0000000"}, "is not an order of this seller"),
    ],
)
def test_an_invoice_amazon_cannot_take_is_refused_in_the_report(http, emulator, change, error):
    order = _mug_order(emulator)
    options = {
        "metadata:OrderId": order.order_id,
        "metadata:InvoiceNumber": "INV/2026/00001",
        "metadata:TotalAmount": f"{order_total(order):.2f}",
        "metadata:TotalVATAmount": "4.58",
        "metadata:DocumentType": "Invoice",
    }
    _created, report = _vat_invoice(http, options)
    assert "Number of records successful\t\t1" in report  # the same, unchanged, passes
    options = {k: v for k, v in {**options, **change}.items() if v is not None}
    _created, report = _vat_invoice(http, options)
    assert "Number of records successful\t\t0" in report
    assert error in report
    assert [invoice.accepted for invoice in emulator.store.vat_invoices] == [True, False]
    emulator.reset_calls()


def test_keys_are_read_whatever_their_case_and_the_document_must_be_a_pdf(http, emulator):
    order = _mug_order(emulator)
    options = {
        "metadata:orderid": order.order_id,
        "metadata:invoicenumber": "INV/2026/00001",
        "metadata:totalamount": "28.70",
        "metadata:totalvatamount": "4.58",
    }
    _created, report = _vat_invoice(http, options)
    assert "Number of records successful\t\t1" in report
    _created, report = _vat_invoice(http, options, content=b"<html/>")
    assert "The feed document is not a PDF invoice." in report
    _created, report = _vat_invoice(http, options, content_type="text/plain")
    assert "The feed document is not a PDF invoice." in report
    emulator.reset_calls()


def test_invoices_are_uploaded_in_the_vat_programs_marketplaces_only(http, emulator):
    order = _mug_order(emulator, US)
    options = {"metadata:OrderId": order.order_id}
    created, _report = _vat_invoice(http, options, marketplace=US)
    assert created.status_code == 400
    assert "only in the EU marketplaces" in error_of(created)["details"]
    emulator.store.sellers[SELLER_ID].marketplace_ids.append(UK)
    document = _document(http, "application/pdf")
    httpx.put(document["url"], content=PDF, headers={"Content-Type": "application/pdf"})
    created = http.post(
        "/feeds/2021-06-30/feeds",
        json={
            "feedType": "UPLOAD_VAT_INVOICE",
            "marketplaceIds": [DE, UK],
            "inputFeedDocumentId": document["feedDocumentId"],
        },
    )
    assert created.status_code == 400
    assert "the one marketplace of the invoiced order" in error_of(created)["details"]
    assert not emulator.store.vat_invoices
    emulator.reset_calls()


# --- Amazon's invoices to the seller: getInvoiceHeaders / getInvoice ---------------------------
INVOICES = "/finances/invoices/2026-06-25/invoices"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "marketplaceId"),  # "required": true
        ({"marketplaceId": DE, "fromIssueDate": ago(days=10)}, "both"),
        ({"marketplaceId": DE, "toIssueDate": ago(days=1)}, "both"),
        (
            {"marketplaceId": DE, "fromIssueDate": ago(days=100), "toIssueDate": ago(days=9)},
            "90 days",
        ),
        ({"marketplaceId": DE, "fromIssueDate": ago(days=1), "toIssueDate": ago(days=2)}, "before"),
    ],
)
def test_invoice_headers_outside_amazons_rules_are_refused(http, emulator, params, named):
    response = http.get(INVOICES, params=params)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert named in f"{error['message']} {error.get('details', '')}"
    emulator.reset_calls()


def test_invoice_headers_default_to_the_last_90_days_and_pages_keep_their_arguments(http, emulator):
    now = datetime.now(timezone.utc)
    for n, days in enumerate((5, 80, 95)):
        emulator.store.add_fee_invoice(
            SELLER_ID,
            DE,
            f"INV-{n}",
            now - timedelta(days=days),
            [{"description": "Fee", "amount": "1.00"}],
        )
    emulator.store.add_fee_invoice(
        SELLER_ID, US, "INV-US", now - timedelta(days=5), [{"description": "Fee", "amount": "1.00"}]
    )
    data = http.get(INVOICES, params={"marketplaceId": DE}).json()
    assert sorted(i["invoiceNumber"] for i in data["invoices"]) == ["INV-0", "INV-1"]
    assert data["numOfRecords"] == 2 and "nextToken" not in data
    # A token answers only the arguments that made it.
    for n in range(150):
        emulator.store.add_fee_invoice(
            SELLER_ID,
            DE,
            f"BULK-{n}",
            now - timedelta(days=3),
            [{"description": "Fee", "amount": "1.00"}],
        )
    first = http.get(INVOICES, params={"marketplaceId": DE}).json()
    assert len(first["invoices"]) == 100
    changed = http.get(
        INVOICES,
        params={
            "marketplaceId": DE,
            "nextToken": first["nextToken"],
            "invoicesModifiedAfter": ago(days=1),
        },
    )
    assert changed.status_code == 400
    emulator.reset_calls()


def test_an_invoice_is_read_in_its_marketplace_only(http, emulator):
    now = datetime.now(timezone.utc)
    emulator.store.add_fee_invoice(
        SELLER_ID,
        DE,
        "INV-DE",
        now - timedelta(days=2),
        [{"description": "Fee", "amount": "2.00", "tax": "0.38"}],
    )
    data = http.get(f"{INVOICES}/INV-DE", params={"marketplaceId": DE}).json()
    assert data["invoiceHeader"]["invoiceAmount"] == {"currencyCode": "EUR", "currencyAmount": 2.38}
    assert http.get(f"{INVOICES}/INV-DE", params={"marketplaceId": US}).status_code == 404
    assert http.get(f"{INVOICES}/INV-DE").status_code == 400  # marketplaceId is required
    emulator.reset_calls()


# --- Login with Amazon: grant types, client authentication, tokens bound ------------------------
def _token(emulator, **form):
    data = {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **form,
    }
    return httpx.post(f"{emulator.url}/auth/o2/token", data={k: v for k, v in data.items() if v})


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "unsupported_grant_type"),
        ({"client_secret": "guessed"}, 401, "invalid_client"),
        ({"client_id": "amzn1.application-oa2-client.unknown"}, 401, "invalid_client"),
        ({"refresh_token": "Atzr|forged"}, 400, "invalid_grant"),
        ({"grant_type": "authorization_code", "code": "never-issued"}, 400, "invalid_grant"),
    ],
)
def test_lwa_refuses_what_it_should(emulator, form, status, error):
    response = _token(emulator, **form)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_a_refresh_token_is_bound_to_its_app_and_seller(emulator):
    store = emulator.store
    store.add_app("amzn1.application-oa2-client.other", "other-secret")
    # The seller's token, presented by another app, is refused.
    response = _token(
        emulator, client_id="amzn1.application-oa2-client.other", client_secret="other-secret"
    )
    assert response.json()["error"] == "invalid_grant"
    # Another seller's token opens that seller's data only.
    store.add_seller("AOTHERSELLER", [DE], client_id=CLIENT_ID, refresh_token="Atzr|other-seller")
    order = store.add_order(
        SELLER_ID, DE, [{"sku": "A", "title": "A", "quantity": 1, "unit_price": "1.00"}]
    )
    other = access_token(emulator.url, refresh_token="Atzr|other-seller")
    headers = {"x-amz-access-token": other}
    found = httpx.get(f"{emulator.url}/orders/2026-01-01/orders/{order.order_id}", headers=headers)
    assert found.status_code == 404
    listed = httpx.get(
        f"{emulator.url}/orders/2026-01-01/orders",
        params={"marketplaceIds": DE, "createdAfter": ago(hours=3)},
        headers=headers,
    ).json()
    assert listed["orders"] == []


def test_listings_take_an_issue_locale_of_the_documented_form(http, emulator):
    emulator.store.add_listing(SELLER_ID, "MUG-01", [DE], quantity=1)
    ok = http.get(LISTING, params={"marketplaceIds": DE, "issueLocale": "fr_FR"})
    assert ok.status_code == 200
    patch = {
        "productType": "PRODUCT",
        "patches": [{"op": "merge", "path": "/attributes/item_name", "value": [{"value": "M"}]}],
    }
    for method, body in (("GET", None), ("PATCH", patch)):
        bad = http.request(
            method, LISTING, params={"marketplaceIds": DE, "issueLocale": "french"}, json=body
        )
        assert bad.status_code == 400
        assert error_of(bad)["details"].startswith("issueLocale")
    assert emulator.store.get_listing(SELLER_ID, "MUG-01").attributes.get("item_name") is None


# --- searchListingsItems (issue #15) ----------------------------------------------------
LISTINGS = f"/listings/2021-08-01/items/{SELLER_ID}"


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"identifiersType": "EAN"}, "identifiers and identifiersType"),
        ({"identifiers": "4006381333931"}, "identifiers and identifiersType"),
        (
            {"identifiers": "X", "identifiersType": "SKU", "variationParentSku": "P"},
            "identifiers and variationParentSku",
        ),
        ({"variationParentSku": "P", "packageHierarchySku": "Q"}, "variationParentSku and"),
        ({"pageToken": "nonsense"}, "pageToken"),
        ({"issueLocale": "french"}, "issueLocale"),
    ],
)
def test_search_listings_refuses_what_amazon_refuses(http, params, detail):
    response = http.get(LISTINGS, params={"marketplaceIds": US, **params})
    assert response.status_code == 400
    assert detail in error_of(response)["details"]


@needs_models
@pytest.mark.parametrize(
    "params",
    [{"pageSize": 21}, {}, {"identifiersType": "BARCODE", "identifiers": "1"}],
)
def test_search_listings_checks_the_model(http, params):
    """pageSize maximum 20, marketplaceIds required, identifiersType's enum."""
    query = {"marketplaceIds": US, **params} if params != {} else {}
    response = http.get(LISTINGS, params=query)
    assert response.status_code == 400


def test_search_listings_pages_through_at_most_1000_skus(http, emulator):
    for n in range(1005):
        emulator.store.add_listing(SELLER_ID, f"SKU-{n:04d}", [US])
    seen, token, pages = [], None, 0
    while True:
        params = {"marketplaceIds": US, "pageSize": 20, "sortBy": "sku", "sortOrder": "ASC"}
        if token:
            params["pageToken"] = token
        body = http.get(LISTINGS, params=params).json()
        assert body["numberOfResults"] == 1005
        seen += [item["sku"] for item in body["items"]]
        pages += 1
        token = (body.get("pagination") or {}).get("nextToken")
        if not token:
            break
    assert (pages, len(seen), len(set(seen))) == (50, 1000, 1000)
    assert seen[:2] == ["SKU-0000", "SKU-0001"]


def test_a_repeated_query_parameter_is_refused(http):
    """Amazon's lists are one comma-delimited value (collectionFormat csv)."""
    response = http.get(LISTINGS, params=[("marketplaceIds", US), ("marketplaceIds", DE)])
    assert response.status_code == 400
    assert error_of(response)["details"].startswith("marketplaceIds: sent 2 times")


def test_fba_inventory_summaries_follow_the_model(http, emulator):
    """What getInventorySummaries refuses, as its model says, and what it
    serves: details only when asked, changes since startDateTime only."""
    store = emulator.store
    store.set_fba_stock(SELLER_ID, DE, "OLD", fulfillable=4)
    store.fba_stock[(SELLER_ID, DE, "OLD")].last_updated_time -= timedelta(days=2)
    store.set_fba_stock(SELLER_ID, DE, "NEW", fulfillable=6, reserved=2)
    path = "/fba/inventory/v1/summaries"
    base = {"granularityType": "Marketplace", "granularityId": DE, "marketplaceIds": DE}
    refused = [
        ({**base, "granularityId": US}, "granularityId"),  # "specify the marketplaceId"
        ({k: v for k, v in base.items() if k != "marketplaceIds"}, "marketplaceIds"),
        ({**base, "marketplaceIds": f"{DE},{US}"}, "marketplaceIds"),  # maxItems 1
        ({**base, "granularityType": "Country"}, "granularityType"),
        ({**base, "startDateTime": ago(days=600)}, "18 months"),
        ({**base, "nextToken": "forged"}, "nextToken"),
    ]
    for params, word in refused:
        response = http.get(path, params=params)
        assert response.status_code == 400, params
        assert word in json.dumps(error_of(response)), (params, error_of(response))
    bare = http.get(path, params=base).json()
    assert [s["sellerSku"] for s in bare["payload"]["inventorySummaries"]] == ["NEW", "OLD"]
    assert "inventoryDetails" not in bare["payload"]["inventorySummaries"][0]
    detailed = http.get(path, params={**base, "details": "true"}).json()
    new = detailed["payload"]["inventorySummaries"][0]
    assert new["inventoryDetails"]["fulfillableQuantity"] == 6
    assert new["inventoryDetails"]["reservedQuantity"]["totalReservedQuantity"] == 2
    assert new["totalQuantity"] == 8
    # startDateTime: changed since then only, sellerSku ignored.
    changed = http.get(
        path, params={**base, "startDateTime": ago(days=1), "sellerSku": "OLD"}
    ).json()
    assert [s["sellerSku"] for s in changed["payload"]["inventorySummaries"]] == ["NEW"]


def test_fba_inventory_next_page_repeats_the_query_within_30_seconds(http, emulator):
    for n in range(60):
        emulator.store.set_fba_stock(SELLER_ID, DE, f"S{n:02d}", fulfillable=1)
    path = "/fba/inventory/v1/summaries"
    base = {"granularityType": "Marketplace", "granularityId": DE, "marketplaceIds": DE}
    query = {**base, "startDateTime": ago(days=1)}
    first = http.get(path, params=query).json()
    token = first["pagination"]["nextToken"]
    # "use both startDateTime and nextToken to get the next page"
    response = http.get(path, params={**base, "nextToken": token})
    assert response.status_code == 400
    first = http.get(path, params=query).json()
    emulator.store.fba_pages[first["pagination"]["nextToken"]].issued -= 31
    response = http.get(path, params={**query, "nextToken": first["pagination"]["nextToken"]})
    assert response.status_code == 400  # "expire 30 seconds after being created"
    assert "expired" in json.dumps(error_of(response))
    # In time and with the same query, the next page comes.
    first = http.get(path, params=query).json()
    second = http.get(path, params={**query, "nextToken": first["pagination"]["nextToken"]})
    assert len(second.json()["payload"]["inventorySummaries"]) == 10


def test_reports_follow_the_model(http, emulator):
    """What createReport, getReport and getReportDocument refuse, as the
    Reports API model says, and the states a report goes through."""
    store = emulator.store
    store.add_return(SELLER_ID, DE, "302-1", "MUG", 1, fulfilled_by="AMAZON")
    path = "/reports/2021-06-30/reports"
    base = {"reportType": "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA", "marketplaceIds": [DE]}
    future = iso(datetime.now(timezone.utc) + timedelta(hours=1))
    refused = [
        ({k: v for k, v in base.items() if k != "marketplaceIds"}, "marketplaceIds"),
        ({**base, "marketplaceIds": []}, "marketplaceIds"),  # minItems 1
        ({**base, "dataEndTime": future}, "prior to or equal to the current"),
        ({**base, "dataStartTime": ago(days=1), "dataEndTime": ago(days=2)}, "dataStartTime"),
        ({**base, "reportType": "GET_NO_SUCH_REPORT"}, "GET_NO_SUCH_REPORT"),
    ]
    for body, word in refused:
        response = http.post(path, json=body)
        assert response.status_code == 400, body
        assert word in json.dumps(error_of(response)), (body, error_of(response))
    created = http.post(path, json={**base, "dataStartTime": ago(days=2)})
    assert created.status_code == 202
    report_id = created.json()["reportId"]
    states = [http.get(f"{path}/{report_id}").json()["processingStatus"] for _ in range(3)]
    assert states == ["IN_PROGRESS", "DONE", "DONE"]
    report = http.get(f"{path}/{report_id}").json()
    document = http.get(f"/reports/2021-06-30/documents/{report['reportDocumentId']}").json()
    assert document["compressionAlgorithm"] == "GZIP"
    content = gzip.decompress(httpx.get(document["url"]).content).decode()
    header, row = content.splitlines()
    assert header.split("\t")[:3] == ["return-date", "order-id", "sku"]
    assert row.split("\t")[1:3] == ["302-1", "MUG"]
    # "This URL expires after 5 minutes."
    stale = document["url"].rsplit("=", 1)[0] + f"={time.time() - 1:.0f}"
    assert httpx.get(stale).status_code == 403
    # A report id is "unique only in combination with a seller ID".
    store.add_seller("AOTHERSELLER", [DE], client_id=CLIENT_ID, refresh_token="Atzr|other-seller")
    other = httpx.Client(
        base_url=emulator.url,
        headers={
            "x-amz-access-token": access_token(emulator.url, refresh_token="Atzr|other-seller")
        },
    )
    assert other.get(f"{path}/{report_id}").status_code == 404
    assert (
        other.get(f"/reports/2021-06-30/documents/{report['reportDocumentId']}").status_code == 404
    )
    # Nothing to report: "an automatic cancellation if there is no data to return".
    empty = http.post(path, json={**base, "dataStartTime": ago(days=9), "dataEndTime": ago(days=8)})
    report_id = empty.json()["reportId"]
    states = [http.get(f"{path}/{report_id}").json() for _ in range(2)]
    assert [s["processingStatus"] for s in states] == ["IN_PROGRESS", "CANCELLED"]
    assert "reportDocumentId" not in states[-1]


def test_list_transactions_follows_the_model(http, emulator):
    """What listTransactions refuses, as Finances 2024-06-19 says, and what it
    serves: the window's transactions, by order or payout when asked."""
    store = emulator.store
    posted = datetime.now(timezone.utc) - timedelta(days=3)
    sale = store.add_transaction(
        SELLER_ID,
        DE,
        "Shipment",
        posted=posted,
        order_id="302-1",
        group_id="G1",
        items=[{"sku": "MUG", "quantity": 2, "breakdowns": [("ProductCharges", "23.80")]}],
        breakdowns=[("AmazonFees", "-3.57")],
    )
    store.add_transaction(
        SELLER_ID,
        DE,
        "Refund",
        posted=posted + timedelta(days=1),
        order_id="302-1",
        group_id="G2",
        items=[{"sku": "MUG", "quantity": 1, "breakdowns": [("ProductCharges", "-11.90")]}],
    )
    path = "/finances/2024-06-19/transactions"
    refused = [
        ({}, "postedAfter is required"),  # "required if you do not specify a related identifier"
        ({"postedAfter": ago(minutes=1)}, "two minutes"),
        ({"postedAfter": ago(days=5), "postedBefore": ago(minutes=1)}, "two minutes"),
        ({"postedAfter": ago(days=5), "postedBefore": ago(days=6)}, "later than postedAfter"),
        ({"relatedIdentifierName": "ORDER_ID"}, "go together"),
        ({"relatedIdentifierName": "REFUND_ID", "relatedIdentifierValue": "R1"}, "filtering"),
    ]
    for params, word in refused:
        response = http.get(path, params=params)
        assert response.status_code == 400, params
        assert word in json.dumps(error_of(response)), (params, error_of(response))
    window = http.get(path, params={"postedAfter": ago(days=5)}).json()["payload"]
    assert [t["transactionType"] for t in window["transactions"]] == ["Shipment", "Refund"]
    first = window["transactions"][0]
    assert first["totalAmount"] == {"currencyCode": "EUR", "currencyAmount": float(sale.total)}
    assert first["items"][0]["contexts"][0]["sku"] == "MUG"
    by_group = http.get(
        path,
        params={
            "relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID",
            "relatedIdentifierValue": "G2",
        },
    ).json()["payload"]["transactions"]
    assert [t["transactionType"] for t in by_group] == ["Refund"]
    # "If PostedAfter and PostedBefore are more than 180 days apart, the response is empty."
    wide = http.get(path, params={"postedAfter": ago(days=200)}).json()["payload"]
    assert wide["transactions"] == []


def test_list_financial_event_groups_follows_the_model(http, emulator):
    """listFinancialEventGroups (Finances v0): what it refuses, and the payout
    periods it serves, totalled from their transactions, page after page with
    the same arguments."""
    store = emulator.store
    start = datetime.now(timezone.utc) - timedelta(days=20)
    for number in range(3):
        store.add_event_group(
            SELLER_ID,
            f"FEG-{number}",
            "EUR",
            start + timedelta(days=7 * number),
            processing_status="Closed" if number < 2 else "Open",
            fund_transfer_status="Succeeded" if number < 2 else "",
            transfer_date=start + timedelta(days=7 * number + 8) if number < 2 else None,
            end=start + timedelta(days=7 * number + 7) if number < 2 else None,
            trace_id=f"TRACE-{number}" if number < 2 else "",
        )
    store.add_transaction(
        SELLER_ID,
        DE,
        "Shipment",
        posted=start + timedelta(days=1),
        group_id="FEG-0",
        items=[{"sku": "MUG", "quantity": 1, "breakdowns": [("ProductCharges", "11.90")]}],
        breakdowns=[("AmazonFees", "-1.79")],
    )
    path = "/finances/v0/financialEventGroups"
    refused = [
        ({"FinancialEventGroupStartedAfter": ago(minutes=1)}, "two minutes"),
        (
            {
                "FinancialEventGroupStartedAfter": ago(days=30),
                "FinancialEventGroupStartedBefore": ago(minutes=1),
            },
            "two minutes",
        ),
        (
            {
                "FinancialEventGroupStartedAfter": ago(days=5),
                "FinancialEventGroupStartedBefore": ago(days=6),
            },
            "must be after",
        ),
        ({"MaxResultsPerPage": 101}, "MaxResultsPerPage"),  # "maximum": 100
        ({"MaxResultsPerPage": 0}, "MaxResultsPerPage"),
    ]
    for params, word in refused:
        response = http.get(path, params=params)
        assert response.status_code == 400, params
        assert word in json.dumps(error_of(response)), (params, error_of(response))
    query = {"FinancialEventGroupStartedAfter": ago(days=30), "MaxResultsPerPage": 2}
    first = http.get(path, params=query).json()["payload"]
    closed, _second = first["FinancialEventGroupList"]
    assert closed["FinancialEventGroupId"] == "FEG-0"
    assert closed["ProcessingStatus"] == "Closed"
    assert closed["OriginalTotal"] == {"CurrencyCode": "EUR", "CurrencyAmount": 10.11}
    assert closed["TraceId"] == "TRACE-0" and "FundTransferDate" in closed
    # The next page: "include the same arguments as the call that produced the token".
    other = http.get(path, params={"NextToken": first["NextToken"]})
    assert other.status_code == 400
    again = http.get(path, params={**query, "NextToken": first["NextToken"]})
    assert again.status_code == 400, "a token serves once"
    first = http.get(path, params=query).json()["payload"]
    (open_group,) = http.get(path, params={**query, "NextToken": first["NextToken"]}).json()[
        "payload"
    ]["FinancialEventGroupList"]
    # "Only present for closed settlements."
    assert open_group["ProcessingStatus"] == "Open" and "FundTransferDate" not in open_group
    # "more than 180 days apart, no financial event groups are returned"
    wide = http.get(
        path,
        params={
            "FinancialEventGroupStartedAfter": ago(days=200),
            "FinancialEventGroupStartedBefore": ago(days=1),
        },
    ).json()["payload"]
    assert wide["FinancialEventGroupList"] == []
