"""The SP-API adapter driven against the emulator over loopback, through the
real python-amazon-sp-api client."""

import json
import logging
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from conftest import CLIENT_ID, CLIENT_SECRET, DE, REFRESH_TOKEN, SELLER_ID, UK, US

from mapping.fba import parse_inventory_summary
from mapping.fee_invoices import parse_fee_invoice
from mapping.finances import by_kind, parse_transaction
from mapping.invoices import parse_vat_invoice_report, vat_invoice_options
from mapping.returns import (
    FBA_RETURNS_REPORT,
    FBM_RETURNS_REPORT,
    parse_fba_return,
    parse_fbm_return,
    read_tsv,
)
from spapi import (
    FEED_FINAL_STATUSES,
    ORDER_INCLUDED_DATA,
    Endpoint,
    SpApiAuthError,
    SpApiNotFoundError,
    SpApiRequestError,
    SpApiResponseError,
    SpApiThrottledError,
    SpApiUnavailableError,
    TokenCache,
    exchange_authorization_code,
)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def hours_ago(hours):
    return iso(datetime.now(timezone.utc) - timedelta(hours=hours))


def seed_orders(emulator, count, marketplace=US, **values):
    return [
        emulator.store.add_order(
            SELLER_ID,
            marketplace,
            [{"sku": f"SKU-{n}", "title": f"Item {n}", "quantity": 1, "unit_price": "10.00"}],
            **values,
        )
        for n in range(count)
    ]


# --- Sellers and credentials ---------------------------------------------------------


def test_marketplace_participations(adapter):
    participations = adapter.get_marketplace_participations()
    assert {p["marketplace"]["id"] for p in participations} == {US, DE}
    assert {p["marketplace"]["defaultCurrencyCode"] for p in participations} == {"USD", "EUR"}


def test_access_token_is_cached_across_calls(adapter, emulator):
    for _ in range(3):
        adapter.get_marketplace_participations()
    assert len(emulator.calls_for("lwaToken")) == 1
    assert adapter.stats.calls["lwaToken"] == 1
    assert adapter.stats.calls["getMarketplaceParticipations"] == 3


def test_expired_token_is_refreshed_once_and_the_call_retried(adapter, emulator):
    adapter.get_marketplace_participations()
    emulator.store.expire_access_tokens()
    participations = adapter.get_marketplace_participations()
    assert len(participations) == 2
    assert len(emulator.calls_for("lwaToken")) == 2
    statuses = [c.status for c in emulator.calls_for("getMarketplaceParticipations")]
    assert statuses == [200, 403, 200]


def test_bad_client_secret_is_a_clear_auth_error(make_adapter, emulator):
    adapter = make_adapter(client_secret="wrong")
    with pytest.raises(SpApiAuthError) as caught:
        adapter.get_marketplace_participations()
    assert "invalid_client" in str(caught.value) or "Client authentication" in str(caught.value)
    assert not emulator.calls_for("getMarketplaceParticipations")


def test_revoked_refresh_token_is_an_auth_error(make_adapter, emulator):
    emulator.store.revoke(REFRESH_TOKEN)
    with pytest.raises(SpApiAuthError, match="refused the credentials"):
        make_adapter().get_marketplace_participations()


def test_missing_credentials_fail_before_any_call(make_adapter, emulator):
    with pytest.raises(SpApiAuthError):
        make_adapter(client_secret="")
    assert emulator.calls == []


def test_authorization_code_exchange(emulator):
    code = emulator.store.issue_auth_code(CLIENT_ID, SELLER_ID)
    endpoint = Endpoint.custom(emulator.url)
    refresh_token = exchange_authorization_code(
        endpoint, CLIENT_ID, CLIENT_SECRET, code, token_cache=TokenCache()
    )
    assert refresh_token.startswith("Atzr|")
    assert emulator.store.refresh_tokens[refresh_token] == (CLIENT_ID, SELLER_ID)
    # A code works once: a replay is refused.
    with pytest.raises(SpApiAuthError, match=r"invalid_grant|authorization code"):
        exchange_authorization_code(endpoint, CLIENT_ID, CLIENT_SECRET, code)


def one_item_package(order):
    """A package shipping one unit of the order's first item."""
    return {
        "packageReferenceId": "1",
        "carrierCode": "UPS",
        "trackingNumber": "1Z",
        "shipDate": iso(datetime.now(timezone.utc)),
        "orderItems": [{"orderItemId": order.items[0].order_item_id, "quantity": 1}],
    }


# --- Orders ------------------------------------------------------------------------------


