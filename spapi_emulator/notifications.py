"""The Notifications API (v1): destinations, subscriptions, and the
notifications Amazon publishes to an SQS queue.

Rules enforced, each from ``notifications.json`` unless said otherwise:

- Destinations are the application's: "The `createDestination` operation is
  grantless" (so are getDestinations, getDestination, deleteDestination,
  getSubscriptionById and deleteSubscriptionById): they take a grantless
  token, never a seller's, and see only the application's destinations.
- Subscriptions are the seller's: createSubscription and getSubscription take
  the seller's token. "Before you can subscribe, you must first create the
  destination by calling the `createDestination` operation": an unknown
  destination is refused. "you can use this operation to subscribe to a
  different payload version if you already have an existing subscription for
  a different payload version": the same type and version twice is a 409
  ("The resource specified conflicts with the current state.").
- ``SqsResource.arn`` matches ``^arn:aws:sqs:\\S+:\\S+:\\S+`` (the contract
  checks the pattern); the same queue twice is a 409.
- "eventFilter and filterExpression are mutually exclusive"; an
  ``eventFilterType`` is one "that the `notificationType` supports".
- "After you successfully call this operation [deleteSubscriptionById],
  notifications will stop being sent for the associated subscription."
- Published messages follow the notification schemas (checked in the
  tests): ``OrderChangeNotification.json`` (PascalCase, ``Payload``), the
  feed and report ones (camelCase, ``payload``). An ORDER_CHANGE subscription
  with ``orderChangeTypes`` or ``marketplaceIds`` gets only those changes.
"""

import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass, field

from .common import Api, ApiError, invalid, isoformat, route, utcnow

_logger = logging.getLogger("spapi_emulator")

# The payload version of each notification type the emulator publishes: the
# versions of the schemas' own examples.
PAYLOAD_VERSIONS = {
    "ORDER_CHANGE": "1.0",
    "FEED_PROCESSING_FINISHED": "2020-09-04",
    "REPORT_PROCESSING_FINISHED": "2020-09-04",
    "FULFILLMENT_ORDER_STATUS": "1.0",
}
# Types accepted by createSubscription: those of the schemas in
# shared/spapi-models (a type Amazon has not documented there is refused).
NOTIFICATION_TYPES = (
    *PAYLOAD_VERSIONS,
    "ANY_OFFER_CHANGED",
    "FBA_INVENTORY_AVAILABILITY_CHANGES",
    "FBA_OUTBOUND_SHIPMENT_STATUS",
    "TRANSACTION_UPDATE",
)
# EventFilter.eventFilterType: the notification types each filter type serves.
EVENT_FILTER_TYPES = {"ORDER_CHANGE": "ORDER_CHANGE", "ANY_OFFER_CHANGED": "ANY_OFFER_CHANGED"}
# The emulator's order statuses as the ORDER_CHANGE summary spells them.
SUMMARY_STATUSES = {
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
}


@dataclass
class Destination:
    destination_id: str
    name: str
    arn: str
    client_id: str  # the application's

    def render(self):
        return {
            "destinationId": self.destination_id,
            "name": self.name,
            "resource": {"sqs": {"arn": self.arn}},
        }


@dataclass
class Subscription:
    subscription_id: str
    seller_id: str
    client_id: str
    notification_type: str
    payload_version: str
    destination_id: str
    processing_directive: dict = field(default_factory=dict)

    def render(self):
        body = {
            "subscriptionId": self.subscription_id,
            "payloadVersion": self.payload_version,
            "destinationId": self.destination_id,
        }
        if self.processing_directive:
            body["processingDirective"] = self.processing_directive
        return body

    def wants_order_change(self, change_type, marketplace_id):
        event_filter = self.processing_directive.get("eventFilter") or {}
        change_types = event_filter.get("orderChangeTypes")
        marketplaces = event_filter.get("marketplaceIds")
        return (not change_types or change_type in change_types) and (
            not marketplaces or marketplace_id in marketplaces
        )


