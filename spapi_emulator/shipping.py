"""Shipping API v2 (shippingV2.json): Amazon Buy Shipping labels for the
seller's own Amazon orders: getRates, purchaseShipment, getShipmentDocuments,
cancelShipment, getTracking.

Sources, besides the schemas (which the router's contract check applies):
- GetRatesRequest: "When the channelType is Amazon, the shipTo address is not
  required and will be ignored."
- AmazonOrderDetails: "This is required if the shipment source channel is
  Amazon."
- Tutorial "Purchase a Shipment From a Rate": "For each item in the package,
  the Order Item ID should be sent in the itemIdentifier attribute";
  "At this time, each shipment is limited to a single package."; shipTo is
  "Conditional": "For Amazon orders, shipTo information is pulled directly
  from the Amazon order."
- Amazon Shipping's test case guide: "the Amazon order must be associated with
  the same Seller Central account for which the token is generated."
- purchaseShipment: "You must complete the purchase within 10 minutes of rate
  creation ... error code equal to "TOKEN_EXPIRED"."
- RequestedDocumentSpecification: "the shipment purchase fails if the
  specified document specifications are not among those returned in the
  response to the getRates operation."; SupportedDocumentDetail.isMandatory:
  "When true, the supported document type is required."
- RequestedValueAddedService.id: "Must be among those returned in the
  response to the getRates operation."
- x-amzn-IdempotencyKey: "A unique value which the server uses to recognize
  subsequent retries of the same request."
- getShipmentDocuments: packageClientReferenceId "originally provided in the
  request body parameter for the getRates operation"; format "Must be one of
  the supported formats returned by the getRates operation."; dpi "Must be
  one of the supported resolutions".
- getTracking: trackingId "originally returned by the purchaseShipment
  operation", carrierId "originally returned by the getRates operation".
- Status "PreTransit": "Package has been created but has not been picked up."

What Amazon does not publish is the emulator's own, and said so: its carriers,
services and prices (they vary by billed weight and service), that a label
bought for an Amazon order confirms its shipment (what Buy Shipping is for)
and is charged to the seller's account (finances.FinancesStore.charge_postage),
that a label can be cancelled while PreTransit only, and that an idempotency
key sent again with another request is refused.
"""

import base64
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from .common import Api, ApiError, invalid, isoformat, parse_iso8601, route, utcnow
from .labels import label_document

RATE_LIFETIME = timedelta(minutes=10)
# The emulator's carriers: (carrierId, carrierName, serviceId, serviceName,
# base price, price per billed kg, days to deliver, heaviest kg).
SERVICES = (
    ("AMZN", "Amazon Shipping", "AMZN_STD", "Amazon Shipping Standard", "3.20", "0.40", 3, 23),
    ("AMZN", "Amazon Shipping", "AMZN_NEXT", "Amazon Shipping One-Day", "5.90", "0.65", 1, 23),
    ("DHL", "DHL", "DHL_PAKET", "DHL Paket", "4.50", "0.25", 2, 31.5),
    ("UPS", "UPS", "UPS_SAVER", "UPS Express Saver", "9.80", "0.90", 1, 70),
)
KG = {"GRAM": Decimal("0.001"), "KILOGRAM": Decimal(1), "OUNCE": Decimal("0.0283495")}
KG["POUND"] = KG["OUNCE"] * 16
CM = {"CENTIMETER": Decimal(1), "INCH": Decimal("2.54")}
LABEL_SIZE = {"width": 4, "length": 6, "unit": "INCH"}
SUPPORTED_DOCUMENTS = [
    {
        "format": document_format,
        "size": LABEL_SIZE,
        "printOptions": [
            {
                "supportedDPIs": dpis,
                "supportedPageLayouts": ["DEFAULT"],
                "supportedFileJoiningOptions": [False],
                "supportedDocumentDetails": [{"name": "LABEL", "isMandatory": True}],
            }
        ],
    }
    for document_format, dpis in (("PDF", [300]), ("PNG", [300]), ("ZPL", [203, 300]))
]