def test_search_orders_paginates_lazily(adapter, emulator):
    seed_orders(emulator, 5)
    pages = adapter.iter_order_pages(
        marketplace_ids=[US], last_updated_after=hours_ago(1), page_size=2
    )
    first = next(pages)
    assert len(first.orders) == 2 and first.next_token
    assert len(emulator.calls_for("searchOrders")) == 1  # nothing fetched ahead
    rest = list(pages)
    assert [len(p.orders) for p in rest] == [2, 1]
    assert rest[-1].next_token is None
    ids = [o["orderId"] for p in [first, *rest] for o in p.orders]
    assert len(set(ids)) == 5
    assert len(emulator.calls_for("searchOrders")) == 3
    assert first.last_updated_before  # the window Amazon actually searched
    # Every page carries the whole query, as Amazon binds its tokens to it, and
    # every order keeps the datasets the import needs.
    calls = emulator.calls_for("searchOrders")
    assert [c.status for c in calls] == [200, 200, 200]
    queries = [{k: v for k, v in c.params.items() if k != "paginationToken"} for c in calls]
    assert queries[0] == queries[1] == queries[2]
    assert set(queries[0]["includedData"].split(",")) == set(ORDER_INCLUDED_DATA)
    assert all(o["fulfillment"] for p in [first, *rest] for o in p.orders)


def test_search_orders_sends_the_filters(adapter, emulator):
    seed_orders(emulator, 2, fulfilled_by="AMAZON", status="SHIPPED")
    seed_orders(emulator, 1, fulfilled_by="MERCHANT", status="UNSHIPPED")
    pages = adapter.iter_order_pages(
        marketplace_ids=[US],
        last_updated_after=hours_ago(1),
        fulfilled_by=["AMAZON"],
        fulfillment_statuses=["SHIPPED", "CANCELLED"],
    )
    orders = [order for page in pages for order in page.orders]
    assert len(orders) == 2
    assert {o["fulfillment"]["fulfilledBy"] for o in orders} == {"AMAZON"}
    params = emulator.calls_for("searchOrders")[0].params
    assert params["fulfilledBy"] == "AMAZON"
    assert params["fulfillmentStatuses"] == "SHIPPED,CANCELLED"
    assert set(params["includedData"].split(",")) >= {"BUYER", "RECIPIENT", "PROCEEDS"}


def test_search_orders_rejects_a_too_recent_window(adapter):
    with pytest.raises(SpApiRequestError) as caught:
        list(
            adapter.iter_order_pages(
                marketplace_ids=[US],
                last_updated_after=hours_ago(1),
                last_updated_before=iso(datetime.now(timezone.utc)),
            )
        )
    assert caught.value.status == 400
    assert caught.value.code == "InvalidInput"
    assert "two minutes" in caught.value.details


def test_get_order_and_not_found(adapter, emulator):
    (order,) = seed_orders(emulator, 1, marketplace=DE)
    data = adapter.get_order(order.order_id)
    assert data["orderId"] == order.order_id
    assert data["salesChannel"]["marketplaceId"] == DE
    assert data["proceeds"]["grandTotal"] == {"amount": "10.00", "currencyCode": "EUR"}
    with pytest.raises(SpApiNotFoundError):
        adapter.get_order("999-0000000-0000000")


def test_confirm_shipment_records_the_package(adapter, emulator):
    order = emulator.store.add_order(
        SELLER_ID,
        US,
        [
            {"sku": "A", "title": "A", "quantity": 2, "unit_price": "5.00"},
            {"sku": "B", "title": "B", "quantity": 1, "unit_price": "7.00"},
        ],
    )
    first, second = order.items
    package = {
        "packageReferenceId": "1",
        "carrierCode": "UPS",
        "carrierName": "UPS",
        "shippingMethod": "Ground",
        "trackingNumber": "1Z999",
        "shipDate": iso(datetime.now(timezone.utc)),
        "orderItems": [{"orderItemId": first.order_item_id, "quantity": 1}],
    }
    adapter.confirm_shipment(order.order_id, US, package)
    assert order.status == "PARTIALLY_SHIPPED"
    # Re-sending the same package reference edits it rather than adding one.
    package["trackingNumber"] = "1Z999-fixed"
    adapter.confirm_shipment(order.order_id, US, package)
    assert [p.tracking_number for p in order.packages] == ["1Z999-fixed"]
    package = {
        **package,
        "packageReferenceId": "2",
        "orderItems": [
            {"orderItemId": first.order_item_id, "quantity": 1},
            {"orderItemId": second.order_item_id, "quantity": 1},
        ],
    }
    adapter.confirm_shipment(order.order_id, US, package)
    assert order.status == "SHIPPED"
    call = emulator.calls_for("confirmShipment")[-1]
    assert call.body["packageDetail"]["orderItems"] == package["orderItems"]
    assert call.status == 204
    with pytest.raises(SpApiRequestError, match="exceeds"):
        adapter.confirm_shipment(order.order_id, US, {**package, "packageReferenceId": "3"})


