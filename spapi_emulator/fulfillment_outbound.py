"""Fulfillment Outbound API 2020-07-01 (fulfillmentOutbound_2020-07-01.json):
Multi-Channel Fulfillment, Amazon shipping the seller's FBA stock to any
address: getFulfillmentPreview, createFulfillmentOrder, getFulfillmentOrder,
listAllFulfillmentOrders, cancelFulfillmentOrder.

Sources, besides the schemas (which the router's contract check applies):
- items: "Maximum of 100 line items with a maximum of 250 units per order."
- sellerFulfillmentOrderId: "must be unique for each fulfillment order that a
  seller creates".
- displayableOrderId: "from one to 40 characters in length. Cannot contain two
  spaces in a row."
- Address.city: "This property is required in all countries except Japan."
- ShippingSpeedCategory ScheduledDelivery: "This is only available in the JP
  marketplace."
- FulfillmentOrderStatus: Received: "Validation includes determining that the
  destination address is valid and that Amazon's records indicate that the
  seller has enough sellable (undamaged) inventory"; "The seller can cancel a
  fulfillment order that has a status of Received" (and of Planning); "The
  seller cannot cancel a fulfillment order that has a status of Processing";
  Invalid: "an invalid destination address or Amazon's records indicating that
  the seller does not have enough sellable inventory ... no items in the
  order will ship"; CompletePartialled: "Some item quantities ... were
  fulfilled; the rest were either cancelled or unfulfillable".
- FulfillmentPolicy: FillOrKill (one unfulfillable item makes the order
  unfulfillable), FillAllAvailable ("All unfulfillable items in the order are
  cancelled"), FillAll (the order waits for its items).
- FulfillmentShipmentStatus SHIPPED: "All packages in the shipment have left
  the fulfillment center".
- listAllFulfillmentOrders queryStartDate: "last updated after (or at) a
  specified time. An update is defined as any change in fulfillment order
  status, including the creation of a new fulfillment order."
- orderUnfulfillableReasons: "Error code examples: ... InvalidDestinationAddress".

The emulator's own: fees, dates, carriers, postal code formats, a second order
under a used id refused (nothing created), an unknown SKU refusing the whole
creation, a shipment's fees charged to the seller's open payout (ServiceFee,
FBAPerUnitFulfillmentFee) and when orders move on (``advance_fulfillment_order``,
``ship_fulfillment_order``). Sellable units are the seller's FBA stock: an
order Received reserves them, a shipment takes them, a cancel gives them back.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from .common import Api, ApiError, StoreError, invalid, isoformat, parse_iso8601, route, utcnow
from .marketplaces import MARKETPLACES

MAX_LINES, MAX_UNITS = 100, 250
SPEEDS = {"Standard": (5, "4.10"), "Expedited": (2, "6.20"), "Priority": (1, "9.40")}
POSTAL_CODES = {  # the emulator's own address check
    **dict.fromkeys(("DE", "FR", "IT", "ES"), r"\d{5}"),
    **{"US": r"\d{5}(-\d{4})?", "GB": r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"},
}
CANCELLABLE = ("New", "Received", "Planning")
PACKAGE_KEYS = ("packageNumber", "carrierCode", "trackingNumber")
NO_RETURN = {"ReceivedDateTime": "", "ReturnedQuantity": 0, "SellerSKU": ""}


@dataclass
class FulfillmentOrder:
    seller_id: str
    marketplace_id: str
    request: dict  # the CreateFulfillmentOrderRequest as received
    status: str = "Received"
    received: object = field(default_factory=utcnow)
    updated: object = field(default_factory=utcnow)
    # sellerFulfillmentOrderItemId -> {"shipped", "cancelled", "unfulfillable", "reserved"}
    counts: dict = field(default_factory=dict)
    shipments: list = field(default_factory=list)  # rendered FulfillmentShipment dicts

    @property
    def order_id(self):
        return self.request["sellerFulfillmentOrderId"]

    def items(self):
        return self.request["items"]


class FulfillmentOutboundStore:
    """The sellers' Multi-Channel Fulfillment orders."""

    def __init__(self):
        super().__init__()
        self.fulfillment_orders = {}  # (seller_id, sellerFulfillmentOrderId) -> FulfillmentOrder

    def _sellable(self, seller_id, marketplace_id, sku):
        return self.fba_stock.get((seller_id, marketplace_id, sku))

    def advance_fulfillment_order(self, seller_id, order_id, status):
        """Move an order along (Planning, Processing, Unfulfillable...)."""
        with self.lock:
            order = self.fulfillment_orders[seller_id, order_id]
            if status == "Unfulfillable":
                self._release(order, "unfulfillable")
            order.status, order.updated = status, utcnow()
            self.fulfillment_order_changed(order)
            return order

    def ship_fulfillment_order(self, seller_id, order_id, quantities=None, carrier="DHL"):
        """Ship a package: ``quantities`` {sellerFulfillmentOrderItemId: units}
        (default: all that is reserved). The order is Complete once nothing is
        left to ship, CompletePartialled when some units were not shipped."""
        with self.lock:
            order = self.fulfillment_orders[seller_id, order_id]
            if order.status in ("Cancelled", "Invalid", "Unfulfillable", "Complete"):
                raise StoreError(f"{order_id} is {order.status}: nothing ships")
            quantities = quantities or {
                item_id: counts["reserved"] for item_id, counts in order.counts.items()
            }
            number = len(order.shipments) + 1
            tracking = f"{carrier}{secrets.randbelow(10**10):010d}"
            lines = []
            for item in order.items():
                item_id = item["sellerFulfillmentOrderItemId"]
                units = min(quantities.get(item_id, 0), order.counts[item_id]["reserved"])
                if not units:
                    continue
                counts = order.counts[item_id]
                counts["reserved"] -= units
                counts["shipped"] += units
                sku, market, ref = item["sellerSku"], order.marketplace_id, order_id
                self.fba_event(seller_id, market, sku, "Shipments", -units, True, reference_id=ref)
                lines.append(
                    {
                        "sellerSku": item["sellerSku"],
                        "sellerFulfillmentOrderItemId": item_id,
                        "quantity": units,
                        "packageNumber": number,
                    }
                )
            if not lines:
                raise StoreError(f"{order_id}: nothing left to ship")
            per_unit = SPEEDS.get(order.request["shippingSpeedCategory"], (0, "5.00"))[1]
            fee = -Decimal(per_unit) * sum(line["quantity"] for line in lines)
            group = self.open_group_id(seller_id, MARKETPLACES[order.marketplace_id].currency)
            self.add_transaction(
                seller_id,
                order.marketplace_id,
                "ServiceFee",
                group_id=group,
                breakdowns=[("FBAPerUnitFulfillmentFee", fee)],
                description=f"Multi-Channel Fulfillment {order_id}",
            )
            now = utcnow()
            order.shipments.append(
                {
                    "amazonShipmentId": f"T{secrets.token_hex(5).upper()}",
                    "fulfillmentCenterId": "LEJ1",
                    "fulfillmentShipmentStatus": "SHIPPED",
                    "shippingDate": isoformat(now),
                    "estimatedArrivalDate": isoformat(now + timedelta(days=2)),
                    "fulfillmentShipmentItem": lines,
                    "fulfillmentShipmentPackage": [
                        {
                            "packageNumber": number,
                            "carrierCode": carrier,
                            "trackingNumber": tracking,
                            "estimatedArrivalDate": isoformat(now + timedelta(days=2)),
                        }
                    ],
                }
            )
            left = sum(counts["reserved"] for counts in order.counts.values())
            if left:
                order.status = "Processing"
            else:
                unshipped = sum(c["cancelled"] + c["unfulfillable"] for c in order.counts.values())
                order.status = "CompletePartialled" if unshipped else "Complete"
            order.updated = now
            self.fulfillment_order_changed(order)
            return order

    def fulfillment_order_changed(self, order):
        """FULFILLMENT_ORDER_STATUS (FulfillmentOrderStatusNotification.json)."""
        now = isoformat(utcnow())
        notice = {
            "SellerId": order.seller_id,
            "EventType": "Order",
            "StatusUpdatedDateTime": now,
            "SellerFulfillmentOrderId": order.order_id,
            "FulfillmentOrderStatus": order.status,
        }
        # The schema requires a shipment, its "info" and a return item: empty
        # until Amazon has them.
        shipment = (order.shipments or [{}])[-1]
        packages = [
            {key[0].upper() + key[1:]: package[key] for key in PACKAGE_KEYS}
            for package in shipment.get("fulfillmentShipmentPackage", [])
        ]
        notice["FulfillmentShipment"] = {
            "FulfillmentShipmentStatus": shipment.get("fulfillmentShipmentStatus", ""),
            "AmazonShipmentId": shipment.get("amazonShipmentId", ""),
            "EstimatedArrivalDateTime": shipment.get("estimatedArrivalDate", ""),
            "info": (packages or [{}])[0],
            "FulfillmentShipmentPackages": packages,
        }
        notice["FulfillmentReturnItem"] = dict(NO_RETURN)
        self.publish(
            order.seller_id,
            "FULFILLMENT_ORDER_STATUS",
            lambda _subscription: {
                **dict.fromkeys(("NotificationVersion", "PayloadVersion"), "1.0"),
                "NotificationType": "FULFILLMENT_ORDER_STATUS",
                "EventTime": now,
                "Payload": {"FulfillmentOrderStatusNotification": dict(notice)},
            },
        )

    def _release(self, order, reason):
        """The order's reserved units go back to sellable stock, counted as
        ``reason`` (cancelled, unfulfillable)."""
        for item in order.items():
            counts = order.counts[item["sellerFulfillmentOrderItemId"]]
            stock = self._sellable(order.seller_id, order.marketplace_id, item["sellerSku"])
            if stock and counts["reserved"]:
                stock.reserved = max(0, stock.reserved - counts["reserved"])
                stock.fulfillable += counts["reserved"]
                stock.last_updated_time = utcnow()
            counts[reason] += counts["reserved"]
            counts["reserved"] = 0