@dataclass
class RateRequest:
    """What a requestToken stands for: the seller's rated package."""

    seller_id: str
    order_id: str
    package: dict
    rates: dict  # rateId: the Rate answered
    created: object = field(default_factory=utcnow)


@dataclass
class Label:
    """A purchased shipment (one package) and its documents."""

    shipment_id: str
    seller_id: str
    order_id: str
    package_client_reference_id: str
    package_reference_id: str  # the package it confirmed on the order
    tracking_id: str
    carrier_id: str
    service_id: str
    total_charge: dict
    promise: dict
    document_format: str
    dpi: int | None
    status: str = "PreTransit"
    cancelled: bool = False
    created: object = field(default_factory=utcnow)


class ShippingStore:
    """Rate requests, purchased labels and the answers to idempotency keys."""

    def __init__(self):
        super().__init__()
        self.rate_requests = {}
        self.labels = {}
        self.idempotent_purchases = {}  # (seller, key): (request body, answer)

    def labels_of(self, order_id, cancelled=False):
        return [
            label
            for label in self.labels.values()
            if label.order_id == order_id and label.cancelled == cancelled
        ]

    def pick_up_label(self, shipment_id):
        """The carrier scanned the parcel: it is in transit (no more cancelling)."""
        with self.lock:
            self.labels[shipment_id].status = "InTransit"

    def expire_rates(self):
        """Make every rate request older than its 10 minutes."""
        with self.lock:
            for request in self.rate_requests.values():
                request.created -= RATE_LIFETIME + timedelta(seconds=1)


def _kg(weight):
    return Decimal(str(weight["value"])) * KG[weight["unit"]]


def _cm(dimensions, name):
    return Decimal(str(dimensions[name])) * CM[dimensions["unit"]]


def _money(value, currency):
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"value": float(amount), "unit": currency}