def test_confirm_shipment_refuses_more_than_is_left_to_ship(adapter, emulator):
    """Issue #40: 2 of 6 mugs left in Seller Central; Amazon refuses a package of
    6 ("quantityUnfulfilled": what remains to be shipped) and takes the 4 left."""
    order = emulator.store.add_order(
        SELLER_ID, US, [{"sku": "MUG", "title": "Mug", "quantity": 6, "unit_price": "5.00"}]
    )
    emulator.store.ship_elsewhere(order.order_id, {"MUG": 2})
    assert order.status == "PARTIALLY_SHIPPED"
    (item,) = adapter.get_order(order.order_id)["orderItems"]
    assert item["fulfillment"]["quantityFulfilled"] == 2
    assert item["fulfillment"]["quantityUnfulfilled"] == 4
    package = {
        "packageReferenceId": "7",
        "carrierCode": "UPS",
        "trackingNumber": "1Z7",
        "shipDate": iso(datetime.now(timezone.utc)),
        "orderItems": [{"orderItemId": order.items[0].order_item_id, "quantity": 6}],
    }
    with pytest.raises(SpApiRequestError, match="exceeds the quantity left to ship"):
        adapter.confirm_shipment(order.order_id, US, package)
    assert order.packages == []
    package["orderItems"][0]["quantity"] = 4
    adapter.confirm_shipment(order.order_id, US, package)
    assert order.status == "SHIPPED"
    # Re-sent, the same package replaces its own units: still within the order.
    adapter.confirm_shipment(order.order_id, US, package)
    assert order.items[0].quantity_shipped == 6


def test_confirm_shipment_refuses_fba_orders(adapter, emulator):
    (order,) = seed_orders(emulator, 1, fulfilled_by="AMAZON", status="UNSHIPPED")
    with pytest.raises(SpApiRequestError, match="fulfilled by Amazon"):
        adapter.confirm_shipment(
            order.order_id,
            US,
            one_item_package(order),
        )
    assert order.packages == []


# --- Listings and feeds ------------------------------------------------------------------


def test_listings_get_and_patch_keep_other_attributes(adapter, emulator):
    emulator.store.add_listing(SELLER_ID, "MUG 01/blue", [US], quantity=4, handling_time=5)
    item = adapter.get_listings_item(
        SELLER_ID, "MUG 01/blue", [US], included_data=["summaries", "fulfillmentAvailability"]
    )
    assert item["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 4}]
    result = adapter.patch_listings_item(
        SELLER_ID,
        "MUG 01/blue",
        [US],
        "PRODUCT",
        [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 9}],
            }
        ],
    )
    assert result["status"] == "ACCEPTED"
    listing = emulator.store.get_listing(SELLER_ID, "MUG 01/blue")
    assert (listing.quantity, listing.handling_time) == (9, 5)
    with pytest.raises(SpApiNotFoundError):
        adapter.get_listings_item(SELLER_ID, "NOPE", [US])


def test_patch_with_a_bad_quantity_is_invalid_and_changes_nothing(adapter, emulator):
    emulator.store.add_listing(SELLER_ID, "SKU-1", [US], quantity=4)
    result = adapter.patch_listings_item(
        SELLER_ID,
        "SKU-1",
        [US],
        "PRODUCT",
        [
            {
                "op": "merge",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": -3}],
            }
        ],
    )
    assert result["status"] == "INVALID"
    assert result["issues"][0]["severity"] == "ERROR"
    assert emulator.store.get_listing(SELLER_ID, "SKU-1").quantity == 4


def test_json_listings_feed_round_trip(adapter, emulator):
    for sku in ("A", "B"):
        emulator.store.add_listing(SELLER_ID, sku, [US], quantity=1)

    def message(message_id, sku, quantity):
        return {
            "messageId": message_id,
            "sku": sku,
            "operationType": "PATCH",
            "productType": "PRODUCT",
            "patches": [
                {
                    "op": "merge",
                    "path": "/attributes/fulfillment_availability",
                    "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
                }
            ],
        }

    feed_id = adapter.submit_json_listings_feed(
        SELLER_ID, [US], [message(1, "A", 7), message(2, "B", 3), message(3, "GHOST", 1)]
    )
    feed, report = adapter.get_feed_report(feed_id)
    assert feed["processingStatus"] == "DONE"
    assert report["summary"]["messagesAccepted"] == 2
    assert [(i["messageId"], i["sku"]) for i in report["issues"]] == [(3, "GHOST")]
    assert emulator.store.get_listing(SELLER_ID, "A").quantity == 7
    assert emulator.store.get_listing(SELLER_ID, "B").quantity == 3
    uploaded = json.loads(emulator.calls_for("uploadFeedDocument")[0].body)
    assert uploaded["header"] == {"sellerId": SELLER_ID, "version": "2.0", "issueLocale": "en_US"}


