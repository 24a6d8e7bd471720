"""Buy Shipping (Shipping API v2) payloads <-> plain values: the rate request
of one package of an Amazon order, the rates Amazon offers, the rule that
picks one, and the purchased label. No Odoo here.

Amazon's tutorial "Purchase a Shipment From a Rate": the order id goes in
``channelDetails``, each item's order item id in ``itemIdentifier``, and
"each shipment is limited to a single package": a delivery packed in several
parcels buys one label per parcel.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from . import checks
from .checks import PayloadError

# A label is a page or two: anything larger is not a label (every download bounded).
MAX_LABEL_BYTES = 5 * 1024 * 1024
LABEL_FORMATS = ("PDF", "ZPL")
RATE_RULES = ("cheapest", "fastest", "promise")


@dataclass(frozen=True)
class LabelPackage:
    """One parcel as Odoo knows it (kilograms, centimetres)."""

    reference: str  # packageClientReferenceId: ours, unique per delivery
    weight_kg: float
    length_cm: float
    width_cm: float
    height_cm: float
    value: Decimal
    currency: str
    items: tuple  # ((order item id, quantity), ...)


@dataclass(frozen=True)
class Rate:
    rate_id: str
    carrier_id: str
    carrier_name: str
    service_id: str
    service_name: str
    amount: Decimal
    currency: str
    delivery_start: datetime | None
    delivery_end: datetime | None
    formats: tuple  # the label formats this rate supports
    needs_inputs: bool


@dataclass(frozen=True)
class Purchase:
    shipment_id: str
    tracking_id: str
    document_format: str
    document: bytes


def rates_request(order_ref, ship_from, package, ship_date=None):
    """The GetRatesRequest of one parcel of an Amazon order. ``ship_from`` is
    an Address dict (shippingV2's fields); shipTo is left out ("When the
    channelType is Amazon, the shipTo address is not required and will be
    ignored")."""
    request = {
        "shipFrom": ship_from,
        "packages": [
            {
                "packageClientReferenceId": package.reference,
                "weight": {"value": round(package.weight_kg, 3), "unit": "KILOGRAM"},
                "dimensions": {
                    "length": round(package.length_cm, 2),
                    "width": round(package.width_cm, 2),
                    "height": round(package.height_cm, 2),
                    "unit": "CENTIMETER",
                },
                "insuredValue": {"value": float(package.value), "unit": package.currency},
                "items": [
                    {"itemIdentifier": ref, "quantity": int(quantity)}
                    for ref, quantity in package.items
                ],
            }
        ],
        "channelDetails": {"channelType": "AMAZON", "amazonOrderDetails": {"orderId": order_ref}},
    }
    if ship_date:
        request["shipDate"] = ship_date.strftime("%Y-%m-%dT%H:%M:%SZ")
    return request


def document_specification(document_format):
    """The label asked for: a 4x6-inch label, the size every Buy Shipping
    carrier prints; only among the rate's supportedDocumentSpecifications."""
    return {
        "format": document_format,
        "size": {"width": 4, "length": 6, "unit": "INCH"},
        "needFileJoining": False,
        "requestedDocumentTypes": ["LABEL"],
    }


def _token(value, path):
    """Amazon's opaque tokens and ids (request tokens, rate and shipment ids):
    longer than our indexed identifiers may be, never empty."""
    value = checks.text(value, path, limit=2000).strip()
    if not value:
        raise PayloadError(f"{path} is missing")
    return value


def parse_rates(payload):
    """(requestToken, [Rate]) of a getRates payload; a rate that cannot be
    read is left out (the others still serve), none at all is an error."""
    payload = checks.obj(payload, "payload")
    token = _token(payload.get("requestToken"), "requestToken")
    rates = []
    for index, rate in enumerate(checks.objects(payload.get("rates"), "rates")):
        try:
            rates.append(_rate(rate, f"rates[{index}]"))
        except PayloadError:
            continue
    return token, rates


def _rate(rate, path):
    charge = checks.obj(rate.get("totalCharge"), f"{path}.totalCharge")
    window = checks.obj(
        checks.obj(rate.get("promise"), f"{path}.promise").get("deliveryWindow"),
        f"{path}.promise.deliveryWindow",
    )
    formats = []
    for index, spec in enumerate(
        checks.objects(
            rate.get("supportedDocumentSpecifications"), f"{path}.supportedDocumentSpecifications"
        )
    ):
        size = checks.obj(spec.get("size"), f"{path}.supportedDocumentSpecifications[{index}]")
        if (size.get("width"), size.get("length"), size.get("unit")) == (4, 6, "INCH"):
            formats.append(checks.text(spec.get("format"), f"{path}.format", limit=10))
    amount = checks.decimal(charge.get("value"), f"{path}.totalCharge.value")
    if amount < 0:
        raise PayloadError(f"{path}.totalCharge.value is negative")
    return Rate(
        rate_id=_token(rate.get("rateId"), f"{path}.rateId"),
        carrier_id=checks.identifier(rate.get("carrierId"), f"{path}.carrierId"),
        carrier_name=checks.text(rate.get("carrierName"), f"{path}.carrierName"),
        service_id=checks.identifier(rate.get("serviceId"), f"{path}.serviceId"),
        service_name=checks.text(rate.get("serviceName"), f"{path}.serviceName"),
        amount=amount,
        currency=checks.identifier(charge.get("unit"), f"{path}.totalCharge.unit")[:3],
        delivery_start=checks.moment(window.get("start"), f"{path}.promise.deliveryWindow.start"),
        delivery_end=checks.moment(window.get("end"), f"{path}.promise.deliveryWindow.end"),
        formats=tuple(formats),
        needs_inputs=rate.get("requiresAdditionalInputs") is True,
    )


def rate_to_dict(rate):
    """A Rate as JSON-safe values (kept while a person chooses)."""
    return {
        **{k: getattr(rate, k) for k in ("rate_id", "carrier_id", "carrier_name")},
        **{k: getattr(rate, k) for k in ("service_id", "service_name", "currency")},
        "amount": str(rate.amount),
        "delivery_start": rate.delivery_start and rate.delivery_start.isoformat(),
        "delivery_end": rate.delivery_end and rate.delivery_end.isoformat(),
        "formats": list(rate.formats),
        "needs_inputs": rate.needs_inputs,
    }


def rate_from_dict(values):
    """The Rate of rate_to_dict's values."""

    def moment(value):
        return value and datetime.fromisoformat(value)

    return Rate(
        **{k: values[k] for k in ("rate_id", "carrier_id", "carrier_name", "service_id")},
        service_name=values["service_name"],
        amount=Decimal(values["amount"]),
        currency=values["currency"],
        delivery_start=moment(values["delivery_start"]),
        delivery_end=moment(values["delivery_end"]),
        formats=tuple(values["formats"]),
        needs_inputs=values["needs_inputs"],
    )


def buyable_rates(rates, document_format):
    """The rates this connector can buy: no additional inputs, and a label in
    ``document_format``."""
    return [r for r in rates if not r.needs_inputs and document_format in r.formats]


def meets_promise(rate, deliver_by):
    """The rate delivers by Amazon's latest delivery date of the order."""
    return bool(deliver_by and rate.delivery_end and rate.delivery_end <= deliver_by)


def choose_rate(rates, rule, document_format, deliver_by=None):
    """The rate the account's rule picks among those this connector can buy
    (no additional inputs, the label format it prints), or None.
    - cheapest: the lowest price, then the earliest delivery;
    - fastest: the earliest delivery, then the lowest price;
    - promise: the cheapest that delivers by ``deliver_by`` (Amazon's latest
      delivery date of the order), else the fastest."""
    usable = buyable_rates(rates, document_format)
    if not usable:
        return None
    never = datetime.max

    def cheapest(rate):
        return (rate.amount, rate.delivery_end or never, rate.rate_id)

    def fastest(rate):
        return (rate.delivery_end or never, rate.amount, rate.rate_id)

    if rule == "fastest":
        return min(usable, key=fastest)
    if rule == "promise" and deliver_by:
        in_time = [r for r in usable if meets_promise(r, deliver_by)]
        return min(in_time, key=cheapest) if in_time else min(usable, key=fastest)
    return min(usable, key=cheapest)


def parse_purchase(payload, package_ref):
    """The Purchase of a purchaseShipment payload: its shipment id, and the
    tracking id and label of ``package_ref``."""
    payload = checks.obj(payload, "payload")
    shipment_id = _token(payload.get("shipmentId"), "shipmentId")
    for index, detail in enumerate(
        checks.objects(payload.get("packageDocumentDetails"), "packageDocumentDetails")
    ):
        path = f"packageDocumentDetails[{index}]"
        if detail.get("packageClientReferenceId") != package_ref:
            continue
        return Purchase(shipment_id, *_label(detail, path))
    raise PayloadError(f"packageDocumentDetails has no package {package_ref}")


def parse_documents(payload, package_ref):
    """(tracking id, format, bytes) of a getShipmentDocuments payload."""
    payload = checks.obj(payload, "payload")
    detail = checks.obj(payload.get("packageDocumentDetail"), "packageDocumentDetail")
    if detail.get("packageClientReferenceId") != package_ref:
        raise PayloadError("packageDocumentDetail is not the package asked for")
    return _label(detail, "packageDocumentDetail")


def _label(detail, path):
    tracking = checks.identifier(detail.get("trackingId"), f"{path}.trackingId")
    for index, document in enumerate(
        checks.objects(detail.get("packageDocuments"), f"{path}.packageDocuments")
    ):
        if document.get("type") != "LABEL":
            continue
        where = f"{path}.packageDocuments[{index}]"
        document_format = checks.identifier(document.get("format"), f"{where}.format")
        contents = document.get("contents")
        if not isinstance(contents, str) or len(contents) > MAX_LABEL_BYTES * 4 // 3 + 4:
            raise PayloadError(f"{where}.contents is not a label (missing or too large)")
        try:
            data = base64.b64decode(contents, validate=True)
        except (binascii.Error, ValueError):
            raise PayloadError(f"{where}.contents is not Base64") from None
        if not data:
            raise PayloadError(f"{where}.contents is empty")
        return tracking, document_format, data
    raise PayloadError(f"{path} has no LABEL document")
