"""Amazon's notifications, as they arrive in the seller's SQS queue: one
message body (JSON text) into a :class:`Notification`, or a PayloadError
naming the field. Plain Python, no Odoo.

The schemas differ by type: ORDER_CHANGE is PascalCase (``Payload``,
``NotificationMetadata.NotificationId``, OrderChangeNotification.json),
FEED_PROCESSING_FINISHED and REPORT_PROCESSING_FINISHED are camelCase
(``payload``, ``notificationMetadata.notificationId``). Each type's required
fields are checked here; what the connector does not use is left alone (a
schema Amazon extends must not turn messages into poison).
"""

import json
from dataclasses import dataclass
from datetime import datetime

from . import checks
from .checks import PayloadError
from .orders import parse_datetime

ORDER_CHANGE = "ORDER_CHANGE"
FEED_FINISHED = "FEED_PROCESSING_FINISHED"
REPORT_FINISHED = "REPORT_PROCESSING_FINISHED"
FULFILLMENT_STATUS = "FULFILLMENT_ORDER_STATUS"
# The types the connector subscribes to, with their payload versions (the
# versions of the schemas' own examples) and whether a subscription to them
# is optional (the account's setting).
SUBSCRIBED_TYPES = {
    ORDER_CHANGE: "1.0",
    FEED_FINISHED: "2020-09-04",
    REPORT_FINISHED: "2020-09-04",
    FULFILLMENT_STATUS: "1.0",
}
# The order changes worth a getOrder: a new status (a new order, a shipment, a
# cancellation) and the buyer's requests (to cancel). DeliveryTipChange is not
# the connector's business.
ORDER_CHANGE_TYPES = ("OrderStatusChange", "BuyerRequestedChange")
# An SQS message body is at most 256 KiB; Amazon's are a few KiB.
MAX_BODY = 256 * 1024


@dataclass(frozen=True)
class Notification:
    notification_id: str
    notification_type: str
    event_time: str
    seller_ref: str
    # ORDER_CHANGE
    order_ref: str = ""
    change_type: str = ""
    order_status: str = ""
    marketplace_ref: str = ""
    # When the order changed (naive UTC), None when Amazon does not say.
    change_time: datetime | None = None
    # FEED_PROCESSING_FINISHED / REPORT_PROCESSING_FINISHED
    feed_ref: str = ""
    report_ref: str = ""
    processing_status: str = ""
    # FULFILLMENT_ORDER_STATUS (Multi-Channel Fulfillment)
    fulfillment_ref: str = ""
    fulfillment_status: str = ""


def message_id(body):
    """The NotificationId of a body, if one can be read at all (a message
    that fails to parse is still recorded under it), else ''."""
    try:
        data = json.loads(body)
        metadata = data.get("NotificationMetadata") or data.get("notificationMetadata") or {}
        value = metadata.get("NotificationId") or metadata.get("notificationId")
        return checks.identifier(value, "NotificationId") if value else ""
    except Exception:
        return ""


def parse_notification(body):
    """The Notification of an SQS message body."""
    if not isinstance(body, str | bytes):
        raise PayloadError("the message body is not text")
    if len(body) > MAX_BODY:
        raise PayloadError(f"the message body is over {MAX_BODY} bytes")
    try:
        data = json.loads(body)
    except ValueError as error:
        raise PayloadError(f"the message body is not JSON: {error}") from None
    data = checks.obj(data, "message")
    if "NotificationType" in data:
        return _parse_pascal(data)
    if "notificationType" in data:
        return _parse_camel(data)
    raise PayloadError("the message names no notificationType")


def _required(data, key, path=""):
    if data.get(key) in (None, ""):
        raise PayloadError(f"{path}{key} is missing")
    return data[key]


def _identifier(data, key, path):
    """A required identifier of ``data``, the object at ``path`` ("a.b.")."""
    return checks.identifier(_required(data, key, path), path + key)


def _envelope(data, pascal):
    """(common Notification values, payload) of a message: the keys are
    PascalCase (ORDER_CHANGE) or camelCase (feeds, reports)."""

    def key(name):
        return name if pascal else name[0].lower() + name[1:]

    metadata = checks.obj(_required(data, key("NotificationMetadata")), key("NotificationMetadata"))
    common = {
        "notification_type": checks.text(
            _required(data, key("NotificationType")), key("NotificationType")
        ),
        "notification_id": _identifier(
            metadata, key("NotificationId"), key("NotificationMetadata") + "."
        ),
        "event_time": checks.text(_required(data, key("EventTime")), key("EventTime")),
    }
    return common, checks.obj(_required(data, key("Payload")), key("Payload"))


def _parse_pascal(data):
    common, payload = _envelope(data, pascal=True)
    if common["notification_type"] == FULFILLMENT_STATUS:
        return _parse_fulfillment(payload, common)
    if common["notification_type"] != ORDER_CHANGE:
        return Notification(seller_ref="", **common)
    path = "Payload.OrderChangeNotification."
    change = checks.obj(_required(payload, "OrderChangeNotification", "Payload."), path.rstrip("."))
    summary = checks.obj(_required(change, "Summary", path), path + "Summary")
    trigger = checks.obj(change.get("OrderChangeTrigger"), path + "OrderChangeTrigger")
    changed = trigger.get("TimeOfOrderChange")  # "string" or "null" in the schema
    return Notification(
        change_time=parse_datetime(changed, path + "OrderChangeTrigger.TimeOfOrderChange")
        if changed
        else None,
        seller_ref=_identifier(change, "SellerId", path),
        order_ref=_identifier(change, "AmazonOrderId", path),
        change_type=_identifier(change, "OrderChangeType", path),
        order_status=_identifier(summary, "OrderStatus", path + "Summary."),
        marketplace_ref=_identifier(summary, "MarketplaceId", path + "Summary."),
        **common,
    )


def _parse_fulfillment(payload, common):
    path = "Payload.FulfillmentOrderStatusNotification."
    notice = checks.obj(
        _required(payload, "FulfillmentOrderStatusNotification", "Payload."), path.rstrip(".")
    )
    return Notification(
        seller_ref=_identifier(notice, "SellerId", path),
        fulfillment_ref=_identifier(notice, "SellerFulfillmentOrderId", path),
        fulfillment_status=checks.text(
            notice.get("FulfillmentOrderStatus"), path + "FulfillmentOrderStatus", checks.ID_LENGTH
        ),
        **common,
    )


def _parse_camel(data):
    common, payload = _envelope(data, pascal=False)
    kind = common["notification_type"]
    inner = {
        FEED_FINISHED: ("feedProcessingFinishedNotification", "feedId"),
        REPORT_FINISHED: ("reportProcessingFinishedNotification", "reportId"),
    }.get(kind)
    if inner is None:
        return Notification(seller_ref="", **common)
    key, id_key = inner
    path = f"payload.{key}."
    finished = checks.obj(_required(payload, key, "payload."), path.rstrip("."))
    ref = _identifier(finished, id_key, path)
    return Notification(
        # "sellerId" is absent for vendors; accountId is every selling partner's.
        seller_ref=checks.text(finished.get("sellerId"), path + "sellerId", checks.ID_LENGTH),
        feed_ref=ref if kind == FEED_FINISHED else "",
        report_ref=ref if kind == REPORT_FINISHED else "",
        processing_status=_identifier(finished, "processingStatus", path),
        **common,
    )