def test_feed_report_is_none_until_processed(adapter, emulator):
    emulator.store.add_listing(SELLER_ID, "A", [US], quantity=1)
    emulator.store.feed_processing_delay = 3600
    feed_id = adapter.submit_json_listings_feed(
        SELLER_ID,
        [US],
        [{"messageId": 1, "sku": "A", "operationType": "DELETE"}],
    )
    feed, report = adapter.get_feed_report(feed_id)
    assert feed["processingStatus"] == "IN_QUEUE"
    assert report is None


# --- Throttling, faults and logs ------------------------------------------------------


def test_a_burst_beyond_the_bucket_is_absorbed_with_the_right_delay(adapter, emulator, sleeps):
    (order,) = seed_orders(emulator, 1)
    # 5 requests per second, burst 2, at real speed: 6 calls need 4 refills.
    emulator.limiter.speed = 1
    emulator.limiter.set_plan("getOrder", 5.0, 2)
    for _ in range(6):
        assert adapter.get_order(order.order_id)["orderId"] == order.order_id
    statuses = [c.status for c in emulator.calls_for("getOrder")]
    assert statuses.count(200) == 6
    assert 429 in statuses  # Amazon's bucket was smaller than the default plan
    assert adapter.stats.throttled["getOrder"] == statuses.count(429)
    # Four missing tokens at 5/s: about 0.8 s of waiting in all (less the
    # time the requests themselves took), and no more.
    assert 0.6 <= sleeps.total <= 1.5


def test_throttled_beyond_the_retries_raises_a_typed_error(make_adapter, emulator):
    adapter = make_adapter(max_throttle_retries=2)
    emulator.faults.add("getMarketplaceParticipations", "throttle", count=5)
    with pytest.raises(SpApiThrottledError) as caught:
        adapter.get_marketplace_participations()
    assert caught.value.status == 429
    assert caught.value.retryable
    assert adapter.stats.throttled["getMarketplaceParticipations"] == 3
    assert len(emulator.calls_for("getMarketplaceParticipations")) == 3


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("throttle", SpApiThrottledError),
        ("server_error", SpApiUnavailableError),
        ("unavailable", SpApiUnavailableError),
        ("timeout", SpApiUnavailableError),
        ("drop", SpApiUnavailableError),
        ("malformed", SpApiResponseError),
    ],
)
def test_each_fault_is_retried_then_typed(make_adapter, emulator, fault, error):
    emulator.faults.timeout_seconds = 1.0
    adapter = make_adapter(timeout=0.5, max_retries=2, max_throttle_retries=2)
    # A transient fault is absorbed by the retries...
    emulator.faults.add("getMarketplaceParticipations", fault, count=2)
    assert len(adapter.get_marketplace_participations()) == 2
    # ...a persistent one ends in a typed error.
    emulator.faults.add("getMarketplaceParticipations", fault, count=3)
    with pytest.raises(error) as caught:
        adapter.get_marketplace_participations()
    assert caught.value.operation == "getMarketplaceParticipations"
    assert caught.value.retryable


def test_a_failed_confirmation_writes_nothing(make_adapter, emulator):
    (order,) = seed_orders(emulator, 1)
    adapter = make_adapter(max_retries=1)
    emulator.faults.add("confirmShipment", "drop", count=2)
    with pytest.raises(SpApiUnavailableError):
        adapter.confirm_shipment(
            order.order_id,
            US,
            one_item_package(order),
        )
    assert order.packages == [] and order.status == "UNSHIPPED"


def test_emulator_down_is_unavailable(make_adapter, emulator):
    emulator.stop()
    adapter = make_adapter(max_retries=1)
    with pytest.raises(SpApiUnavailableError, match="could not be reached"):
        adapter.get_marketplace_participations()
    emulator.calls.clear()


def test_no_secret_or_token_reaches_the_logs(adapter, emulator, caplog):
    emulator.faults.add("getMarketplaceParticipations", "throttle")
    with caplog.at_level(logging.DEBUG):
        adapter.get_marketplace_participations()
        emulator.store.expire_access_tokens()
        adapter.get_marketplace_participations()
    text = "\n".join(record.getMessage() for record in caplog.records)
    secrets = [CLIENT_SECRET, REFRESH_TOKEN, *emulator.store.access_tokens]
    assert "retrying" in text  # the throttle was logged...
    assert not [s for s in secrets if s in text]  # ...without any secret
    assert CLIENT_SECRET not in repr(adapter)