class NotificationsStore:
    """The store's destinations and subscriptions, and the outlet that
    delivers what they publish (None: nothing is delivered)."""

    def __init__(self):
        super().__init__()
        self.destinations = {}
        self.subscriptions = {}
        self.grantless_tokens = {}  # access token -> (client id, expires at epoch)
        self.outlet = None  # sqs_server.SqsOutlet: where Amazon delivers
        self.published = []  # (arn, message dict): what was delivered
        self.undelivered = []  # (arn, message dict, error): what the outlet refused

    def issue_grantless_token(self, client_id, lifetime=3600):
        with self.lock:
            token = "Atza|grantless-" + secrets.token_urlsafe(24)
            self.grantless_tokens[token] = (client_id, time.time() + lifetime)
            return token

    def _app_of(self, seller_id):
        """The application a seller authorized (its refresh tokens')."""
        return next(
            (client for client, seller in self.refresh_tokens.values() if seller == seller_id),
            None,
        )

    def publish(self, seller_id, notification_type, build):
        """Deliver ``build(subscription) -> message`` to every destination the
        seller's subscriptions to ``notification_type`` name (``build`` returns
        None for a subscription whose filter does not want it)."""
        with self.lock:
            targets = [
                (s, self.destinations[s.destination_id])
                for s in self.subscriptions.values()
                if s.seller_id == seller_id
                and s.notification_type == notification_type
                and s.destination_id in self.destinations
            ]
        for subscription, destination in targets:
            message = build(subscription)
            if message is None:
                continue
            app = self.apps.get(subscription.client_id)
            message_metadata = {
                "ApplicationId": (app and app.app_id) or subscription.client_id,
                "SubscriptionId": subscription.subscription_id,
                "PublishTime": isoformat(utcnow()),
                "NotificationId": str(uuid.uuid4()),
            }
            if "notificationType" in message:  # the camelCase schemas
                message_metadata = {k[0].lower() + k[1:]: v for k, v in message_metadata.items()}
                message["notificationMetadata"] = message_metadata
            else:
                message["NotificationMetadata"] = message_metadata
            self._deliver(destination.arn, message)

    def _deliver(self, arn, message):
        if self.outlet is None:
            return
        try:
            self.outlet.send(arn, json.dumps(message))
        except Exception as error:  # the queue is the seller's: Amazon just fails to deliver
            _logger.warning("notification to %s not delivered: %s", arn, error)
            with self.lock:
                self.undelivered.append((arn, message, repr(error)))
            return
        with self.lock:
            self.published.append((arn, message))

    def order_changed(self, order, change_type="OrderStatusChange", reason="Order status changed"):
        """ORDER_CHANGE for ``order`` (OrderChangeNotification.json)."""
        now = isoformat(utcnow())

        def build(subscription):
            if not subscription.wants_order_change(change_type, order.marketplace_id):
                return None
            return order_change_message(order, change_type, reason, now)

        self.publish(order.seller_id, "ORDER_CHANGE", build)

    def feed_finished(self, feed):
        """FEED_PROCESSING_FINISHED (FeedProcessingFinishedNotification.json)."""
        self._finished(
            "FEED_PROCESSING_FINISHED",
            feed,
            {"feedId": feed.feed_id, "feedType": feed.feed_type},
            resultFeedDocumentId=getattr(feed, "result_document_id", None),
        )

    def report_finished(self, report):
        """REPORT_PROCESSING_FINISHED (ReportProcessingFinishedNotification.json)."""
        self._finished(
            "REPORT_PROCESSING_FINISHED",
            report,
            {"reportId": report.report_id, "reportType": report.report_type},
            reportDocumentId=getattr(report, "document_id", None),
        )

    def _finished(self, notification_type, job, ids, **document):
        """A feed's or a report's notice: its seller, ids, status, document."""
        payload = {
            "sellerId": job.seller_id,
            "accountId": f"amzn1.merchant.o.{job.seller_id}",
            **ids,
            "processingStatus": job.status,
            **{key: value for key, value in document.items() if value},
        }
        # feedProcessingFinishedNotification, reportProcessingFinishedNotification
        inner = "".join(word.capitalize() for word in notification_type.lower().split("_"))
        key = inner[0].lower() + inner[1:] + "Notification"
        self.publish(
            job.seller_id,
            notification_type,
            lambda _subscription: _camel_message(notification_type, {key: payload}),
        )


def _camel_message(notification_type, payload):
    return {
        "notificationVersion": "2020-09-04",
        "notificationType": notification_type,
        "payloadVersion": PAYLOAD_VERSIONS[notification_type],
        "eventTime": isoformat(utcnow()),
        "payload": payload,
    }