class FulfillmentOutboundApi(Api):
    """Multi-Channel Fulfillment's five operations."""

    routes = [
        route(method, "/fba/outbound/2020-07-01/fulfillmentOrders" + path, operation, handler)
        for method, path, operation, handler in (
            ("POST", "/preview", "getFulfillmentPreview", "get_fulfillment_preview"),
            ("POST", "", "createFulfillmentOrder", "create_fulfillment_order"),
            ("GET", "", "listAllFulfillmentOrders", "list_all_fulfillment_orders"),
            ("GET", "/(?P<order_id>[^/]+)", "getFulfillmentOrder", "get_fulfillment_order"),
            (
                "PUT",
                "/(?P<order_id>[^/]+)/cancel",
                "cancelFulfillmentOrder",
                "cancel_fulfillment_order",
            ),
        )
    ]

    # --- checks common to the preview and the creation -------------------------------------
    def _marketplace(self, call, body):
        store = self.emulator.store
        seller = store.sellers[call.seller_id]
        marketplace_id = body.get("marketplaceId") or seller.marketplace_ids[0]
        if marketplace_id not in seller.marketplace_ids:
            raise invalid(f"marketplaceId {marketplace_id} is not one of the seller's.")
        return marketplace_id

    def _check_items(self, items):
        if len(items) > MAX_LINES or sum(item["quantity"] for item in items) > MAX_UNITS:
            raise invalid("Maximum of 100 line items with a maximum of 250 units per order.")
        ids = [item["sellerFulfillmentOrderItemId"] for item in items]
        if len(set(ids)) != len(ids):
            raise invalid("Each sellerFulfillmentOrderItemId must be unique in the order.")
        if any(item["quantity"] <= 0 for item in items):
            raise invalid("Each item's quantity must be positive.")

    @staticmethod
    def _address_problem(address):
        """Why Amazon cannot deliver to ``address``, or None."""
        country = address.get("countryCode", "")
        if country != "JP" and not address.get("city"):
            # "required in all countries except Japan"
            return "InvalidDestinationAddress"
        pattern = POSTAL_CODES.get(country)
        if pattern and not re.fullmatch(pattern, address.get("postalCode", "").upper()):
            return "InvalidDestinationAddress"
        return None

    def _speed(self, marketplace_id, speed):
        if speed == "ScheduledDelivery" and MARKETPLACES[marketplace_id].country != "JP":
            raise invalid("ScheduledDelivery is only available in the JP marketplace.")
        return speed

    # --- getFulfillmentPreview -------------------------------------------------------------
    def op_get_fulfillment_preview(self, call, params, body):
        store = self.emulator.store
        marketplace_id = self._marketplace(call, body)
        items = body["items"]
        self._check_items(items)
        speeds = body.get("shippingSpeedCategories") or list(SPEEDS)
        address_problem = self._address_problem(body["address"])
        currency = MARKETPLACES[marketplace_id].currency
        previews = []
        with store.lock:
            for speed in speeds:
                self._speed(marketplace_id, speed)
                previews.append(
                    self._preview(call, marketplace_id, items, speed, address_problem, currency)
                )
        return 200, {"payload": {"fulfillmentPreviews": previews}}

    def _preview(self, call, marketplace_id, items, speed, address_problem, currency):
        store = self.emulator.store
        unfulfillable = []
        for item in items:
            stock = store._sellable(call.seller_id, marketplace_id, item["sellerSku"])
            reason = (
                "InvalidSKU"
                if stock is None
                else ("InventoryUnavailable" if stock.fulfillable < item["quantity"] else None)
            )
            if reason:
                unfulfillable.append(
                    {
                        "sellerSku": item["sellerSku"],
                        "quantity": item["quantity"],
                        "sellerFulfillmentOrderItemId": item["sellerFulfillmentOrderItemId"],
                        "itemUnfulfillableReasons": [reason],
                    }
                )
        days, per_unit = SPEEDS.get(speed, (7, "5.00"))
        units = sum(item["quantity"] for item in items)
        now = utcnow()
        preview = {
            "shippingSpeedCategory": speed,
            "isFulfillable": not unfulfillable and not address_problem,
            "isCODCapable": False,
            "marketplaceId": marketplace_id,
            "estimatedFees": [
                {
                    "name": "FBAPerUnitFulfillmentFee",
                    "amount": {
                        "currencyCode": currency,
                        "value": str(Decimal(per_unit) * units),
                    },
                }
            ],
            "fulfillmentPreviewShipments": [
                {
                    "earliestShipDate": isoformat(now + timedelta(hours=4)),
                    "latestShipDate": isoformat(now + timedelta(days=1)),
                    "earliestArrivalDate": isoformat(now + timedelta(days=days)),
                    "latestArrivalDate": isoformat(now + timedelta(days=days + 1)),
                    "fulfillmentPreviewItems": [
                        {
                            "sellerSku": item["sellerSku"],
                            "quantity": item["quantity"],
                            "sellerFulfillmentOrderItemId": item["sellerFulfillmentOrderItemId"],
                        }
                        for item in items
                    ],
                }
            ],
            "unfulfillablePreviewItems": unfulfillable,
        }
        if address_problem:
            preview["orderUnfulfillableReasons"] = [address_problem]
        return preview

    # --- createFulfillmentOrder ------------------------------------------------------------
    def op_create_fulfillment_order(self, call, params, body):
        store = self.emulator.store
        marketplace_id = self._marketplace(call, body)
        order_id = body["sellerFulfillmentOrderId"]
        displayable = body["displayableOrderId"].strip()
        if not displayable or "  " in displayable:
            raise invalid(
                "displayableOrderId: from one to 40 characters, never two spaces in a row."
            )
        items = body["items"]
        self._check_items(items)
        self._speed(marketplace_id, body["shippingSpeedCategory"])
        if body["shippingSpeedCategory"] == "ScheduledDelivery" and (
            body.get("fulfillmentAction") == "Hold"
        ):
            raise invalid("Hold is not a valid fulfillmentAction for ScheduledDelivery.")
        parse_iso8601("displayableOrderDate", body["displayableOrderDate"])
        with store.lock:
            if (call.seller_id, order_id) in store.fulfillment_orders:
                # "must be unique for each fulfillment order that a seller creates"
                raise invalid(f"A fulfillment order with ID {order_id} already exists.")
            stocks = {}
            for item in items:
                stock = store._sellable(call.seller_id, marketplace_id, item["sellerSku"])
                if stock is None:
                    raise invalid(f"Invalid sellerSku {item['sellerSku']}: not in your inventory.")
                stocks[item["sellerFulfillmentOrderItemId"]] = stock
            order = FulfillmentOrder(call.seller_id, marketplace_id, body)
            order.counts = {
                item["sellerFulfillmentOrderItemId"]: dict.fromkeys(
                    ("shipped", "cancelled", "unfulfillable", "reserved"), 0
                )
                for item in items
            }
            store.fulfillment_orders[call.seller_id, order_id] = order
            self._validate(order, stocks)
            store.fulfillment_order_changed(order)
        return 200, {}

    def _validate(self, order, stocks):
        """New -> Received (units reserved) or Invalid, by the fulfillment policy."""
        policy = order.request.get("fulfillmentPolicy") or "FillOrKill"
        short = [
            item
            for item in order.items()
            if stocks[item["sellerFulfillmentOrderItemId"]].fulfillable < item["quantity"]
        ]
        if self._address_problem(order.request["destinationAddress"]) or (
            short and policy == "FillOrKill"
        ):
            # "no items in the order will ship"
            order.status = "Invalid"
            for item in order.items():
                order.counts[item["sellerFulfillmentOrderItemId"]]["unfulfillable"] = item[
                    "quantity"
                ]
            return
        for item in order.items():
            stock = stocks[item["sellerFulfillmentOrderItemId"]]
            units = min(item["quantity"], stock.fulfillable)
            stock.fulfillable -= units
            stock.reserved += units
            stock.last_updated_time = utcnow()
            counts = order.counts[item["sellerFulfillmentOrderItemId"]]
            counts["reserved"] = units
            if policy == "FillAllAvailable":
                counts["unfulfillable"] = item["quantity"] - units
        order.status = "Received"

    # --- getFulfillmentOrder / listAllFulfillmentOrders ------------------------------------
    def _own(self, call, order_id):
        order = self.emulator.store.fulfillment_orders.get((call.seller_id, order_id))
        if order is None:
            raise ApiError(404, "NotFound", f"Fulfillment order {order_id} not found.")
        return order

    def op_get_fulfillment_order(self, call, params, body, order_id):
        with self.emulator.store.lock:
            order = self._own(call, order_id)
            result = {
                "fulfillmentOrder": self._render_order(order),
                "fulfillmentOrderItems": [self._render_item(order, item) for item in order.items()],
                "fulfillmentShipments": list(order.shipments),
                "returnItems": [],
                "returnAuthorizations": [],
            }
        return 200, {"payload": result}

    def op_list_all_fulfillment_orders(self, call, params, body):
        store = self.emulator.store
        since = params.get("queryStartDate")
        since = parse_iso8601("queryStartDate", since) if since else None
        with store.lock:
            orders = [
                self._render_order(order)
                for (seller_id, _id), order in store.fulfillment_orders.items()
                if seller_id == call.seller_id and (since is None or order.updated >= since)
            ]
        return 200, {"payload": {"fulfillmentOrders": orders}}

    def _render_order(self, order):
        request = order.request
        return {
            "sellerFulfillmentOrderId": order.order_id,
            "marketplaceId": order.marketplace_id,
            "displayableOrderId": request["displayableOrderId"].strip(),
            "displayableOrderDate": request["displayableOrderDate"],
            "displayableOrderComment": request["displayableOrderComment"],
            "shippingSpeedCategory": request["shippingSpeedCategory"],
            "destinationAddress": request["destinationAddress"],
            "fulfillmentAction": request.get("fulfillmentAction") or "Ship",
            "fulfillmentPolicy": request.get("fulfillmentPolicy") or "FillOrKill",
            "receivedDate": isoformat(order.received),
            "fulfillmentOrderStatus": order.status,
            "statusUpdatedDate": isoformat(order.updated),
        }

    @staticmethod
    def _render_item(order, item):
        counts = order.counts[item["sellerFulfillmentOrderItemId"]]
        return {
            "sellerSku": item["sellerSku"],
            "sellerFulfillmentOrderItemId": item["sellerFulfillmentOrderItemId"],
            "quantity": item["quantity"],
            "cancelledQuantity": counts["cancelled"],
            "unfulfillableQuantity": counts["unfulfillable"],
        }

    # --- cancelFulfillmentOrder ------------------------------------------------------------
    def op_cancel_fulfillment_order(self, call, params, body, order_id):
        store = self.emulator.store
        with store.lock:
            order = self._own(call, order_id)
            if order.status not in CANCELLABLE:
                # "The seller cannot cancel a fulfillment order that has a status of Processing."
                raise invalid(
                    f"Fulfillment order {order_id} is {order.status}: it can no longer be "
                    "cancelled."
                )
            store._release(order, "cancelled")
            order.status, order.updated = "Cancelled", utcnow()
            store.fulfillment_order_changed(order)
        return 200, {}