def test_a_cancelled_feed_is_final_without_a_report(adapter, emulator):
    emulator.store.add_listing(SELLER_ID, "A", [US], quantity=1)
    emulator.store.feed_processing_delay = 3600
    feed_id = adapter.submit_json_listings_feed(
        SELLER_ID, [US], [{"messageId": 1, "sku": "A", "operationType": "DELETE"}]
    )
    emulator.store.cancel_feed(feed_id)
    emulator.store.feed_processing_delay = 0
    feed, report = adapter.get_feed_report(feed_id)
    assert (feed["processingStatus"], report) == ("CANCELLED", None)
    assert feed["processingStatus"] in FEED_FINAL_STATUSES
    assert emulator.store.get_listing(SELLER_ID, "A") is not None  # nothing applied


@pytest.mark.parametrize(
    ("change", "marketplace", "match"),
    [
        ({"carrierCode": "Other", "carrierName": None}, US, "carrierName"),
        ({"packageReferenceId": "0"}, US, "positive"),
        ({"packageReferenceId": "PKG-1"}, US, "positive"),
        ({}, DE, "marketplace"),  # the order is on amazon.com
    ],
)
def test_confirm_shipment_rules_of_the_model(adapter, emulator, change, marketplace, match):
    (order,) = seed_orders(emulator, 1)
    package = {**one_item_package(order), **change}
    package = {k: v for k, v in package.items() if v is not None}
    with pytest.raises(SpApiRequestError, match=match):
        adapter.confirm_shipment(order.order_id, marketplace, package)
    assert order.packages == []
    # "Other" with the carrier's name is accepted.
    package = {**one_item_package(order), "carrierCode": "Other", "carrierName": "Hermes"}
    adapter.confirm_shipment(order.order_id, US, package)
    assert [p.carrier_name for p in order.packages] == ["Hermes"]


def test_listings_search_pages_with_the_same_query(adapter, emulator):
    """searchListingsItems: every page repeats the query; a listing is found by
    its barcode among its identifiers."""
    for n in range(45):
        emulator.store.add_listing(SELLER_ID, f"SKU-{n:02d}", [US, DE], quantity=n)
    emulator.store.add_listing(
        SELLER_ID, "EAN-ONLY", [DE], identifiers={"EAN": "4006381333931"}, quantity=3
    )
    emulator.store.add_listing(SELLER_ID, "DE-ONLY", [DE])
    pages = list(
        adapter.iter_listings_pages(
            SELLER_ID, [US, DE], included_data=["summaries", "fulfillmentAvailability"]
        )
    )
    assert [len(page["items"]) for page in pages] == [20, 20, 7]  # both marketplaces
    assert {page["number_of_results"] for page in pages} == {47}
    item = pages[0]["items"][0]
    assert item["fulfillmentAvailability"][0]["fulfillmentChannelCode"] == "DEFAULT"
    calls = emulator.calls_for("searchListingsItems")
    queries = [{k: v for k, v in c.params.items() if k != "pageToken"} for c in calls]
    assert queries[0] == queries[1] == queries[2]
    assert [bool(c.params.get("pageToken")) for c in calls] == [False, True, True]
    (found,) = adapter.iter_listings_pages(
        SELLER_ID, [DE], identifiers=["4006381333931"], identifiersType="EAN"
    )
    assert [item["sku"] for item in found["items"]] == ["EAN-ONLY"]


def test_a_listing_of_two_marketplaces_is_read_and_patched_in_one_call(adapter, emulator):
    """marketplaceIds goes as one comma-delimited value (the emulator refuses a
    repeated key)."""
    emulator.store.add_listing(SELLER_ID, "BOTH", [US, DE], quantity=2)
    item = adapter.get_listings_item(SELLER_ID, "BOTH", [US, DE])
    assert {s["marketplaceId"] for s in item["summaries"]} == {US, DE}
    patch = {
        "op": "merge",
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 5}],
    }
    result = adapter.patch_listings_item(SELLER_ID, "BOTH", [US, DE], "PRODUCT", [patch])
    assert result["status"] == "ACCEPTED"
    assert [c.status for c in emulator.calls_for("getListingsItem")] == [200]


def availability(quantity, channel="DEFAULT"):
    return {
        "op": "merge",
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": channel, "quantity": quantity}],
    }


