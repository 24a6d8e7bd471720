"""Amazon order payloads (Orders API 2026-01-01) into plain values.

Plain functions and dataclasses, no Odoo: the importer turns these into
records. Everything Amazon might send malformed is checked here and reported
as a :class:`PayloadError` with a sentence a person can act on.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

ZERO = Decimal("0")

# What the connector imports, per channel (Amazon's fulfillment statuses).
IMPORTED_STATUSES = {
    "FBA": {"SHIPPED"},
    "FBM": {"UNSHIPPED", "PARTIALLY_SHIPPED"},
}
# Statuses worth searching for: the imported ones, plus changes of orders that
# may already be in Odoo (shipped FBM orders, cancellations).
SEARCHED_STATUSES = ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED")


# ItemTaxCollection.model of the tax Amazon withholds and remits for the seller.
MARKETPLACE_FACILITATOR = "MARKETPLACE_FACILITATOR"


class PayloadError(ValueError):
    """The order payload is not usable as it is."""


@dataclass
class Address:
    name: str = ""
    company: str = ""
    street: str = ""
    street2: str = ""
    city: str = ""
    state_code: str = ""
    zip: str = ""
    country_code: str = ""
    phone: str = ""


@dataclass
class Item:
    item_ref: str
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    item_total: Decimal
    shipping: Decimal = ZERO
    shipping_discount: Decimal = ZERO
    giftwrap: Decimal = ZERO
    promotion_discount: Decimal = ZERO
    gift_message: str = ""
    giftwrap_level: str = ""
    promotion_ids: list = field(default_factory=list)
    tax: Decimal = ZERO  # the TAX proceeds: tax Amazon charged the buyer on the item
    # ItemTaxCollection.model MARKETPLACE_FACILITATOR: "Tax is withheld and
    # remitted to the taxing authority by Amazon on behalf of the seller".
    tax_by_marketplace: bool = False
    # ItemFulfillment.quantityFulfilled: "The number of units of this item that
    # have been successfully processed and shipped", wherever they were shipped from.
    quantity_shipped: int = 0


@dataclass
class Order:
    ref: str
    marketplace_ref: str
    status: str
    channel: str  # FBA or FBM
    purchase_date: datetime  # naive UTC, as Odoo stores datetimes
    last_updated: datetime
    currency: str
    items: list
    total: Decimal | None = None
    service_level: str = ""
    buyer_name: str = ""
    buyer_email: str = ""
    buyer_company: str = ""
    purchase_order_number: str = ""
    vat: str = ""
    address: Address | None = None
    # OrderFulfillment.shipByWindow / deliverByWindow (naive UTC; None when absent).
    ship_by_earliest: datetime | None = None
    ship_by_latest: datetime | None = None
    deliver_by_earliest: datetime | None = None
    deliver_by_latest: datetime | None = None
    programs: list = field(default_factory=list)  # Order.programs: PRIME, AMAZON_BUSINESS...

    @property
    def shipping_total(self):
        return sum((i.shipping - i.shipping_discount for i in self.items), ZERO)

    @property
    def tax_total(self):
        """The tax Amazon charged the buyer (TAX proceeds of every item)."""
        return sum((i.tax for i in self.items), ZERO)

    @property
    def marketplace_tax(self):
        """The part of it Amazon collects and remits itself: not the seller's."""
        return sum((i.tax for i in self.items if i.tax_by_marketplace), ZERO)

    @property
    def taxed_by_marketplace(self):
        """Amazon collects the tax of the whole order (its shipping and gift wrap too)."""
        return all(i.tax_by_marketplace for i in self.items)

    @property
    def giftwrap_total(self):
        return sum((i.giftwrap for i in self.items), ZERO)

    @property
    def gift_messages(self):
        return [i.gift_message for i in self.items if i.gift_message]

    @property
    def giftwrap_level(self):
        return next((i.giftwrap_level for i in self.items if i.giftwrap_level), "")


def address_key(name, street, street2, city, zip_code, country_code):
    """What makes two delivery addresses of a customer the same one."""
    return tuple(
        (value or "").strip().lower()
        for value in (name, street, street2, city, zip_code, country_code)
    )