class ShippingApi(Api):
    """Shipping API v2's Buy Shipping operations."""

    routes = [
        route("POST", "/shipping/v2/shipments/rates", "getRates", "get_rates"),
        route("POST", "/shipping/v2/shipments", "purchaseShipment", "purchase_shipment"),
        route(
            "GET",
            "/shipping/v2/shipments/(?P<shipment_id>[^/]+)/documents",
            "getShipmentDocuments",
            "get_shipment_documents",
        ),
        route(
            "PUT",
            "/shipping/v2/shipments/(?P<shipment_id>[^/]+)/cancel",
            "cancelShipment",
            "cancel_shipment",
        ),
        route("GET", "/shipping/v2/tracking", "getTracking", "get_tracking"),
    ]

    # --- getRates -------------------------------------------------------------------------
    def op_get_rates(self, call, params, body):
        store = self.emulator.store
        channel = body["channelDetails"]
        if channel["channelType"] != "AMAZON":
            # "For Amazon orders, shipTo information is pulled directly from the
            # Amazon order": any other shipment needs it.
            if not body.get("shipTo"):
                raise invalid("shipTo is required unless the channelType is AMAZON.")
            raise ApiError(
                403, "Unauthorized", "This seller ships Amazon orders only (channelType AMAZON)."
            )
        order_id = (channel.get("amazonOrderDetails") or {}).get("orderId")
        if not order_id:
            raise invalid("channelDetails.amazonOrderDetails.orderId is required for AMAZON.")
        order = store.orders.get(order_id)
        if order is None or order.seller_id != call.seller_id:
            raise invalid(f"Order {order_id} is not an order of this seller.")
        if order.fulfilled_by != "MERCHANT" or order.status in ("CANCELLED", "PENDING"):
            raise invalid(f"Order {order_id} cannot be shipped by the seller.")
        packages = body["packages"]
        if len(packages) != 1:
            raise invalid("Each shipment is limited to a single package.")
        package = packages[0]
        self._check_items(order, package)
        ship_date = parse_iso8601("shipDate", body["shipDate"]) if body.get("shipDate") else None
        rates, ineligible = self._rates(order, package, ship_date or utcnow())
        token = secrets.token_urlsafe(24)
        with store.lock:
            store.rate_requests[token] = RateRequest(
                call.seller_id, order_id, package, {rate["rateId"]: rate for rate in rates}
            )
        payload = {"requestToken": token, "rates": rates}
        if ineligible:
            payload["ineligibleRates"] = ineligible
        return 200, {"payload": payload}

    @staticmethod
    def _check_items(order, package):
        left = {item.order_item_id: item.quantity - item.quantity_shipped for item in order.items}
        asked = {}
        for item in package["items"]:
            # "the Order Item ID should be sent in the itemIdentifier attribute"
            ref = item.get("itemIdentifier")
            if ref not in left:
                raise invalid(f"itemIdentifier {ref!r} is not an item of order {order.order_id}.")
            if item["quantity"] <= 0:
                raise invalid("Each item needs a positive quantity.")
            # Item.serialNumbers: "The number of serial numbers in the list must
            # be less than or equal to the quantity of items being shipped."
            if len(item.get("serialNumbers") or ()) > item["quantity"]:
                raise invalid("There are more serial numbers than units.")
            asked[ref] = asked.get(ref, 0) + item["quantity"]
        for ref, quantity in asked.items():
            # What is left to ship (ItemFulfillment.quantityUnfulfilled), as for
            # confirmShipment.
            if quantity > left[ref]:
                raise invalid(f"Quantity {quantity} of item {ref} exceeds what is left to ship.")

    @staticmethod
    def _rates(order, package, ship_date):
        weight = _kg(package["weight"])
        dimensions = package["dimensions"]
        volume = _cm(dimensions, "length") * _cm(dimensions, "width") * _cm(dimensions, "height")
        # Carriers bill the greater of the weight and the volumetric weight.
        billed = max(weight, volume / 5000)
        currency = order.currency
        rates, ineligible = [], []
        for carrier_id, carrier, service_id, service, base, per_kg, days, heaviest in SERVICES:
            names = {
                "carrierId": carrier_id,
                "carrierName": carrier,
                "serviceId": service_id,
                "serviceName": service,
            }
            if weight <= 0 or billed > Decimal(str(heaviest)):
                reason = {"code": "WEIGHT_RESTRICTIONS", "message": "Outside the weight range."}
                ineligible.append({**names, "ineligibilityReasons": [reason]})
                continue
            price = Decimal(base) + Decimal(per_kg) * billed.quantize(Decimal("0.1"))
            pickup_end = ship_date + timedelta(hours=8)
            delivery = ship_date + timedelta(days=days)
            rates.append(
                {
                    "rateId": secrets.token_hex(8),
                    **names,
                    "billedWeight": {
                        "value": float(billed.quantize(Decimal("0.001"))),
                        "unit": "KILOGRAM",
                    },
                    "totalCharge": _money(price, currency),
                    "promise": {
                        "pickupWindow": {
                            "start": isoformat(ship_date),
                            "end": isoformat(pickup_end),
                        },
                        "deliveryWindow": {
                            "start": isoformat(delivery),
                            "end": isoformat(delivery + timedelta(hours=12)),
                        },
                    },
                    "supportedDocumentSpecifications": SUPPORTED_DOCUMENTS,
                    "requiresAdditionalInputs": False,
                    "paymentType": "PAY_THROUGH_AMAZON",
                }
            )
        return rates, ineligible

    # --- purchaseShipment -------------------------------------------------------------------
    def op_purchase_shipment(self, call, params, body):
        store = self.emulator.store
        key = self.headers.get("x-amzn-IdempotencyKey")
        if key:
            with store.lock:
                seen = store.idempotent_purchases.get((call.seller_id, key))
            if seen is not None:
                # "recognize subsequent retries of the same request": the first
                # answer again, whenever the retry comes. Another request under
                # the same key is the client's mistake (the emulator's rule).
                if seen[0] != body:
                    raise invalid("x-amzn-IdempotencyKey was used for another request.")
                return 200, seen[1]
        with store.lock:
            request = store.rate_requests.get(body["requestToken"])
            if request is None or request.seller_id != call.seller_id:
                raise invalid("requestToken is not valid.")
            if utcnow() - request.created > RATE_LIFETIME:
                raise ApiError(
                    400,
                    "TOKEN_EXPIRED",
                    "The rates expired (10 minutes after getRates). Get the rates again.",
                )
            rate = request.rates.get(body["rateId"])
            if rate is None:
                raise invalid("rateId is not a rate of this requestToken.")
            self._check_documents(rate, body["requestedDocumentSpecification"])
            if body.get("requestedValueAddedServices"):
                raise invalid("No value-added service was offered with this rate.")
            order = store.orders[request.order_id]
            if order.status in ("CANCELLED", "PENDING"):
                raise invalid(f"Order {order.order_id} is {order.status}: it cannot be shipped.")
            self._check_items(order, request.package)
            label = self._buy(order, request, rate, body["requestedDocumentSpecification"])
            answer = {"payload": self._purchase_result(label)}
            if key:
                store.idempotent_purchases[(call.seller_id, key)] = (body, answer)
        return 200, answer

    @staticmethod
    def _check_documents(rate, spec):
        # "the shipment purchase fails if the specified document specifications
        # are not among those returned in the response to the getRates operation"
        for supported in rate["supportedDocumentSpecifications"]:
            size = spec["size"]
            if supported["format"] != spec["format"] or (
                size.get("width"),
                size.get("length"),
                size.get("unit"),
            ) != tuple(supported["size"][k] for k in ("width", "length", "unit")):
                continue
            for option in supported["printOptions"]:
                details = {d["name"]: d["isMandatory"] for d in option["supportedDocumentDetails"]}
                asked = set(spec["requestedDocumentTypes"])
                if (
                    (spec.get("dpi") is None or spec["dpi"] in option["supportedDPIs"])
                    and spec.get("pageLayout", "DEFAULT") in option["supportedPageLayouts"]
                    and spec["needFileJoining"] in option["supportedFileJoiningOptions"]
                    and asked <= set(details)
                    # isMandatory: "When true, the supported document type is required."
                    and {name for name, needed in details.items() if needed} <= asked
                ):
                    return
        raise invalid(
            "requestedDocumentSpecification is not among the rate's "
            "supportedDocumentSpecifications."
        )

    def _buy(self, order, request, rate, spec):
        """The label: bought for an Amazon order, it confirms the package's
        shipment on the order (Buy Shipping's point: valid tracking)."""
        store = self.emulator.store
        tracking = f"{rate['carrierId']}{secrets.randbelow(10**12):012d}"
        reference = str(max([int(p.package_reference_id) for p in order.packages] or [0]) + 1)
        label = Label(
            shipment_id=secrets.token_hex(10),
            seller_id=request.seller_id,
            order_id=order.order_id,
            package_client_reference_id=request.package["packageClientReferenceId"],
            package_reference_id=reference,
            tracking_id=tracking,
            carrier_id=rate["carrierId"],
            service_id=rate["serviceId"],
            total_charge=rate["totalCharge"],
            promise=rate["promise"],
            document_format=spec["format"],
            dpi=spec.get("dpi"),
        )
        store.labels[label.shipment_id] = label
        store.charge_postage(label, order.marketplace_id)
        store.confirm_shipment(
            order,
            {
                "packageReferenceId": reference,
                "carrierCode": rate["carrierName"],
                "carrierName": rate["carrierName"],
                "shippingMethod": rate["serviceName"],
                "trackingNumber": tracking,
                "shipDate": rate["promise"]["pickupWindow"]["start"],
                "orderItems": [
                    {"orderItemId": item["itemIdentifier"], "quantity": item["quantity"]}
                    for item in request.package["items"]
                ],
            },
        )
        store.order_changed(order)
        return label

    def _purchase_result(self, label):
        return {
            "shipmentId": label.shipment_id,
            "packageDocumentDetails": [self._document_detail(label, label.document_format)],
            "promise": label.promise,
        }

    def _document_detail(self, label, document_format):
        contents = label_document(
            label, self.emulator.store.orders[label.order_id], document_format
        )
        return {
            "packageClientReferenceId": label.package_client_reference_id,
            "trackingId": label.tracking_id,
            "packageDocuments": [
                {
                    "type": "LABEL",
                    "format": document_format,
                    "contents": base64.b64encode(contents).decode(),
                }
            ],
        }

    # --- after the purchase -------------------------------------------------------------------
    def _own_label(self, call, shipment_id):
        label = self.emulator.store.labels.get(shipment_id)
        if label is None or label.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Shipment {shipment_id} not found.")
        return label

    def op_get_shipment_documents(self, call, params, body, shipment_id):
        label = self._own_label(call, shipment_id)
        if params.get("packageClientReferenceId") != label.package_client_reference_id:
            raise invalid("packageClientReferenceId is not this shipment's package.")
        document_format = params.get("format") or label.document_format
        supported = {spec["format"]: spec for spec in SUPPORTED_DOCUMENTS}
        if document_format not in supported:
            raise invalid(f"format {document_format} is not a supported format.")
        dpi = params.get("dpi")
        if dpi and int(dpi) not in supported[document_format]["printOptions"][0]["supportedDPIs"]:
            raise invalid(f"dpi {dpi} is not a supported resolution for {document_format}.")
        result = {"shipmentId": label.shipment_id}
        result["packageDocumentDetail"] = self._document_detail(label, document_format)
        return 200, {"payload": result}

    def op_cancel_shipment(self, call, params, body, shipment_id):
        store = self.emulator.store
        with store.lock:
            label = self._own_label(call, shipment_id)
            if label.cancelled:
                raise invalid(f"Shipment {shipment_id} is already cancelled.")
            # The emulator's rule: a parcel the carrier has ("PreTransit: ... has
            # not been picked up" no more) cannot be cancelled.
            if label.status != "PreTransit":
                raise invalid(
                    f"Shipment {shipment_id} cannot be cancelled: the carrier has picked it up."
                )
            label.cancelled = True
            order = store.orders[label.order_id]
            store.charge_postage(label, order.marketplace_id, refund=True)
            package = next(
                p for p in order.packages if p.package_reference_id == label.package_reference_id
            )
            order.packages.remove(package)
            for line in package.items:
                for item in order.items:
                    if item.order_item_id == line["orderItemId"]:
                        item.quantity_shipped = max(0, item.quantity_shipped - line["quantity"])
            order.status = "UNSHIPPED"
            store._shipped_status(order)
            store.order_changed(order)
        return 200, {"payload": {}}

    def op_get_tracking(self, call, params, body):
        store = self.emulator.store
        label = next(
            (
                label
                for label in store.labels.values()
                if label.seller_id == call.seller_id
                and label.tracking_id == params.get("trackingId")
                and label.carrier_id == params.get("carrierId")
            ),
            None,
        )
        if label is None:
            raise ApiError(404, "NotFound", "No shipment has this trackingId and carrierId.")
        events = [{"eventCode": "ReadyForReceive", "eventTime": isoformat(label.created)}]
        if label.status != "PreTransit":
            events.append({"eventCode": "PickupDone", "eventTime": isoformat(utcnow())})
        result = {
            "trackingId": label.tracking_id,
            "alternateLegTrackingId": "",
            "eventHistory": events,
            "promisedDeliveryDate": label.promise["deliveryWindow"]["end"],
            "summary": {"status": label.status},
        }
        return 200, {"payload": result}