def test_one_sku_is_offered_per_marketplace(adapter, emulator):
    """Amazon sets availability per seller, SKU and marketplace: a SKU FBA on
    amazon.com is merchant-fulfilled on amazon.de and amazon.co.uk, and a
    patch or a feed changes the marketplaces it names, no other."""
    emulator.store.sellers[SELLER_ID].marketplace_ids.append(UK)
    listing = emulator.store.add_listing(
        SELLER_ID, "MUG", [US, DE, UK], quantity=4, channels={US: "AMAZON_NA"}
    )
    (de,) = adapter.get_listings_item(
        SELLER_ID, "MUG", [DE], included_data=["fulfillmentAvailability"]
    )["fulfillmentAvailability"]
    (us,) = adapter.get_listings_item(
        SELLER_ID, "MUG", [US], included_data=["fulfillmentAvailability"]
    )["fulfillmentAvailability"]
    assert (de["fulfillmentChannelCode"], us["fulfillmentChannelCode"]) == ("DEFAULT", "AMAZON_NA")

    result = adapter.patch_listings_item(SELLER_ID, "MUG", [DE], "PRODUCT", [availability(9)])
    assert result["status"] == "ACCEPTED"
    quantities = {m: (o.channel, o.quantity) for m, o in listing.offers.items()}
    assert quantities == {US: ("AMAZON_NA", 4), DE: ("DEFAULT", 9), UK: ("DEFAULT", 4)}

    message = {
        "messageId": 1,
        "sku": "MUG",
        "operationType": "PATCH",
        "productType": "PRODUCT",
        "patches": [availability(2)],
    }
    feed_id = adapter.submit_json_listings_feed(SELLER_ID, [UK], [message])
    _feed, report = adapter.get_feed_report(feed_id)
    assert report["summary"]["messagesAccepted"] == 1
    quantities = {m: (o.channel, o.quantity) for m, o in listing.offers.items()}
    assert quantities == {US: ("AMAZON_NA", 4), DE: ("DEFAULT", 9), UK: ("DEFAULT", 2)}


def test_a_listing_is_read_and_changed_only_where_it_is_listed(adapter, emulator):
    """A SKU listed on amazon.de only is not found on amazon.com, a patch for
    amazon.com is refused with an issue, and searches per marketplace find it
    only where it is listed, with its status there."""
    emulator.store.add_listing(SELLER_ID, "DE-ONLY", [DE], quantity=0)
    with pytest.raises(SpApiNotFoundError):
        adapter.get_listings_item(SELLER_ID, "DE-ONLY", [US])
    result = adapter.patch_listings_item(SELLER_ID, "DE-ONLY", [US], "PRODUCT", [availability(3)])
    assert result["status"] == "INVALID"
    assert result["issues"][0]["code"] == "18000"
    assert emulator.store.get_listing(SELLER_ID, "DE-ONLY").quantity == 0
    assert [p["items"] for p in adapter.iter_listings_pages(SELLER_ID, [US])] == [[]]
    (page,) = adapter.iter_listings_pages(SELLER_ID, [DE], included_data=["summaries"])
    (summary,) = page["items"][0]["summaries"]
    # Out of stock on a merchant listing: visible, not buyable.
    assert (summary["marketplaceId"], summary["status"]) == (DE, ["DISCOVERABLE"])


def test_fba_inventory_pages_repeat_the_query_with_the_token(adapter, emulator):
    """getInventorySummaries: three pages of 50, each asked with the first
    page's parameters and the token; the buckets read with details."""
    for n in range(120):
        emulator.store.set_fba_stock(
            SELLER_ID,
            DE,
            f"FBA-{n:03d}",
            fulfillable=n,
            reserved=1,
            unfulfillable=2,
            inbound_shipped=3,
            researching=1,
        )
    emulator.store.set_fba_stock(SELLER_ID, US, "US-ONLY", fulfillable=9)
    pages = list(adapter.iter_fba_inventory_pages(DE))
    assert [len(page) for page in pages] == [50, 50, 20]
    quantities = [parse_inventory_summary(s) for page in pages for s in page]
    assert {q.sku for q in quantities} == {f"FBA-{n:03d}" for n in range(120)}
    seven = next(q for q in quantities if q.sku == "FBA-007")
    assert (seven.fulfillable, seven.reserved, seven.unfulfillable) == (7, 1, 2)
    assert (seven.inbound, seven.researching, seven.total) == (3, 1, 14)
    calls = emulator.calls_for("getInventorySummaries")
    queries = [{k: v for k, v in c.params.items() if k != "nextToken"} for c in calls]
    assert queries[0] == queries[1] == queries[2]
    assert queries[0]["granularityId"] == queries[0]["marketplaceIds"] == DE
    assert [bool(c.params.get("nextToken")) for c in calls] == [False, True, True]
    assert not any(c.unknown_params for c in calls)


