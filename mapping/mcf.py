"""Multi-Channel Fulfillment (Fulfillment Outbound API 2020-07-01) payloads <->
plain values: the preview and creation requests of an order Amazon ships from
the seller's FBA stock, the previews it answers, and the fulfillment order as
it progresses (shipments, packages, tracking). No Odoo here.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import checks
from .checks import PayloadError

SPEEDS = ("Standard", "Expedited", "Priority")  # ScheduledDelivery: JP only
POLICIES = ("FillOrKill", "FillAll", "FillAllAvailable")
# "Maximum of 100 line items with a maximum of 250 units per order."
MAX_LINES, MAX_UNITS = 100, 250
# FulfillmentOrderStatus values after which nothing more happens.
FINAL_STATUSES = ("Complete", "CompletePartialled", "Cancelled", "Unfulfillable", "Invalid")


@dataclass(frozen=True)
class McfLine:
    item_ref: str  # sellerFulfillmentOrderItemId: ours, one per order line
    sku: str
    quantity: int


@dataclass(frozen=True)
class McfAddress:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    state: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Preview:
    speed: str
    fulfillable: bool
    fees: tuple  # ((name, Decimal), ...)
    currency: str
    latest_ship: datetime | None
    earliest_arrival: datetime | None
    latest_arrival: datetime | None
    reasons: tuple  # why not fulfillable: the order's and its items' codes

    @property
    def fee_total(self):
        return sum((amount for _name, amount in self.fees), Decimal("0"))


@dataclass(frozen=True)
class McfPackage:
    shipment_ref: str  # amazonShipmentId
    number: int  # packageNumber
    carrier: str
    tracking: str
    shipped: datetime | None
    items: tuple  # ((item_ref, quantity), ...)


@dataclass(frozen=True)
class McfOrder:
    order_ref: str
    status: str
    updated: datetime | None
    items: dict  # item_ref: (quantity, cancelled, unfulfillable)
    packages: tuple  # McfPackage of the SHIPPED shipments

    @property
    def final(self):
        return self.status in FINAL_STATUSES


def fulfillment_order_id(reference):
    """The sellerFulfillmentOrderId of a delivery reference ("WH/OUT/00012"
    -> "WH-OUT-00012"): a path segment, at most 40 characters."""
    value = re.sub(r"[^A-Za-z0-9._-]+", "-", reference or "").strip("-")
    if not value:
        raise PayloadError(f"no fulfillment order id can be made of {reference!r}")
    return value[:40]


def displayable(text, limit=40):
    """Amazon's displayable text: no two spaces in a row, trimmed, ``limit``
    characters at most."""
    return re.sub(r"\s+", " ", text or "").strip()[:limit]


def check_lines(lines):
    """The lines as Amazon takes them, or a PayloadError saying why not."""
    if not lines:
        raise PayloadError("no item to fulfil")
    if len(lines) > MAX_LINES or sum(line.quantity for line in lines) > MAX_UNITS:
        raise PayloadError("Amazon takes 100 lines and 250 units per fulfillment order at most")
    for line in lines:
        if line.quantity <= 0 or line.quantity != int(line.quantity):
            raise PayloadError(f"{line.sku}: {line.quantity} is not a whole number of units")
    return lines


def address_payload(address):
    values = {
        "name": displayable(address.name, 50),
        "addressLine1": address.line1,
        "addressLine2": address.line2,
        "city": address.city,
        "stateOrRegion": address.state,
        "postalCode": address.postal_code,
        "countryCode": address.country,
        "phone": address.phone,
    }
    return {key: value for key, value in values.items() if value}


def _items(lines):
    return [
        {
            "sellerSku": line.sku,
            "sellerFulfillmentOrderItemId": line.item_ref,
            "quantity": int(line.quantity),  # whole units (checked): a JSON integer
        }
        for line in check_lines(lines)
    ]


def preview_request(marketplace_id, address, lines, speeds=SPEEDS):
    """A GetFulfillmentPreviewRequest."""
    return {
        "marketplaceId": marketplace_id,
        "address": address_payload(address),
        "items": _items(lines),
        "shippingSpeedCategories": list(speeds),
    }


def create_request(order_ref, marketplace_id, address, lines, speed, policy, **displayed):
    """A CreateFulfillmentOrderRequest; ``displayed``: order_id, order_date
    (aware datetime) and comment, shown to the recipient on the packing slip."""
    if speed not in SPEEDS:
        raise PayloadError(f"unknown shipping speed {speed!r}")
    if policy not in POLICIES:
        raise PayloadError(f"unknown fulfillment policy {policy!r}")
    return {
        "marketplaceId": marketplace_id,
        "sellerFulfillmentOrderId": order_ref,
        "displayableOrderId": displayable(displayed.get("order_id") or order_ref),
        "displayableOrderDate": displayed["order_date"].isoformat().replace("+00:00", "Z"),
        "displayableOrderComment": displayable(displayed.get("comment") or "", 750),
        "shippingSpeedCategory": speed,
        "destinationAddress": address_payload(address),
        "fulfillmentAction": "Ship",
        "fulfillmentPolicy": policy,
        "items": _items(lines),
    }


def parse_previews(payload):
    """The Preview of each shipping speed of a getFulfillmentPreview payload."""
    payload = checks.obj(payload, "payload")
    previews = []
    for index, data in enumerate(
        checks.objects(payload.get("fulfillmentPreviews"), "fulfillmentPreviews")
    ):
        path = f"fulfillmentPreviews[{index}]"
        fees, currency = [], ""
        for fee_index, fee in enumerate(checks.objects(data.get("estimatedFees") or [], path)):
            amount = checks.obj(fee.get("amount"), f"{path}.estimatedFees[{fee_index}].amount")
            currency = checks.text(amount.get("currencyCode"), f"{path}.currencyCode", 3)
            fees.append(
                (
                    checks.text(fee.get("name"), f"{path}.estimatedFees[{fee_index}].name"),
                    checks.decimal(amount.get("value"), f"{path}.estimatedFees[{fee_index}]"),
                )
            )
        shipments = checks.objects(data.get("fulfillmentPreviewShipments") or [], path)
        reasons = list(data.get("orderUnfulfillableReasons") or [])
        for item in checks.objects(data.get("unfulfillablePreviewItems") or [], path):
            for reason in item.get("itemUnfulfillableReasons") or []:
                reasons.append(f"{item.get('sellerSku')}: {reason}")
        first = shipments[0] if shipments else {}
        previews.append(
            Preview(
                speed=checks.text(data.get("shippingSpeedCategory"), f"{path}.speed", 20),
                fulfillable=bool(data.get("isFulfillable")),
                fees=tuple(fees),
                currency=currency,
                latest_ship=checks.moment(first.get("latestShipDate"), f"{path}.latestShipDate"),
                earliest_arrival=checks.moment(
                    first.get("earliestArrivalDate"), f"{path}.earliestArrivalDate"
                ),
                latest_arrival=checks.moment(
                    first.get("latestArrivalDate"), f"{path}.latestArrivalDate"
                ),
                reasons=tuple(str(reason)[:200] for reason in reasons),
            )
        )
    return previews


def parse_fulfillment_order(payload):
    """The McfOrder of a getFulfillmentOrder payload: its status, each item's
    quantities and the packages of its shipped shipments."""
    payload = checks.obj(payload, "payload")
    order = checks.obj(payload.get("fulfillmentOrder"), "fulfillmentOrder")
    if payload.get("fulfillmentOrderItems") is None:  # required by the model
        raise PayloadError("fulfillmentOrderItems is missing")
    items = {}
    for index, item in enumerate(
        checks.objects(payload.get("fulfillmentOrderItems"), "fulfillmentOrderItems")
    ):
        path = f"fulfillmentOrderItems[{index}]"
        ref = checks.text(item.get("sellerFulfillmentOrderItemId"), f"{path}.itemId", 50)
        items[ref] = tuple(
            checks.integer(item.get(key) or 0, f"{path}.{key}")
            for key in ("quantity", "cancelledQuantity", "unfulfillableQuantity")
        )
    packages = []
    for index, shipment in enumerate(checks.objects(payload.get("fulfillmentShipments") or [], "")):
        path = f"fulfillmentShipments[{index}]"
        if shipment.get("fulfillmentShipmentStatus") != "SHIPPED":
            continue
        contents = {}
        for line in checks.objects(shipment.get("fulfillmentShipmentItem"), path):
            number = line.get("packageNumber")
            ref = checks.text(line.get("sellerFulfillmentOrderItemId"), f"{path}.itemId", 50)
            quantity = checks.integer(line.get("quantity"), f"{path}.quantity")
            contents.setdefault(number, []).append((ref, quantity))
        for package in checks.objects(shipment.get("fulfillmentShipmentPackage") or [], path):
            number = package.get("packageNumber")
            packages.append(
                McfPackage(
                    shipment_ref=checks.text(shipment.get("amazonShipmentId"), f"{path}.id", 40),
                    number=checks.integer(number, f"{path}.packageNumber"),
                    carrier=checks.text(package.get("carrierCode"), f"{path}.carrierCode", 40),
                    tracking=checks.text(
                        package.get("trackingNumber") or "", f"{path}.trackingNumber", 60
                    ),
                    shipped=checks.moment(shipment.get("shippingDate"), f"{path}.shippingDate"),
                    items=tuple(contents.get(number, ())),
                )
            )
    return McfOrder(
        order_ref=checks.text(
            order.get("sellerFulfillmentOrderId"), "sellerFulfillmentOrderId", 40
        ),
        status=checks.text(order.get("fulfillmentOrderStatus"), "fulfillmentOrderStatus", 30),
        updated=checks.moment(order.get("statusUpdatedDate"), "statusUpdatedDate"),
        items=items,
        packages=tuple(packages),
    )


def parse_order_list(payload):
    """(sellerFulfillmentOrderId, status) of a listAllFulfillmentOrders payload."""
    payload = checks.obj(payload, "payload")
    return [
        (
            checks.text(order.get("sellerFulfillmentOrderId"), "sellerFulfillmentOrderId", 40),
            checks.text(order.get("fulfillmentOrderStatus"), "fulfillmentOrderStatus", 30),
        )
        for order in checks.objects(payload.get("fulfillmentOrders") or [], "fulfillmentOrders")
    ]
