"""Amazon order payloads (Orders API 2026-01-01) into plain values.

Plain functions and dataclasses, no Odoo: the importer turns these into
records. Everything Amazon might send malformed is checked here and reported
as a :class:`PayloadError` with a sentence a person can act on.
"""

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from . import checks
from .checks import PayloadError

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
    if not isinstance(value, str):
        raise PayloadError(f"{name} is not an ISO 8601 date: {value!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{name} is not an ISO 8601 date: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def parse_money(money, name, currency=None):
    """Decimal amount of an Amazon Money object (None or {} counts as zero)."""
    money = checks.obj(money, name)
    if not money:
        return ZERO
    if "amount" not in money:
        raise PayloadError(f"{name}.amount is missing")
    amount = checks.decimal(money["amount"], f"{name}.amount")
    code = checks.text(money.get("currencyCode"), f"{name}.currencyCode", limit=3)
    if currency and code and code != currency:
        raise PayloadError(f"{name} is in {code}, the order in {currency}")
    return amount


def _breakdowns(item, currency, path):
    """{type: amount} and the discount's {subtype: amount} of an item's proceeds."""
    totals, discounts = {}, {}
    proceeds = checks.obj(item.get("proceeds"), f"{path}.proceeds")
    rows = checks.objects(proceeds.get("breakdowns"), f"{path}.proceeds.breakdowns")
    for index, row in enumerate(rows):
        row_path = f"{path}.proceeds.breakdowns[{index}]"
        kind = checks.text(row.get("type"), f"{row_path}.type", limit=checks.ID_LENGTH)
        amount = parse_money(row.get("subtotal"), f"{row_path}.subtotal", currency)
        totals[kind] = totals.get(kind, ZERO) + amount
        if kind == "DISCOUNT":
            details = checks.objects(
                row.get("detailedBreakdowns"), f"{row_path}.detailedBreakdowns"
            )
            for sub_index, detail in enumerate(details):
                sub_path = f"{row_path}.detailedBreakdowns[{sub_index}]"
                sub = checks.text(detail.get("subtype"), f"{sub_path}.subtype", checks.ID_LENGTH)
                discounts[sub] = discounts.get(sub, ZERO) + parse_money(
                    detail.get("value"), f"{sub_path}.value", currency
                )
            if not details:
                discounts["ITEM"] = discounts.get("ITEM", ZERO) + amount
    return totals, discounts


def _quantity_shipped(fulfillment, quantity, path):
    """The units of the item Amazon counts as shipped: quantityFulfilled, else
    what quantityUnfulfilled ("remain to be processed and shipped") leaves."""
    shipped = fulfillment.get("quantityFulfilled")
    unfulfilled = fulfillment.get("quantityUnfulfilled")
    if shipped is None and unfulfilled is not None:
        unfulfilled = checks.integer(
            unfulfilled, f"{path}.fulfillment.quantityUnfulfilled", 0, quantity
        )
        return quantity - unfulfilled
    if shipped is None:
        return 0
    return checks.integer(shipped, f"{path}.fulfillment.quantityFulfilled", 0, quantity)


def parse_item(item, currency, path="orderItems[0]"):
    item = checks.obj(item, path)
    product = checks.obj(item.get("product"), f"{path}.product")
    item_ref = checks.identifier(item.get("orderItemId"), f"{path}.orderItemId")
    if item.get("quantityOrdered") is None:
        raise PayloadError(f"{path}.quantityOrdered is missing (order item {item_ref})")
    # A quantity Odoo can hold in an integer column, and a sensible one.
    quantity = checks.integer(item["quantityOrdered"], f"{path}.quantityOrdered", 1, 10**6)
    price = checks.obj(product.get("price"), f"{path}.product.price")
    unit_price = parse_money(price.get("unitPrice"), f"{path}.product.price.unitPrice", currency)
    totals, discounts = _breakdowns(item, currency, path)
    fulfillment = checks.obj(item.get("fulfillment"), f"{path}.fulfillment")
    packing = checks.obj(fulfillment.get("packing"), f"{path}.fulfillment.packing")
    gift_path = f"{path}.fulfillment.packing.giftOption"
    gift = checks.obj(packing.get("giftOption"), gift_path)
    sku = checks.text(product.get("sellerSku"), f"{path}.product.sellerSku").strip()
    title = checks.text(product.get("title"), f"{path}.product.title", checks.LONG_LENGTH)
    promotion = checks.obj(item.get("promotion"), f"{path}.promotion")
    promotions = checks.objects(promotion.get("breakdowns"), f"{path}.promotion.breakdowns")
    tax = checks.obj(item.get("tax"), f"{path}.tax")
    collections = checks.objects(tax.get("taxCollections"), f"{path}.tax.taxCollections")
    return Item(
        quantity_shipped=_quantity_shipped(fulfillment, quantity, path),
        item_ref=item_ref,
        sku=sku,
        title=title or sku,
        quantity=quantity,
        unit_price=unit_price,
        item_total=totals.get("ITEM", unit_price * quantity),
        shipping=totals.get("SHIPPING", ZERO),
        shipping_discount=-discounts.get("SHIPPING", ZERO),
        giftwrap=totals.get("GIFT_WRAP", ZERO),
        promotion_discount=-discounts.get("ITEM", ZERO),
        gift_message=checks.text(
            gift.get("giftMessage"), f"{gift_path}.giftMessage", checks.LONG_LENGTH, True
        ),
        giftwrap_level=checks.text(gift.get("giftWrapLevel"), f"{gift_path}.giftWrapLevel"),
        promotion_ids=[
            checks.text(b.get("promotionId"), f"{path}.promotion.breakdowns[{i}].promotionId")
            for i, b in enumerate(promotions)
            if b.get("promotionId")
        ],
        tax=totals.get("TAX", ZERO),
        tax_by_marketplace=any(
            collection.get("model") == MARKETPLACE_FACILITATOR for collection in collections
        ),
    )


# CustomerAddress's fields and the Address attribute each becomes.
_ADDRESS_FIELDS = {
    "name": "name",
    "companyName": "company",
    "addressLine1": "street",
    "city": "city",
    "stateOrRegion": "state_code",
    "postalCode": "zip",
    "countryCode": "country_code",
    "phone": "phone",
}


def parse_address(data, path="recipient.deliveryAddress"):
    data = checks.obj(data, path)
    if not data:
        return None
    values = {
        attribute: checks.text(data.get(name), f"{path}.{name}")
        for name, attribute in _ADDRESS_FIELDS.items()
    }
    extra = ("addressLine2", "addressLine3")
    lines = [checks.text(data.get(key), f"{path}.{key}") for key in extra]
    values["street2"] = " ".join(filter(None, lines))
    values["country_code"] = values["country_code"].upper()
    return Address(**values)


def parse_order(payload, currency_of_marketplace):
    """An :class:`Order` from a searchOrders/getOrder order.

    :param currency_of_marketplace: callable marketplace id -> currency code, or
        None when the marketplace is unknown (then the order is refused).
    """
    if not isinstance(payload, dict):
        raise PayloadError(f"the order is not an object: {payload!r:.60}")
    ref = checks.identifier(payload.get("orderId"), "orderId")
    sales_channel = checks.obj(payload.get("salesChannel"), "salesChannel")
    marketplace_ref = checks.text(
        sales_channel.get("marketplaceId"), "salesChannel.marketplaceId", checks.ID_LENGTH
    )
    if not marketplace_ref:
        raise PayloadError("salesChannel.marketplaceId is missing: the order has no marketplace")
    currency = currency_of_marketplace(marketplace_ref)
    if currency is None:
        raise PayloadError(f"marketplace {marketplace_ref} is unknown to Odoo")
    fulfillment = checks.obj(payload.get("fulfillment"), "fulfillment")
    fulfilled_by = fulfillment.get("fulfilledBy")
    if fulfilled_by not in ("AMAZON", "MERCHANT"):
        raise PayloadError(f"fulfillment.fulfilledBy is unknown: {fulfilled_by!r:.60}")
    items = [
        parse_item(item, currency, f"orderItems[{index}]")
        for index, item in enumerate(checks.array(payload.get("orderItems"), "orderItems"))
    ]
    if not items:
        raise PayloadError("orderItems is empty: the order has no items")
    buyer = checks.obj(payload.get("buyer"), "buyer")
    proceeds = checks.obj(payload.get("proceeds"), "proceeds")
    grand_total = checks.obj(proceeds.get("grandTotal"), "proceeds.grandTotal")
    if grand_total.get("currencyCode") not in (None, currency):
        # The marketplace's currency is the order's: anything else we refuse.
        raise PayloadError(
            f"proceeds.grandTotal is in {grand_total.get('currencyCode')!r:.20}, "
            f"the marketplace in {currency}"
        )
    vat = ""
    tax = checks.obj(payload.get("tax"), "tax")
    registrations = checks.objects(tax.get("taxRegistrations"), "tax.taxRegistrations")
    for index, registration in enumerate(registrations):
        number = checks.text(
            registration.get("taxRegistrationNumber"),
            f"tax.taxRegistrations[{index}].taxRegistrationNumber",
            checks.ID_LENGTH,
        )
        if number:
            vat = number
            break
    recipient = checks.obj(payload.get("recipient"), "recipient")
    return Order(
        ref=ref,
        marketplace_ref=marketplace_ref,
        status=checks.text(
            fulfillment.get("fulfillmentStatus"), "fulfillment.fulfillmentStatus", checks.ID_LENGTH
        ),
        channel="FBA" if fulfilled_by == "AMAZON" else "FBM",
        purchase_date=parse_datetime(payload.get("createdTime"), "createdTime"),
        last_updated=parse_datetime(
            payload.get("lastUpdatedTime") or payload.get("createdTime"), "lastUpdatedTime"
        ),
        currency=currency,
        items=items,
        total=parse_money(grand_total, "proceeds.grandTotal", currency) if grand_total else None,
        service_level=checks.text(
            fulfillment.get("fulfillmentServiceLevel"), "fulfillment.fulfillmentServiceLevel"
        ),
        buyer_name=checks.text(buyer.get("buyerName"), "buyer.buyerName"),
        buyer_email=checks.text(buyer.get("buyerEmail"), "buyer.buyerEmail").strip().lower(),
        buyer_company=checks.text(buyer.get("buyerCompanyName"), "buyer.buyerCompanyName"),
        purchase_order_number=checks.text(
            buyer.get("buyerPurchaseOrderNumber"), "buyer.buyerPurchaseOrderNumber"
        ),
        vat=vat,
        address=parse_address(recipient.get("deliveryAddress")),
        ship_by_earliest=_window_bound(fulfillment, "shipByWindow", "earliestDateTime"),
        ship_by_latest=_window_bound(fulfillment, "shipByWindow", "latestDateTime"),
        deliver_by_earliest=_window_bound(fulfillment, "deliverByWindow", "earliestDateTime"),
        deliver_by_latest=_window_bound(fulfillment, "deliverByWindow", "latestDateTime"),
        programs=[
            checks.text(program, f"programs[{index}]", checks.ID_LENGTH)
            for index, program in enumerate(checks.array(payload.get("programs"), "programs"))
            if program
        ],
    )


def _window_bound(fulfillment, window, bound):
    """A bound of a DateTimeRange of the order's fulfillment, or None: Amazon
    leaves them out when it has none (labelPrintingWindow "does not include a
    latestDateTime"), and a window is no reason to refuse an order."""
    value = fulfillment.get(window)
    value = value.get(bound) if isinstance(value, dict) else None
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
        return []  # not an order at all: the unit's failure, not the request's
    return sorted(name for name, key in REQUIRED_DATASETS.items() if key not in payload)


def order_ref(payload):
    """The orderId of a payload, when it is one Odoo can store and search
    (any other is named "?" where the failure is listed)."""
    ref = payload.get("orderId") if isinstance(payload, dict) else None
    try:
        return checks.identifier(ref, "orderId")
    except PayloadError:
        return None


def is_importable(order):
    """A new order worth creating in Odoo (others only update existing ones)."""
    return order.status in IMPORTED_STATUSES[order.channel]