def order_change_message(order, change_type, reason, at):
    """The ORDER_CHANGE message of ``order`` without its metadata."""
    items = [
        {
            "OrderItemId": item.order_item_id,
            "SellerSKU": item.sku,
            "SupplySourceId": None,
            "OrderItemStatus": "Shipped" if item.quantity_shipped >= item.quantity else "Unshipped",
            "Quantity": item.quantity,
            "QuantityShipped": item.quantity_shipped,
        }
        for item in order.items
    ]
    shipped = sum(item.quantity_shipped for item in order.items)
    address = order.address
    return {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": PAYLOAD_VERSIONS["ORDER_CHANGE"],
        "EventTime": at,
        "Payload": {
            "OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": order.seller_id,
                "AmazonOrderId": order.order_id,
                "OrderChangeType": change_type,
                # The change is the order's last update; EventTime is the notice's.
                "OrderChangeTrigger": {
                    "TimeOfOrderChange": isoformat(order.last_updated_time),
                    "ChangeReason": reason,
                },
                "Summary": {
                    "MarketplaceId": order.marketplace_id,
                    "OrderStatus": SUMMARY_STATUSES[order.status],
                    "PurchaseDate": isoformat(order.created_time),
                    "DestinationPostalCode": (address and address.postal_code) or None,
                    "FulfillmentType": "AFN" if order.fulfilled_by == "AMAZON" else "MFN",
                    "OrderType": "StandardOrder",
                    "NumberOfItemsShipped": shipped,
                    "NumberOfItemsUnshipped": sum(i.quantity for i in order.items) - shipped,
                    "EarliestShipDate": isoformat(order.ship_by[0]),
                    "LatestShipDate": isoformat(order.ship_by[1]),
                    "OrderItems": items,
                },
            }
        },
    }


_TYPE = "(?P<notification_type>[^/]+)"
_BASE = "/notifications/v1"


def _not_found(what):
    return ApiError(404, "NotFound", "The requested resource was not found.", what)


def _conflict(details):
    return ApiError(
        409, "Conflict", "The resource specified conflicts with the current state.", details
    )