def test_returns_report_read_through_its_states(adapter, emulator):
    """createReport, then getReport until DONE, then the gzip TSV document:
    the FBA returns of the window, each parsed; a window without returns is
    CANCELLED by Amazon and read as nothing to book."""
    store = emulator.store
    now = datetime.now(timezone.utc)
    store.add_return(
        SELLER_ID, DE, "302-1", "MUG", 2, fulfilled_by="AMAZON", license_plate_number="LPN1"
    )
    store.add_return(
        SELLER_ID, DE, "302-2", "TEE", 1, fulfilled_by="AMAZON", disposition="CUSTOMER_DAMAGED"
    )
    store.add_return(SELLER_ID, DE, "302-3", "LAMP", 1, fulfilled_by="MERCHANT", rma_id="R1")
    report_id = adapter.create_report(FBA_RETURNS_REPORT, [DE], now - timedelta(days=1), now)
    report, text = adapter.read_report(report_id)
    assert (report["processingStatus"], text) == ("IN_PROGRESS", None)
    report, text = adapter.read_report(report_id)
    assert report["processingStatus"] == "DONE"
    returns = sorted((parse_fba_return(row) for row in read_tsv(text)), key=lambda r: r.order_ref)
    assert [(r.order_ref, r.sku, r.quantity, r.sellable) for r in returns] == [
        ("302-1", "MUG", 2, True),
        ("302-2", "TEE", 1, False),
    ]
    assert returns[0].key == "fba|302-1|MUG|LPN1"
    (created,) = emulator.calls_for("createReport")
    assert created.body["dataEndTime"] <= datetime.now(timezone.utc).isoformat()
    fbm_id = adapter.create_report(FBM_RETURNS_REPORT, [DE], now - timedelta(days=1), now)
    adapter.read_report(fbm_id)
    _report, text = adapter.read_report(fbm_id)
    (fbm,) = [parse_fbm_return(row) for row in read_tsv(text)]
    assert (fbm.order_ref, fbm.rma, fbm.sku, fbm.quantity) == ("302-3", "R1", "LAMP", 1)
    empty = adapter.create_report(
        FBA_RETURNS_REPORT, [DE], now - timedelta(days=9), now - timedelta(days=8)
    )
    adapter.read_report(empty)
    report, text = adapter.read_report(empty)
    assert (report["processingStatus"], text) == ("CANCELLED", None)
    assert not any(c.unknown_params for c in emulator.calls)


def test_transactions_read_page_by_page_with_the_same_arguments(adapter, emulator):
    """listTransactions: 250 transactions in pages of 100, with an empty page
    Amazon may serve in between; every page asked with the first one's
    arguments and no marketplaceId."""
    store = emulator.store
    store.transaction_empty_pages = True
    start = datetime.now(timezone.utc) - timedelta(days=2)
    for n in range(250):
        store.add_transaction(
            SELLER_ID,
            DE if n % 2 else US,
            "Shipment",
            posted=start + timedelta(minutes=n),
            order_id=f"302-{n:04d}",
            items=[{"sku": "MUG", "quantity": 1, "breakdowns": [("ProductCharges", "10.00")]}],
        )
    pages = list(adapter.iter_transactions(posted_after=start - timedelta(minutes=1)))
    assert [len(page) for page in pages] == [100, 100, 0, 50]
    assert len({t["transactionId"] for page in pages for t in page}) == 250
    calls = emulator.calls_for("listTransactions")
    queries = [{k: v for k, v in c.params.items() if k != "nextToken"} for c in calls]
    assert all(query == queries[0] for query in queries)
    assert "marketplaceId" not in queries[0]
    assert not any(c.unknown_params for c in calls)
    # Read as plain values.
    first = parse_transaction(pages[0][0])
    assert (first.kind, first.order_ref, first.currency, first.total) == (
        "Shipment",
        "302-0000",
        "USD",
        Decimal("10.00"),
    )
    assert first.items[0].sku == "MUG"
    assert by_kind(first.items[0].breakdowns) == {"ProductCharges": Decimal("10.00")}


def test_payouts_read_page_by_page_as_plain_values(adapter, emulator):
    """listFinancialEventGroups: 150 payout periods in pages of 100 (the
    model's maximum), every page with the first one's arguments, nothing the
    model does not know; read as plain values."""
    from mapping.finances import parse_event_group  # noqa: PLC0415

    store = emulator.store
    start = datetime.now(timezone.utc) - timedelta(days=170)
    for n in range(150):
        store.add_event_group(
            SELLER_ID,
            f"FEG-{n:03d}",
            "EUR",
            start + timedelta(days=n),
            processing_status="Closed",
            fund_transfer_status="Succeeded",
            transfer_date=start + timedelta(days=n + 1),
            trace_id=f"T{n}",
        )
    store.add_transaction(
        SELLER_ID,
        DE,
        "Shipment",
        posted=start + timedelta(hours=1),
        group_id="FEG-000",
        items=[{"sku": "MUG", "quantity": 1, "breakdowns": [("ProductCharges", "11.90")]}],
    )
    pages = list(adapter.iter_event_groups(start - timedelta(minutes=1)))
    assert [len(page) for page in pages] == [100, 50]
    calls = emulator.calls_for("listFinancialEventGroups")
    queries = [{k: v for k, v in c.params.items() if k != "NextToken"} for c in calls]
    assert all(query == queries[0] for query in queries)
    assert not any(c.unknown_params for c in calls)
    first = parse_event_group(pages[0][0])
    assert (first.ref, first.closed, first.total, first.currency, first.trace_ref) == (
        "FEG-000",
        True,
        Decimal("11.90"),
        "EUR",
        "T0",
    )
    assert first.transfer_date is not None and first.transfer_date.tzinfo is None