def format_datetime(moment):
    """A naive UTC datetime in the ISO 8601 form Amazon takes (2026-12-02T13:50:00Z)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value, name):
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{name} is not an ISO 8601 date: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def parse_money(money, name, currency=None):
    """Decimal amount of an Amazon Money object (None or {} counts as zero)."""
    if not money:
        return ZERO
    try:
        amount = Decimal(str(money["amount"]))
    except (KeyError, TypeError, InvalidOperation):
        raise PayloadError(f"{name} is not a valid amount: {money!r}") from None
    if currency and money.get("currencyCode") and money["currencyCode"] != currency:
        raise PayloadError(f"{name} is in {money['currencyCode']}, the order in {currency}")
    return amount


def _breakdowns(item, currency):
    """{type: amount} and the discount's {subtype: amount} of an item's proceeds."""
    totals, discounts = {}, {}
    for row in (item.get("proceeds") or {}).get("breakdowns") or []:
        kind = row.get("type")
        amount = parse_money(row.get("subtotal"), f"proceeds {kind}", currency)
        totals[kind] = totals.get(kind, ZERO) + amount
        if kind == "DISCOUNT":
            for detail in row.get("detailedBreakdowns") or []:
                sub = detail.get("subtype")
                discounts[sub] = discounts.get(sub, ZERO) + parse_money(
                    detail.get("value"), f"discount {sub}", currency
                )
            if not row.get("detailedBreakdowns"):
                discounts["ITEM"] = discounts.get("ITEM", ZERO) + amount
    return totals, discounts


def _quantity_shipped(item, quantity):
    """The units of the item Amazon counts as shipped: quantityFulfilled, else
    what quantityUnfulfilled ("remain to be processed and shipped") leaves."""
    fulfillment = item.get("fulfillment") or {}
    shipped = fulfillment.get("quantityFulfilled")
    unfulfilled = fulfillment.get("quantityUnfulfilled")
    if shipped is None and unfulfilled is not None:
        shipped = quantity - unfulfilled if isinstance(unfulfilled, int) else unfulfilled
    if shipped is None:
        return 0
    if isinstance(shipped, bool) or not isinstance(shipped, int) or not 0 <= shipped <= quantity:
        raise PayloadError(
            f"order item {item.get('orderItemId')}: {shipped!r} units shipped of {quantity}"
        )
    return shipped


def parse_item(item, currency):
    product = item.get("product") or {}
    try:
        quantity = int(item["quantityOrdered"])
    except (KeyError, TypeError, ValueError):
        raise PayloadError(f"order item {item.get('orderItemId')} has no quantity") from None
    if quantity <= 0:
        raise PayloadError(f"order item {item.get('orderItemId')} has quantity {quantity}")
    unit_price = parse_money((product.get("price") or {}).get("unitPrice"), "unit price", currency)
    totals, discounts = _breakdowns(item, currency)
    packing = ((item.get("fulfillment") or {}).get("packing") or {}).get("giftOption") or {}
    return Item(
        quantity_shipped=_quantity_shipped(item, quantity),
        item_ref=str(item.get("orderItemId") or ""),
        sku=(product.get("sellerSku") or "").strip(),
        title=product.get("title") or product.get("sellerSku") or "",
        quantity=quantity,
        unit_price=unit_price,
        item_total=totals.get("ITEM", unit_price * quantity),
        shipping=totals.get("SHIPPING", ZERO),
        shipping_discount=-discounts.get("SHIPPING", ZERO),
        giftwrap=totals.get("GIFT_WRAP", ZERO),
        promotion_discount=-discounts.get("ITEM", ZERO),
        gift_message=packing.get("giftMessage") or "",
        giftwrap_level=packing.get("giftWrapLevel") or "",
        promotion_ids=[
            b["promotionId"]
            for b in (item.get("promotion") or {}).get("breakdowns") or []
            if b.get("promotionId")
        ],
        tax=totals.get("TAX", ZERO),
        tax_by_marketplace=any(
            (collection or {}).get("model") == MARKETPLACE_FACILITATOR
            for collection in (item.get("tax") or {}).get("taxCollections") or []
        ),
    )


def parse_address(data):
    if not data:
        return None
    return Address(
        name=data.get("name") or "",
        company=data.get("companyName") or "",
        street=data.get("addressLine1") or "",
        street2=" ".join(filter(None, [data.get("addressLine2"), data.get("addressLine3")])),
        city=data.get("city") or "",
        state_code=data.get("stateOrRegion") or "",
        zip=data.get("postalCode") or "",
        country_code=(data.get("countryCode") or "").upper(),
        phone=data.get("phone") or "",
    )


def parse_order(payload, currency_of_marketplace):
    """An :class:`Order` from a searchOrders/getOrder order.

    :param currency_of_marketplace: callable marketplace id -> currency code, or
        None when the marketplace is unknown (then the order is refused).
    """
    if not isinstance(payload, dict) or not payload.get("orderId"):
        raise PayloadError("the order has no orderId")
    ref = payload["orderId"]
    marketplace_ref = (payload.get("salesChannel") or {}).get("marketplaceId")
    if not marketplace_ref:
        raise PayloadError("the order has no marketplace")
    currency = currency_of_marketplace(marketplace_ref)
    if currency is None:
        raise PayloadError(f"marketplace {marketplace_ref} is unknown to Odoo")
    fulfillment = payload.get("fulfillment") or {}
    fulfilled_by = fulfillment.get("fulfilledBy")
    if fulfilled_by not in ("AMAZON", "MERCHANT"):
        raise PayloadError(f"unknown fulfillment channel {fulfilled_by!r}")
    items = [parse_item(item, currency) for item in payload.get("orderItems") or []]
    if not items:
        raise PayloadError("the order has no items")
    buyer = payload.get("buyer") or {}
    proceeds = payload.get("proceeds") or {}
    grand_total = proceeds.get("grandTotal")
    if grand_total and grand_total.get("currencyCode") not in (None, currency):
        # The marketplace's currency is the order's: anything else we refuse.
        raise PayloadError(
            f"order total in {grand_total.get('currencyCode')}, marketplace in {currency}"
        )
    vat = ""
    for registration in (payload.get("tax") or {}).get("taxRegistrations") or []:
        if registration.get("taxRegistrationNumber"):
            vat = registration["taxRegistrationNumber"]
            break
    return Order(
        ref=ref,
        marketplace_ref=marketplace_ref,
        status=fulfillment.get("fulfillmentStatus") or "",
        channel="FBA" if fulfilled_by == "AMAZON" else "FBM",
        purchase_date=parse_datetime(payload.get("createdTime"), "createdTime"),
        last_updated=parse_datetime(
            payload.get("lastUpdatedTime") or payload.get("createdTime"), "lastUpdatedTime"
        ),
        currency=currency,
        items=items,
        total=parse_money(grand_total, "grand total", currency) if grand_total else None,
        service_level=fulfillment.get("fulfillmentServiceLevel") or "",
        buyer_name=buyer.get("buyerName") or "",
        buyer_email=(buyer.get("buyerEmail") or "").strip().lower(),
        buyer_company=buyer.get("buyerCompanyName") or "",
        purchase_order_number=buyer.get("buyerPurchaseOrderNumber") or "",
        vat=vat,
        address=parse_address((payload.get("recipient") or {}).get("deliveryAddress")),
        ship_by_earliest=_window_bound(fulfillment, "shipByWindow", "earliestDateTime"),
        ship_by_latest=_window_bound(fulfillment, "shipByWindow", "latestDateTime"),
        deliver_by_earliest=_window_bound(fulfillment, "deliverByWindow", "earliestDateTime"),
        deliver_by_latest=_window_bound(fulfillment, "deliverByWindow", "latestDateTime"),
        programs=[str(p) for p in payload.get("programs") or [] if p],
    )


def _window_bound(fulfillment, window, bound):
    """A bound of a DateTimeRange of the order's fulfillment, or None: Amazon
    leaves them out when it has none (labelPrintingWindow "does not include a
    latestDateTime"), and a window is no reason to refuse an order."""
    value = (fulfillment.get(window) or {}).get(bound)
    if not value:
        return None
    try:
        return parse_datetime(value, f"{window}.{bound}")
    except PayloadError:
        return None


# The datasets (searchOrders/getOrder ``includedData``) without which an order
# cannot be imported, and the field that is always there when the dataset was
# sent: OrderFulfillment requires ``fulfillmentStatus``, so every order asked with
# FULFILLMENT carries ``fulfillment``. Without it, the order's channel and status
# are unknown.
REQUIRED_DATASETS = {"FULFILLMENT": "fulfillment"}


def missing_datasets(payload):
    """The required datasets an order payload lacks (Amazon did not send them,
    e.g. because the request did not ask for them)."""
    if not isinstance(payload, dict):
        return sorted(REQUIRED_DATASETS)
    return sorted(name for name, key in REQUIRED_DATASETS.items() if key not in payload)


def is_importable(order):
    """A new order worth creating in Odoo (others only update existing ones)."""
    return order.status in IMPORTED_STATUSES[order.channel]