class NotificationsApi(Api):
    """Destinations (grantless) and subscriptions (the seller's)."""

    routes = [
        route("GET", f"{_BASE}/destinations", "getDestinations", "get_destinations", "grantless"),
        route(
            "POST", f"{_BASE}/destinations", "createDestination", "create_destination", "grantless"
        ),
        route(
            "GET",
            f"{_BASE}/destinations/(?P<destination_id>[^/]+)",
            "getDestination",
            "get_destination",
            "grantless",
        ),
        route(
            "DELETE",
            f"{_BASE}/destinations/(?P<destination_id>[^/]+)",
            "deleteDestination",
            "delete_destination",
            "grantless",
        ),
        route(
            "POST", f"{_BASE}/subscriptions/{_TYPE}", "createSubscription", "create_subscription"
        ),
        route("GET", f"{_BASE}/subscriptions/{_TYPE}", "getSubscription", "get_subscription"),
        route(
            "GET",
            f"{_BASE}/subscriptions/{_TYPE}/(?P<subscription_id>[^/]+)",
            "getSubscriptionById",
            "get_subscription_by_id",
            "grantless",
        ),
        route(
            "DELETE",
            f"{_BASE}/subscriptions/{_TYPE}/(?P<subscription_id>[^/]+)",
            "deleteSubscriptionById",
            "delete_subscription_by_id",
            "grantless",
        ),
    ]

    @property
    def store(self):
        return self.emulator.store

    # --- destinations (the application's) ----------------------------------------------------
    def op_get_destinations(self, call, params, body):
        with self.store.lock:
            mine = [
                d.render() for d in self.store.destinations.values() if d.client_id == call.app_id
            ]
        return 200, {"payload": mine}

    def op_create_destination(self, call, params, body):
        body = body if isinstance(body, dict) else {}
        spec = body.get("resourceSpecification") or {}
        sqs = spec.get("sqs")
        if not sqs:
            # The emulator delivers to SQS only (EventBridge is not emulated).
            raise invalid("resourceSpecification.sqs is required by this emulator.")
        if spec.get("eventBridge"):
            # "Applications should use one resource type (sqs or eventBridge) per destination."
            raise invalid("Use one resource type (sqs or eventBridge) per destination.")
        with self.store.lock:
            if any(
                d.arn == sqs["arn"] and d.client_id == call.app_id
                for d in self.store.destinations.values()
            ):
                raise _conflict(f"A destination for {sqs['arn']} already exists.")
            destination = Destination(str(uuid.uuid4()), body["name"], sqs["arn"], call.app_id)
            self.store.destinations[destination.destination_id] = destination
        return 200, {"payload": destination.render()}

    def _destination(self, call, destination_id):
        destination = self.store.destinations.get(destination_id)
        if destination is None or destination.client_id != call.app_id:
            raise _not_found(f"No destination {destination_id}.")
        return destination

    def op_get_destination(self, call, params, body, destination_id):
        return 200, {"payload": self._destination(call, destination_id).render()}

    def op_delete_destination(self, call, params, body, destination_id):
        with self.store.lock:
            self._destination(call, destination_id)
            if any(s.destination_id == destination_id for s in self.store.subscriptions.values()):
                raise _conflict("Subscriptions still deliver to this destination.")
            del self.store.destinations[destination_id]
        return 200, {}

    # --- subscriptions (the seller's) -------------------------------------------------------
    @staticmethod
    def _check_type(notification_type):
        if notification_type not in NOTIFICATION_TYPES:
            raise invalid(f"Invalid notificationType: {notification_type}.")

    def op_create_subscription(self, call, params, body, notification_type):
        self._check_type(notification_type)
        body = body if isinstance(body, dict) else {}
        client_id = self.store._app_of(call.seller_id)
        version = body.get("payloadVersion")
        expected = PAYLOAD_VERSIONS.get(notification_type)
        if expected and version != expected:
            raise invalid(f"payloadVersion {version!r} is not supported for {notification_type}.")
        directive = body.get("processingDirective") or {}
        event_filter = directive.get("eventFilter")
        if event_filter is not None and directive.get("filterExpression") is not None:
            raise invalid("eventFilter and filterExpression are mutually exclusive.")
        if event_filter is not None and EVENT_FILTER_TYPES.get(
            notification_type
        ) != event_filter.get("eventFilterType"):
            raise invalid(
                f"eventFilterType {event_filter.get('eventFilterType')!r} is not supported "
                f"by {notification_type}."
            )
        with self.store.lock:
            destination = self.store.destinations.get(body.get("destinationId"))
            if destination is None or destination.client_id != client_id:
                raise invalid(f"destinationId {body.get('destinationId')!r} is not valid.")
            if any(
                s.seller_id == call.seller_id
                and s.client_id == client_id
                and s.notification_type == notification_type
                and s.payload_version == version
                for s in self.store.subscriptions.values()
            ):
                raise _conflict(f"A subscription to {notification_type} {version} already exists.")
            subscription = Subscription(
                str(uuid.uuid4()),
                call.seller_id,
                client_id,
                notification_type,
                version,
                destination.destination_id,
                directive,
            )
            self.store.subscriptions[subscription.subscription_id] = subscription
        return 200, {"payload": subscription.render()}

    def op_get_subscription(self, call, params, body, notification_type):
        self._check_type(notification_type)
        client_id = self.store._app_of(call.seller_id)
        version = params.get("payloadVersion")
        with self.store.lock:
            found = [
                s
                for s in self.store.subscriptions.values()
                if s.seller_id == call.seller_id
                and s.client_id == client_id
                and s.notification_type == notification_type
                and (not version or s.payload_version == version)
            ]
        if not found:
            raise _not_found(f"No subscription to {notification_type}.")
        return 200, {"payload": found[-1].render()}

    def _subscription(self, call, notification_type, subscription_id):
        self._check_type(notification_type)
        subscription = self.store.subscriptions.get(subscription_id)
        if (
            subscription is None
            or subscription.client_id != call.app_id
            or subscription.notification_type != notification_type
        ):
            raise _not_found(f"No subscription {subscription_id}.")
        return subscription

    def op_get_subscription_by_id(self, call, params, body, notification_type, subscription_id):
        return 200, {
            "payload": self._subscription(call, notification_type, subscription_id).render()
        }

    def op_delete_subscription_by_id(self, call, params, body, notification_type, subscription_id):
        with self.store.lock:
            self._subscription(call, notification_type, subscription_id)
            del self.store.subscriptions[subscription_id]
        return 200, {}