# --- The seller's own invoices: UPLOAD_VAT_INVOICE --------------------------------------------
PDF = b"%PDF-1.4\n% an invoice\n%%EOF\n"


def test_an_eu_invoice_is_uploaded_as_a_pdf_feed_with_its_options(adapter, emulator):
    order = emulator.store.add_order(
        SELLER_ID,
        DE,
        [{"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "11.90"}],
    )
    options = vat_invoice_options(order.order_id, "INV/2026/00007", Decimal("23.80"), "3.80")
    feed_id = adapter.submit_vat_invoice(DE, PDF, options)
    feed, content = adapter.get_feed_result(feed_id)
    assert feed["processingStatus"] == "DONE"
    assert parse_vat_invoice_report(content) == (True, [])
    [received] = emulator.store.vat_invoices
    assert received.pdf == PDF
    assert received.options == {
        "metadata:OrderId": order.order_id,
        "metadata:InvoiceNumber": "INV/2026/00007",
        "metadata:TotalAmount": "23.80",
        "metadata:TotalVATAmount": "3.80",
        "metadata:DocumentType": "Invoice",
    }
    assert emulator.calls_for("createFeedDocument")[0].body["contentType"] == "application/pdf"


def test_an_invoice_amazon_rejects_says_why_in_its_report(adapter, emulator):
    order = emulator.store.add_order(
        SELLER_ID, DE, [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}]
    )
    options = vat_invoice_options(order.order_id, "INV-1", Decimal("11.00"), "1.76")
    _feed, content = adapter.get_feed_result(adapter.submit_vat_invoice(DE, PDF, options))
    accepted, errors = parse_vat_invoice_report(content)
    assert not accepted
    assert "TotalAmount 11.00 does not match the order's total 11.90 EUR." in errors[0]


def test_an_invoice_outside_the_vat_program_is_refused_at_once(adapter, emulator):
    order = emulator.store.add_order(
        SELLER_ID, US, [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}]
    )
    options = vat_invoice_options(order.order_id, "INV-2", Decimal("11.90"), "0")
    with pytest.raises(SpApiRequestError, match="only in the EU marketplaces"):
        adapter.submit_vat_invoice(US, PDF, options)
    assert not emulator.store.vat_invoices
    emulator.reset_calls()  # a deliberately refused call


# --- Amazon's own invoices (Finances Invoices 2026-06-25) -----------------------------------
def _fee_invoice(emulator, number, issued, lines=1):
    return emulator.store.add_fee_invoice(
        SELLER_ID,
        DE,
        number,
        issued,
        [
            {
                "description": f"FBA storage fee {n}",
                "amount": "10.00",
                "tax": "1.90",
                "tax_rate_code": "DE 19",
                "service_charge_type": "FBA_INVENTORY_STORAGE_FEE",
            }
            for n in range(lines)
        ],
    )


def test_amazons_invoices_read_page_by_page_with_the_same_arguments(adapter, emulator):
    now = datetime.now(timezone.utc)
    for n in range(205):
        _fee_invoice(emulator, f"DE-AEU-{n:04d}", now - timedelta(days=10, minutes=n))
    _fee_invoice(emulator, "DE-AEU-OLD", now - timedelta(days=100))
    pages = list(adapter.iter_fee_invoice_headers(DE, now - timedelta(days=30), now))
    assert [len(page) for page in pages] == [100, 100, 5]
    numbers = {header["invoiceNumber"] for page in pages for header in page}
    assert len(numbers) == 205 and "DE-AEU-OLD" not in numbers
    calls = emulator.calls_for("getInvoiceHeaders")
    first = calls[0].params
    for call in calls[1:]:
        assert {k: v for k, v in call.params.items() if k != "nextToken"} == first


def test_an_invoice_of_many_lines_is_read_whole(adapter, emulator):
    now = datetime.now(timezone.utc)
    _fee_invoice(emulator, "DE-AEU-BIG", now - timedelta(days=1), lines=1201)
    header, items = adapter.get_fee_invoice(DE, "DE-AEU-BIG")
    invoice = parse_fee_invoice(header, items)
    assert len(invoice.lines) == 1201
    assert len(emulator.calls_for("getInvoice")) == 3  # 600 line items a page
    assert invoice.billed_to_seller
    assert (invoice.untaxed, invoice.tax, invoice.total) == (
        Decimal("12010.00"),
        Decimal("2281.90"),
        Decimal("14291.90"),
    )
    with pytest.raises(SpApiNotFoundError):
        adapter.get_fee_invoice(DE, "DE-AEU-NONE")
    emulator.reset_calls()  # a deliberate 404
