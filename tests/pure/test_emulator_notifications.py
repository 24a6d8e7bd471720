"""The Notifications API (spapi_emulator/notifications.py), both ways: the
emulator refuses what Amazon refuses, the adapter passes; and what Amazon
publishes reaches a real SQS server (moto's, on loopback) in the shape of
Amazon's notification schemas (issue #36)."""

import json
from datetime import UTC, datetime

import httpx
import jsonschema
import pytest
from conftest import CLIENT_ID, CLIENT_SECRET, DE, MODELS_DIR, SELLER_ID, US, access_token, error_of

from mapping.mcf import McfAddress, McfLine, create_request
from mapping.notifications import parse_notification
from spapi import SpApiAuthError, SpApiRequestError
from spapi_emulator.sqs_server import SqsOutlet, SqsServer, moto_server_path, queue_arn

MUG = {"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "11.90"}
ORDER_FILTER = {
    "eventFilter": {
        "eventFilterType": "ORDER_CHANGE",
        "orderChangeTypes": ["OrderStatusChange", "BuyerRequestedChange"],
    }
}
# One stock message of a JSON_LISTINGS_FEED (what a feed needs to be one).
STOCK = {
    "messageId": 1,
    "sku": "MUG-01",
    "operationType": "PATCH",
    "productType": "PRODUCT",
    "patches": [
        {
            "op": "replace",
            "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}],
        }
    ],
}
needs_moto = pytest.mark.skipif(moto_server_path() is None, reason="moto_server not installed")


def grantless_token(base_url, scope="sellingpartnerapi::notifications"):
    return httpx.post(
        f"{base_url}/auth/o2/token",
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )


@pytest.fixture(scope="module")
def sqs():
    if moto_server_path() is None:
        pytest.skip("moto_server not installed (scripts/test.sh installs it)")
    with SqsServer() as server:
        yield server


def _subscribe(adapter, arn, **directive):
    destination = adapter.create_destination("odoo", arn)
    return destination, adapter.create_subscription(
        "ORDER_CHANGE", destination["destinationId"], "1.0", directive or ORDER_FILTER
    )


def _schema(name):
    return json.loads((MODELS_DIR / name).read_text())


# --- tokens: grantless operations take the application's, the others a seller's ---------------
def test_a_destination_needs_a_grantless_token_and_a_subscription_a_sellers(emulator):
    base = emulator.url
    seller = access_token(base)
    body = {"name": "q", "resourceSpecification": {"sqs": {"arn": queue_arn("q")}}}
    refused = httpx.post(
        f"{base}/notifications/v1/destinations", json=body, headers={"x-amz-access-token": seller}
    )
    assert refused.status_code == 403
    grantless = grantless_token(base).json()["access_token"]
    created = httpx.post(
        f"{base}/notifications/v1/destinations",
        json=body,
        headers={"x-amz-access-token": grantless},
    )
    assert created.status_code == 200
    destination_id = created.json()["payload"]["destinationId"]
    subscription = {"destinationId": destination_id, "payloadVersion": "1.0"}
    path = f"{base}/notifications/v1/subscriptions/ORDER_CHANGE"
    assert (
        httpx.post(path, json=subscription, headers={"x-amz-access-token": grantless}).status_code
        == 403
    )
    assert (
        httpx.post(path, json=subscription, headers={"x-amz-access-token": seller}).status_code
        == 200
    )


def test_a_grantless_token_needs_the_notifications_scope(emulator):
    answer = grantless_token(emulator.url, scope="sellingpartnerapi::everything")
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_scope"


# --- what the emulator refuses -------------------------------------------------------------------
def test_a_queue_is_one_destination_and_an_arn_must_look_like_one(emulator, adapter):
    adapter.create_destination("odoo", queue_arn("orders"))
    with pytest.raises(SpApiRequestError) as twice:
        adapter.create_destination("again", queue_arn("orders"))
    assert twice.value.status == 409
    with pytest.raises(SpApiRequestError) as bad:
        adapter.create_destination("odoo", "https://sqs.eu-west-1.amazonaws.com/1/orders")
    assert bad.value.status == 400


def test_a_subscription_needs_an_existing_destination_and_the_types_version(emulator, adapter):
    with pytest.raises(SpApiRequestError, match="destinationId"):
        adapter.create_subscription("ORDER_CHANGE", "no-such-destination", "1.0")
    destination = adapter.create_destination("odoo", queue_arn("orders"))
    with pytest.raises(SpApiRequestError, match="payloadVersion"):
        adapter.create_subscription("ORDER_CHANGE", destination["destinationId"], "2020-09-04")
    with pytest.raises(SpApiRequestError, match="notificationType"):
        adapter.create_subscription("ORDER_CHANGES", destination["destinationId"], "1.0")


def test_event_filter_and_filter_expression_are_mutually_exclusive(emulator, adapter):
    destination = adapter.create_destination("odoo", queue_arn("orders"))
    both = dict(ORDER_FILTER, filterExpression="true")
    with pytest.raises(SpApiRequestError, match="mutually exclusive"):
        adapter.create_subscription("ORDER_CHANGE", destination["destinationId"], "1.0", both)
    wrong_type = {"eventFilter": {"eventFilterType": "ANY_OFFER_CHANGED"}}
    with pytest.raises(SpApiRequestError, match="eventFilterType"):
        adapter.create_subscription("ORDER_CHANGE", destination["destinationId"], "1.0", wrong_type)
    unknown_change = {
        "eventFilter": {"eventFilterType": "ORDER_CHANGE", "orderChangeTypes": ["Nope"]}
    }
    with pytest.raises(SpApiRequestError):
        adapter.create_subscription(
            "ORDER_CHANGE", destination["destinationId"], "1.0", unknown_change
        )


def test_the_same_subscription_twice_conflicts_and_reads_back(emulator, adapter):
    destination, subscription = _subscribe(adapter, queue_arn("orders"))
    with pytest.raises(SpApiRequestError) as twice:
        adapter.create_subscription("ORDER_CHANGE", destination["destinationId"], "1.0")
    assert twice.value.status == 409
    assert (
        adapter.get_subscription("ORDER_CHANGE")["subscriptionId"]
        == (subscription["subscriptionId"])
    )
    assert adapter.get_subscription("FEED_PROCESSING_FINISHED") is None


def test_a_destination_in_use_is_not_deleted_until_its_subscriptions_are(emulator, adapter):
    destination, subscription = _subscribe(adapter, queue_arn("orders"))
    with pytest.raises(SpApiRequestError) as in_use:
        adapter.delete_destination(destination["destinationId"])
    assert in_use.value.status == 409
    adapter.delete_subscription("ORDER_CHANGE", subscription["subscriptionId"])
    assert adapter.get_subscription("ORDER_CHANGE") is None
    adapter.delete_destination(destination["destinationId"])
    assert adapter.get_destinations() == []


def test_another_apps_destinations_are_not_seen(emulator, adapter, make_adapter):
    adapter.create_destination("odoo", queue_arn("orders"))
    emulator.store.add_app("other-app", "other-secret")
    emulator.store.authorize("other-app", SELLER_ID, "Atzr|other")
    other = make_adapter(
        client_id="other-app", client_secret="other-secret", refresh_token="Atzr|other"
    )
    assert other.get_destinations() == []


def test_a_revoked_app_gets_no_grantless_token(emulator, make_adapter):
    wrong = make_adapter(client_secret="not-the-secret")
    with pytest.raises(SpApiAuthError):
        wrong.get_destinations()


# --- what Amazon publishes ------------------------------------------------------------------------
@needs_moto
def test_order_changes_reach_the_queue_shaped_as_amazons_schema(emulator, adapter, sqs):
    url, arn = sqs.create_queue("shape")
    emulator.store.outlet = SqsOutlet(sqs.url)
    _subscribe(adapter, arn)
    order = emulator.store.add_order(SELLER_ID, DE, [MUG])
    emulator.store.set_status(order.order_id, "CANCELLED")
    received = sqs.client().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    bodies = [json.loads(m["Body"]) for m in received["Messages"]]
    schema = _schema("OrderChangeNotification.json")
    for body in bodies:
        jsonschema.validate(body, schema)
    summaries = [b["Payload"]["OrderChangeNotification"]["Summary"] for b in bodies]
    assert [s["OrderStatus"] for s in summaries] == ["Unshipped", "Canceled"]
    ids = {b["NotificationMetadata"]["NotificationId"] for b in bodies}
    assert len(ids) == 2


@needs_moto
def test_a_subscription_filtered_on_marketplaces_gets_only_theirs(emulator, adapter, sqs):
    url, arn = sqs.create_queue("filtered")
    emulator.store.outlet = SqsOutlet(sqs.url)
    directive = {"eventFilter": {"eventFilterType": "ORDER_CHANGE", "marketplaceIds": [US]}}
    _subscribe(adapter, arn, **directive)
    emulator.store.add_order(SELLER_ID, DE, [MUG])
    us = emulator.store.add_order(SELLER_ID, US, [MUG])
    received = sqs.client().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    refs = [
        json.loads(m["Body"])["Payload"]["OrderChangeNotification"]["AmazonOrderId"]
        for m in received["Messages"]
    ]
    assert refs == [us.order_id]


@needs_moto
def test_feed_notifications_are_camel_case_and_stop_once_unsubscribed(emulator, adapter, sqs):
    url, arn = sqs.create_queue("feeds")
    emulator.store.outlet = SqsOutlet(sqs.url)
    destination = adapter.create_destination("odoo", arn)
    subscription = adapter.create_subscription(
        "FEED_PROCESSING_FINISHED", destination["destinationId"], "2020-09-04"
    )
    feed_id = adapter.submit_json_listings_feed(SELLER_ID, [DE], [STOCK])
    feed = emulator.store.feeds[feed_id]
    emulator.process_feed(feed)
    received = sqs.client().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    (message,) = received["Messages"]
    body = json.loads(message["Body"])
    jsonschema.validate(body, _schema("FeedProcessingFinishedNotification.json"))
    assert body["payload"]["feedProcessingFinishedNotification"]["feedId"] == feed_id
    adapter.delete_subscription("FEED_PROCESSING_FINISHED", subscription["subscriptionId"])
    published = len(emulator.store.published)
    again = adapter.submit_json_listings_feed(SELLER_ID, [DE], [STOCK])
    emulator.process_feed(emulator.store.feeds[again])
    assert len(emulator.store.published) == published


def test_an_unreachable_queue_loses_the_notification_not_the_order(emulator, adapter):
    emulator.store.outlet = SqsOutlet("http://127.0.0.1:9")  # nothing listens there
    _subscribe(adapter, queue_arn("gone"))
    order = emulator.store.add_order(SELLER_ID, DE, [MUG])
    assert order.order_id in emulator.store.orders
    assert len(emulator.store.undelivered) == 1


def test_raw_errors_are_amazons_shape(emulator):
    grantless = grantless_token(emulator.url).json()["access_token"]
    answer = httpx.get(
        f"{emulator.url}/notifications/v1/destinations/nope",
        headers={"x-amz-access-token": grantless},
    )
    assert answer.status_code == 404
    assert error_of(answer)


@needs_moto
def test_fulfillment_order_status_notices_follow_the_schema(emulator, adapter, sqs):
    """Issue #38: FULFILLMENT_ORDER_STATUS at each change of an MCF order,
    as FulfillmentOrderStatusNotification.json shapes it; the mapper reads it."""
    url, arn = sqs.create_queue("mcf")
    emulator.store.outlet = SqsOutlet(sqs.url)
    destination = adapter.create_destination("odoo", arn)
    adapter.create_subscription("FULFILLMENT_ORDER_STATUS", destination["destinationId"], "1.0")
    store = emulator.store
    store.set_fba_stock(SELLER_ID, DE, "MUG-01", fulfillable=5)
    request = create_request(
        "WH-MCF-1",
        DE,
        McfAddress("Erika", "Hauptstr. 1", "Berlin", "10115", "DE"),
        [McfLine("1", "MUG-01", 2)],
        "Standard",
        "FillOrKill",
        order_date=datetime.now(UTC),
    )
    adapter.create_fulfillment_order(request)
    store.ship_fulfillment_order(SELLER_ID, "WH-MCF-1")
    received = sqs.client().receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    bodies = [json.loads(m["Body"]) for m in received["Messages"]]
    schema = _schema("FulfillmentOrderStatusNotification.json")
    for body in bodies:
        jsonschema.validate(body, schema)
    notices = [parse_notification(json.dumps(body)) for body in bodies]
    assert [(n.fulfillment_ref, n.fulfillment_status) for n in notices] == [
        ("WH-MCF-1", "Received"),
        ("WH-MCF-1", "Complete"),
    ]
    assert {n.seller_ref for n in notices} == {SELLER_ID}
    shipped = bodies[-1]["Payload"]["FulfillmentOrderStatusNotification"]["FulfillmentShipment"]
    assert shipped["FulfillmentShipmentPackages"][0]["TrackingNumber"].startswith("DHL")
