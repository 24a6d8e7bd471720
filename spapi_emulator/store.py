"""The emulator's state: apps, sellers, tokens, orders, listings and feeds.

Everything is in memory behind one lock. Tests seed it through the Python API
below; the command line seeds it from a JSON file or the demo generator.
"""

import copy
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .fee_invoices import FeeInvoice, FeeInvoiceItem
from .finances import EventGroup, Transaction, TransactionItem
from .marketplaces import MARKETPLACES
from .reports import REPORT_TYPES, CustomerReturn, Report

ACCESS_TOKEN_LIFETIME = 3600
ORDER_STATUSES = ("PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED")


class StoreError(Exception):
    """A seeding call that makes no sense (unknown seller, bad status...)."""


def utcnow():
    return datetime.now(timezone.utc).replace(microsecond=0)


def isoformat(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def aware(moment):
    """Naive datetimes given to the store are taken as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def money(amount):
    return Decimal(str(amount)).quantize(Decimal("0.01"))


@dataclass
class OrderPages:
    """What a searchOrders ``paginationToken`` stands for, kept on the server
    side as Amazon does: the seller, the parameters of the request that made it
    (those that must come back unchanged), the query they define, and the orders
    still to serve (a snapshot, so that an order updated between two pages is
    neither served twice nor skipped)."""

    seller_id: str
    bound_params: dict
    query: dict
    order_ids: list
    issued: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


@dataclass
class FbaStock:
    """What Amazon holds of a SKU for a seller, in one marketplace's fulfilment
    network (getInventorySummaries, granularity Marketplace)."""

    seller_id: str
    marketplace_id: str
    sku: str
    asin: str = ""
    fnsku: str = ""
    product_name: str = ""
    fulfillable: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    reserved: int = 0
    unfulfillable: int = 0
    researching: int = 0
    last_updated_time: datetime = field(default_factory=utcnow)
    # Not Amazon's behaviour, a test's: (path, value) pairs set in the rendered
    # summary (as Order.corruptions), breaking what the model promises.
    corruptions: list = field(default_factory=list)

    @property
    def total(self):
        """InventorySummary.totalQuantity: "The total number of units in an
        inbound shipment or in Amazon fulfillment centers"."""
        return (
            self.fulfillable
            + self.inbound_working
            + self.inbound_shipped
            + self.inbound_receiving
            + self.reserved
            + self.unfulfillable
            + self.researching
        )


@dataclass
class TokenPages:
    """What a ``nextToken`` stands for, kept on the server side: the request
    that made it (the next one must repeat it) and what is still to serve
    (getInventorySummaries: SKUs; listTransactions: pages)."""

    seller_id: str
    bound_params: dict
    rest: list
    issued: float = field(default_factory=time.monotonic)


@dataclass
class App:
    client_id: str  # LWA client id
    client_secret: str
    redirect_uris: list = field(default_factory=list)
    app_id: str = ""  # the SP-API application id (amzn1.sp.solution...) of the consent URL


@dataclass
class Seller:
    seller_id: str
    marketplace_ids: list
    store_name: str = "Emulated Store"
    suspended_marketplace_ids: list = field(default_factory=list)


@dataclass
class Address:
    name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state_or_region: str = ""
    postal_code: str = ""
    country_code: str = ""
    phone: str = ""
    company_name: str = ""
    address_type: str = "RESIDENTIAL"


@dataclass
class OrderItem:
    order_item_id: str
    sku: str
    title: str
    quantity: int
    unit_price: Decimal
    asin: str = ""
    shipping_price: Decimal = Decimal("0.00")
    shipping_discount: Decimal = Decimal("0.00")
    gift_wrap_price: Decimal = Decimal("0.00")
    gift_wrap_level: str = ""
    gift_message: str = ""
    promotion_discount: Decimal = Decimal("0.00")
    promotion_ids: list = field(default_factory=list)
    tax: Decimal = Decimal("0.00")  # sales tax on top of the price (tax-excluded sites)
    # ItemTaxCollection.model: "MARKETPLACE_FACILITATOR" when Amazon withholds and
    # remits the tax on the seller's behalf (US states, UK/EU deemed supplier).
    tax_model: str = ""
    quantity_shipped: int = 0

    @property
    def item_total(self):
        return self.unit_price * self.quantity


@dataclass
class Package:
    package_reference_id: str
    carrier_code: str
    carrier_name: str
    shipping_method: str
    tracking_number: str
    ship_date: str
    items: list  # [{"orderItemId", "quantity"}]
    created_time: datetime


@dataclass
class Order:
    order_id: str
    seller_id: str
    marketplace_id: str
    fulfilled_by: str  # AMAZON or MERCHANT
    status: str
    created_time: datetime
    last_updated_time: datetime
    items: list
    service_level: str = "STANDARD"
    buyer_name: str = ""
    buyer_email: str = ""
    buyer_company: str = ""
    purchase_order_number: str = ""
    address: Address | None = None
    business: bool = False
    vat_number: str = ""
    packages: list = field(default_factory=list)
    seller_order_id: str = ""
    # OrderFulfillment.shipByWindow / deliverByWindow: (earliest, latest), made
    # from the purchase time when not given (2 days to ship, 3 to 5 to deliver).
    ship_by: tuple | None = None
    deliver_by: tuple | None = None
    programs: list = field(default_factory=list)  # PRIME, PREMIUM, ... (Order.programs)
    # Not Amazon's behaviour, a test's: (path, value) pairs set in the rendered
    # order, so that the answer breaks what the models promise (a field of
    # another type, an item that is not an object...). A path is a tuple of
    # keys and indexes: ("orderItems", 0, "product", "sellerSku").
    corruptions: list = field(default_factory=list)

    def __post_init__(self):
        if self.ship_by is None:
            self.ship_by = (self.created_time, self.created_time + timedelta(days=2))
        if self.deliver_by is None:
            self.deliver_by = (
                self.created_time + timedelta(days=3),
                self.created_time + timedelta(days=5),
            )
        self.ship_by = tuple(aware(moment) for moment in self.ship_by)
        self.deliver_by = tuple(aware(moment) for moment in self.deliver_by)
        if self.business and "AMAZON_BUSINESS" not in self.programs:
            self.programs = [*self.programs, "AMAZON_BUSINESS"]

    @property
    def marketplace(self):
        return MARKETPLACES[self.marketplace_id]

    @property
    def currency(self):
        return self.marketplace.currency


@dataclass
class Offer:
    """A listing's offer in one marketplace. Amazon sets availability per
    seller, SKU and marketplace: Listings Items' ``fulfillment_availability``
    carries no marketplace of its own, it applies to the request's
    ``marketplaceIds`` (patch) or the feed's (JSON_LISTINGS_FEED), so one SKU can
    be merchant-fulfilled on one marketplace and fulfilled by Amazon on another."""

    channel: str = "DEFAULT"  # DEFAULT (merchant) or AMAZON_NA/AMAZON_EU/...
    quantity: int = 0
    handling_time: int = 2
    issues: list = field(default_factory=list)  # Listings Items Issue objects
    price: str | None = None  # the B2C price, in the marketplace's currency

    @property
    def status(self):
        # ItemSummaryByMarketplace.status: BUYABLE "can be purchased by shoppers",
        # DISCOVERABLE "visible to shoppers". A listing with an enforcement
        # (suppressed) is neither; a merchant listing without stock is not buyable.
        if any(issue.get("enforcements") for issue in self.issues):
            return []
        if self.channel == "DEFAULT" and not self.quantity:
            return ["DISCOVERABLE"]
        return ["BUYABLE", "DISCOVERABLE"]


class Listing:
    """A seller's SKU with its offer in each marketplace where it is listed.
    ``quantity``, ``fulfillment_channel`` and ``handling_time`` read the first
    marketplace's offer and set every marketplace's (tests of one marketplace)."""

    def __init__(
        self,
        seller_id,
        sku,
        marketplace_ids,
        product_type="PRODUCT",
        asin="",
        title="",
        fulfillment_channel="DEFAULT",
        quantity=0,
        handling_time=2,
        channels=None,
        price=None,
        attributes=None,
        identifiers=None,
        created_time=None,
        last_updated_time=None,
    ):
        self.seller_id = seller_id
        self.sku = sku
        self.product_type = product_type
        self.asin = asin
        self.title = title
        self.attributes = dict(attributes or {})
        self.identifiers = dict(identifiers or {})  # e.g. {"EAN": "4006381333931"}
        self.created_time = created_time or utcnow()
        self.last_updated_time = last_updated_time or self.created_time
        # Not Amazon's behaviour, a test's: (path, value) pairs set in the
        # rendered item (as Order.corruptions), breaking what the model promises.
        self.corruptions = []
        # The same, in its patchListingsItem answers.
        self.answer_corruptions = []
        # channels: {marketplace_id: channel} where it differs from fulfillment_channel.
        channels = channels or {}
        self.offers = {
            marketplace_id: Offer(
                channels.get(marketplace_id, fulfillment_channel),
                quantity,
                handling_time,
                price=None if price is None else str(price),
            )
            for marketplace_id in marketplace_ids
        }

    @property
    def marketplace_ids(self):
        return list(self.offers)

    def offers_in(self, marketplace_ids):
        """{marketplace: offer} for those of ``marketplace_ids`` it is listed in."""
        return {m: self.offers[m] for m in marketplace_ids if m in self.offers}

    def _first(self):
        return next(iter(self.offers.values()))

    def _set_all(self, name, value):
        for offer in self.offers.values():
            setattr(offer, name, value)

    quantity = property(lambda self: self._first().quantity)
    quantity = quantity.setter(lambda self, value: self._set_all("quantity", value))
    fulfillment_channel = property(lambda self: self._first().channel)
    fulfillment_channel = fulfillment_channel.setter(
        lambda self, value: self._set_all("channel", value)
    )
    handling_time = property(lambda self: self._first().handling_time)
    handling_time = handling_time.setter(lambda self, value: self._set_all("handling_time", value))


@dataclass
class Document:
    document_id: str
    content_type: str
    content: bytes | None = None
    created_time: datetime = field(default_factory=utcnow)


@dataclass
class Feed:
    feed_id: str
    seller_id: str
    feed_type: str
    marketplace_ids: list
    input_document_id: str
    created_time: datetime
    status: str = "IN_QUEUE"
    processing_start: datetime | None = None
    processing_end: datetime | None = None
    result_document_id: str | None = None
    options: dict = field(default_factory=dict)  # feedOptions


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.apps = {}
        self.sellers = {}
        self.refresh_tokens = {}  # refresh token -> (client_id, seller_id)
        self.access_tokens = {}  # access token -> (seller_id, expires at epoch)
        self.token_origin = {}  # access token -> the refresh token it came from
        self.auth_codes = {}  # code -> (client_id, seller_id, expires at epoch)
        self.orders = {}
        self.listings = {}  # (seller_id, sku) -> Listing
        self.documents = {}
        self.feeds = {}
        self.order_pages = {}  # searchOrders paginationToken -> OrderPages
        self.fba_stock = {}  # (seller_id, marketplace_id, sku) -> FbaStock
        self.fba_pages = {}  # getInventorySummaries nextToken -> TokenPages
        self.feed_processing_delay = 0.0  # seconds before a feed is processed
        self.reports = {}  # reportId -> Report
        self.returns = []  # CustomerReturn, FBA and merchant-fulfilled
        self.report_processing_delay = 0.0  # seconds before a report is processed
        self.transactions = []  # Finances 2024-06-19 Transaction
        self.transaction_pages = {}  # listTransactions nextToken -> TokenPages
        # "Note that this operation can return empty pages": when set, each
        # listing serves an empty page (with its nextToken) before its last one.
        self.transaction_empty_pages = False
        self._transaction_seq = 0
        self.event_groups = []  # Finances v0 FinancialEventGroup: the payouts
        self.event_group_pages = {}  # listFinancialEventGroups NextToken -> TokenPages
        self._report_seq = 0
        self.consenting_seller_id = None  # who approves the consent page (default: first)
        self._order_seq = 0
        self._feed_seq = 0
        self.vat_invoices = []  # UPLOAD_VAT_INVOICE: invoices.VatInvoice
        self.fee_invoices = []  # Amazon's invoices to the seller: fee_invoices.FeeInvoice
        self.fee_invoice_pages = {}  # getInvoiceHeaders nextToken -> TokenPages
        self.fee_invoice_item_pages = {}  # getInvoice nextTokenForLineItems -> TokenPages

    # --- apps, sellers and credentials -----------------------------------------
    def add_app(self, client_id, client_secret, redirect_uris=(), app_id=""):
        with self.lock:
            self.apps[client_id] = App(client_id, client_secret, list(redirect_uris), app_id)
            return self.apps[client_id]

    def app_by_application_id(self, application_id):
        return next(
            (a for a in self.apps.values() if application_id in (a.app_id, a.client_id)), None
        )

    def add_seller(
        self,
        seller_id,
        marketplace_ids,
        *,
        client_id=None,
        refresh_token=None,
        store_name="Emulated Store",
    ):
        """Register a seller participating in ``marketplace_ids``; when
        ``client_id`` is given, also authorize that app with ``refresh_token``."""
        unknown = [m for m in marketplace_ids if m not in MARKETPLACES]
        if unknown:
            raise StoreError(f"unknown marketplace ids: {unknown}")
        with self.lock:
            seller = Seller(seller_id, list(marketplace_ids), store_name)
            self.sellers[seller_id] = seller
            if client_id:
                self.authorize(client_id, seller_id, refresh_token)
            return seller

    def authorize(self, client_id, seller_id, refresh_token=None):
        """The seller authorizes the app: returns the LWA refresh token."""
        with self.lock:
            if client_id not in self.apps:
                raise StoreError(f"unknown app {client_id}")
            refresh_token = refresh_token or "Atzr|" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh_token] = (client_id, seller_id)
            return refresh_token

    def revoke(self, refresh_token):
        """The seller removes the app's authorization: the refresh token and the
        access tokens it gave stop working."""
        with self.lock:
            self.refresh_tokens.pop(refresh_token, None)
            for token, origin in list(self.token_origin.items()):
                if origin == refresh_token:
                    self.access_tokens.pop(token, None)
                    del self.token_origin[token]

    def issue_auth_code(self, client_id, seller_id, lifetime=300):
        """What Seller Central hands the app after the seller consents."""
        with self.lock:
            code = "ANa" + secrets.token_urlsafe(12)
            self.auth_codes[code] = (client_id, seller_id, time.time() + lifetime)
            return code

    def issue_access_token(self, seller_id, refresh_token=None):
        with self.lock:
            token = "Atza|" + secrets.token_urlsafe(24)
            self.access_tokens[token] = (seller_id, time.time() + ACCESS_TOKEN_LIFETIME)
            self.token_origin[token] = refresh_token
            return token

    def expire_access_tokens(self):
        """Every access token issued so far is now expired (tests of refresh)."""
        with self.lock:
            for token, (seller_id, _exp) in list(self.access_tokens.items()):
                self.access_tokens[token] = (seller_id, time.time() - 1)

    # --- orders -------------------------------------------------------------------
    def next_order_id(self, marketplace_id):
        with self.lock:
            self._order_seq += 1
            prefix = {"na": "1", "eu": "3", "fe": "2"}[MARKETPLACES[marketplace_id].region]
            n = self._order_seq
            return f"{prefix}{n % 100:02d}-{n:07d}-{(n * 7919) % 10_000_000:07d}"

    def add_order(
        self,
        seller_id,
        marketplace_id,
        items,
        *,
        order_id=None,
        fulfilled_by="MERCHANT",
        status="UNSHIPPED",
        created_time=None,
        last_updated_time=None,
        **details,
    ):
        """Create an order. ``items`` are dicts with at least sku, title, quantity
        and unit_price; other OrderItem fields are optional. ``details`` take the
        other Order fields (buyer_name, address=Address(...), business, ...)."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        if marketplace_id not in MARKETPLACES:
            raise StoreError(f"unknown marketplace {marketplace_id}")
        if status not in ORDER_STATUSES:
            raise StoreError(f"unknown status {status}")
        if fulfilled_by not in ("AMAZON", "MERCHANT"):
            raise StoreError("fulfilled_by is AMAZON or MERCHANT")
        with self.lock:
            order_id = order_id or self.next_order_id(marketplace_id)
            created = aware(created_time) or utcnow() - timedelta(minutes=10)
            last_updated_time = aware(last_updated_time)
            order_items = []
            for index, item in enumerate(items, start=1):
                values = dict(item)
                for key in (
                    "unit_price",
                    "shipping_price",
                    "shipping_discount",
                    "gift_wrap_price",
                    "promotion_discount",
                    "tax",
                ):
                    if key in values:
                        values[key] = money(values[key])
                values.setdefault("order_item_id", f"{order_id[-7:]}{index:05d}")
                order_items.append(OrderItem(**values))
            if isinstance(details.get("address"), dict):
                details["address"] = Address(**details["address"])
            order = Order(
                order_id=order_id,
                seller_id=seller_id,
                marketplace_id=marketplace_id,
                fulfilled_by=fulfilled_by,
                status=status,
                created_time=created,
                last_updated_time=last_updated_time or created,
                items=order_items,
                **details,
            )
            if status == "SHIPPED":
                for item in order.items:
                    item.quantity_shipped = item.quantity
            self.orders[order_id] = order
            return order

    def get_order(self, order_id):
        order = self.orders.get(order_id)
        if order is None:
            raise StoreError(f"unknown order {order_id}")
        return order

    def set_status(self, order_id, status, at=None):
        """Move an order to another status; its lastUpdatedTime moves too."""
        if status not in ORDER_STATUSES:
            raise StoreError(f"unknown status {status}")
        with self.lock:
            order = self.get_order(order_id)
            order.status = status
            if status == "SHIPPED":
                for item in order.items:
                    item.quantity_shipped = item.quantity
            order.last_updated_time = aware(at) or utcnow()
            return order

    def travel(self, minutes):
        """Shift every timestamp ``minutes`` into the past, as if that much time
        had passed (so a fresh change becomes visible to searchOrders, which only
        looks at least two minutes back)."""
        delta = timedelta(minutes=minutes)
        with self.lock:
            for order in self.orders.values():
                order.created_time -= delta
                order.last_updated_time -= delta
                order.ship_by = tuple(moment - delta for moment in order.ship_by)
                order.deliver_by = tuple(moment - delta for moment in order.deliver_by)
                for package in order.packages:
                    package.created_time -= delta
            for listing in self.listings.values():
                listing.created_time -= delta
                listing.last_updated_time -= delta
            for pages in self.order_pages.values():
                pages.issued -= delta

    def confirm_shipment(self, order, package_detail):
        """Record a package (a re-sent reference replaces the earlier one) and
        move the shipped quantities and the order status."""
        with self.lock:
            reference = str(package_detail["packageReferenceId"])
            package = Package(
                package_reference_id=reference,
                carrier_code=package_detail.get("carrierCode", ""),
                carrier_name=package_detail.get("carrierName", ""),
                shipping_method=package_detail.get("shippingMethod", ""),
                tracking_number=package_detail.get("trackingNumber", ""),
                ship_date=package_detail.get("shipDate", ""),
                items=[
                    {"orderItemId": i["orderItemId"], "quantity": int(i["quantity"])}
                    for i in package_detail["orderItems"]
                ],
                created_time=utcnow(),
            )
            previous = next(
                (p for p in order.packages if p.package_reference_id == reference), None
            )
            order.packages = [p for p in order.packages if p.package_reference_id != reference]
            order.packages.append(package)
            # quantity_shipped counts every unit that left, whichever way it was
            # confirmed: a re-sent package replaces its own units.
            change = {}
            for line in previous.items if previous else ():
                change[line["orderItemId"]] = change.get(line["orderItemId"], 0) - line["quantity"]
            for line in package.items:
                change[line["orderItemId"]] = change.get(line["orderItemId"], 0) + line["quantity"]
            for item in order.items:
                shipped = item.quantity_shipped + change.get(item.order_item_id, 0)
                item.quantity_shipped = max(0, min(item.quantity, shipped))
            self._shipped_status(order)
            return package

    def ship_elsewhere(self, order_id, quantities, at=None):
        """The seller shipped ``quantities`` ({sku: units}) of an order without
        this app (in Seller Central, with another tool): Amazon counts them as
        fulfilled, and the order is partly or wholly shipped."""
        with self.lock:
            order = self.get_order(order_id)
            for item in order.items:
                units = quantities.get(item.sku, 0)
                item.quantity_shipped = min(item.quantity, item.quantity_shipped + units)
            self._shipped_status(order, at)
            return order

    @staticmethod
    def _shipped_status(order, at=None):
        if all(i.quantity_shipped >= i.quantity for i in order.items):
            order.status = "SHIPPED"
        elif any(i.quantity_shipped for i in order.items):
            order.status = "PARTIALLY_SHIPPED"
        order.last_updated_time = aware(at) or utcnow()

    # --- listings -----------------------------------------------------------------
    def add_listing(self, seller_id, sku, marketplace_ids, **values):
        with self.lock:
            listing = Listing(seller_id, sku, list(marketplace_ids), **values)
            self.listings[(seller_id, sku)] = listing
            return listing

    def get_listing(self, seller_id, sku):
        return self.listings.get((seller_id, sku))

    # --- FBA inventory ----------------------------------------------------------
    def set_fba_stock(self, seller_id, marketplace_id, sku, **quantities):
        """Set what Amazon holds of ``sku`` (fulfillable=..., reserved=...):
        the quantities given replace the old ones, the others stay."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        if marketplace_id not in MARKETPLACES:
            raise StoreError(f"unknown marketplace {marketplace_id}")
        with self.lock:
            key = (seller_id, marketplace_id, sku)
            stock = self.fba_stock.get(key) or FbaStock(seller_id, marketplace_id, sku)
            for name, value in quantities.items():
                if not hasattr(stock, name):
                    raise StoreError(f"unknown FBA stock field {name}")
                setattr(stock, name, value)
            stock.last_updated_time = utcnow()
            self.fba_stock[key] = stock
            return stock

    # --- customer returns and reports -------------------------------------------
    def add_return(self, seller_id, marketplace_id, order_id, sku, quantity=1, **details):
        """A customer return of ``quantity`` units of ``sku`` from ``order_id``:
        FBA or merchant-fulfilled as the order was (``fulfilled_by`` otherwise),
        ``moment`` defaults to now; other fields: see ``reports.CustomerReturn``."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        order = self.orders.get(order_id)
        fulfilled_by = details.pop("fulfilled_by", None) or (
            order.fulfilled_by if order else "AMAZON"
        )
        with self.lock:
            item = CustomerReturn(
                seller_id=seller_id,
                marketplace_id=marketplace_id,
                fulfilled_by=fulfilled_by,
                moment=aware(details.pop("moment", None)) or utcnow(),
                order_id=order_id,
                sku=sku,
                quantity=quantity,
                order_date=order.created_time if order else None,
                **details,
            )
            self.returns.append(item)
            return item

    def add_transaction(
        self,
        seller_id,
        marketplace_id,
        transaction_type,
        *,
        posted=None,
        items=(),
        breakdowns=(),
        **details,
    ):
        """A movement of money on the seller's account. ``items``: dicts with
        sku, quantity and breakdowns [(type, amount)]; ``breakdowns``: the
        transaction's own [(type, amount)]; ``details``: order_id, group_id,
        refund_id, status, description, currency (default: the marketplace's)."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        if marketplace_id not in MARKETPLACES:
            raise StoreError(f"unknown marketplace {marketplace_id}")
        with self.lock:
            self._transaction_seq += 1
            details.setdefault("currency", MARKETPLACES[marketplace_id].currency)
            transaction = Transaction(
                seller_id=seller_id,
                transaction_id=f"TX-{self._transaction_seq:08d}",
                transaction_type=transaction_type,
                marketplace_id=marketplace_id,
                posted=aware(posted) or utcnow(),
                items=[
                    TransactionItem(
                        item["sku"],
                        item.get("quantity", 1),
                        [(kind, money(amount)) for kind, amount in item["breakdowns"]],
                        item.get("adjustment_id", ""),
                    )
                    for item in items
                ],
                breakdowns=[(kind, money(amount)) for kind, amount in breakdowns],
                **details,
            )
            self.transactions.append(transaction)
            return transaction

    def add_event_group(self, seller_id, group_id, currency, start, **details):
        """A payout period; ``details``: end, processing_status ("Open",
        "Closed"), fund_transfer_status, transfer_date, trace_id,
        account_tail, beginning_balance. Its total is its transactions' sum
        (those whose group_id is ``group_id``) plus the beginning balance."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        for moment in ("end", "transfer_date"):
            if details.get(moment):
                details[moment] = aware(details[moment])
        if "beginning_balance" in details:
            details["beginning_balance"] = money(details["beginning_balance"])
        with self.lock:
            group = EventGroup(seller_id, group_id, currency, aware(start), **details)
            self.event_groups.append(group)
            return group

    def add_fee_invoice(self, seller_id, marketplace_id, number, issued, items, **details):
        """An invoice Amazon issues to the seller. ``items``: dicts with
        description, amount (without tax), tax, tax_rate_code ("DE 19"),
        service_charge_type; ``details``: FeeInvoice's other fields."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        details.setdefault("currency", MARKETPLACES[marketplace_id].currency)
        with self.lock:
            invoice = FeeInvoice(
                seller_id=seller_id,
                marketplace_id=marketplace_id,
                number=number,
                issued=aware(issued),
                items=[
                    FeeInvoiceItem(
                        line_id=item.get("line_id") or f"{number}-{index + 1}",
                        description=item["description"],
                        amount=money(item["amount"]),
                        tax=money(item.get("tax", "0")),
                        tax_rate_code=item.get("tax_rate_code", ""),
                        service_charge_type=item.get("service_charge_type", "OTHER"),
                        quantity=item.get("quantity", 1),
                    )
                    for index, item in enumerate(items)
                ],
                **details,
            )
            self.fee_invoices.append(invoice)
            return invoice

    def event_group_total(self, group):
        with self.lock:
            return sum(
                (
                    tx.total
                    for tx in self.transactions
                    if tx.seller_id == group.seller_id and tx.group_id == group.group_id
                ),
                Decimal("0"),
            )

    def create_report(self, seller_id, report_type, marketplace_ids, data_start, data_end):
        if report_type not in REPORT_TYPES:
            raise StoreError(f"unsupported report type {report_type}")
        with self.lock:
            self._report_seq += 1
            report = Report(
                report_id=str(70000 + self._report_seq),
                seller_id=seller_id,
                report_type=report_type,
                marketplace_ids=list(marketplace_ids),
                data_start=data_start,
                data_end=data_end,
                created_time=utcnow(),
            )
            self.reports[report.report_id] = report
            return report

    # --- feeds and documents ---------------------------------------------------
    def create_document(self, content_type, content=None):
        with self.lock:
            document = Document(str(uuid.uuid4()), content_type, content)
            self.documents[document.document_id] = document
            return document

    def cancel_feed(self, feed_id):
        """As the seller may (cancelFeed): "Only feeds with `processingStatus=IN_QUEUE`
        can be cancelled." """
        with self.lock:
            feed = self.feeds[feed_id]
            if feed.status != "IN_QUEUE":
                raise StoreError(f"feed {feed_id} is {feed.status}: only IN_QUEUE can be cancelled")
            feed.status = "CANCELLED"
            return feed

    def create_feed(self, seller_id, feed_type, marketplace_ids, document_id, options=None):
        with self.lock:
            self._feed_seq += 1
            feed = Feed(
                feed_id=str(50000 + self._feed_seq),
                seller_id=seller_id,
                feed_type=feed_type,
                marketplace_ids=list(marketplace_ids),
                input_document_id=document_id,
                created_time=utcnow(),
                options=dict(options or {}),
            )
            self.feeds[feed.feed_id] = feed
            return feed

    def snapshot(self):
        """A deep copy of the orders, for assertions that must not race."""
        with self.lock:
            return copy.deepcopy(self.orders)
