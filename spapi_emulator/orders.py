"""Orders API 2026-01-01: searchOrders and getOrder, the orders they serve and
how the store keeps them."""

import copy
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .common import (
    Api,
    ApiError,
    StoreError,
    aware,
    invalid,
    isoformat,
    money,
    parse_iso8601,
    route,
    utcnow,
)
from .marketplaces import MARKETPLACES
from .render import INCLUDED_DATA, render_order

ORDER_STATUSES = ("PENDING", "UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED", "CANCELLED")
FULFILLED_BY = ("MERCHANT", "AMAZON")
PAGINATION_TOKEN_LIFETIME = timedelta(hours=24)


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
    # Cancelled by the seller (order_feeds.py): "MERCHANT", and Amazon's reason code.
    cancelled_by: str = ""
    cancel_reason: str = ""

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


class OrdersStore:
    """The store's orders."""

    def __init__(self):
        super().__init__()
        self.orders = {}
        self.order_pages = {}  # searchOrders paginationToken -> OrderPages
        self._order_seq = 0

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
                self._fba_order_shipped(order)
            self.orders[order_id] = order
        self.order_changed(order)  # ORDER_CHANGE to the seller's subscriptions
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
            shipped_before = order.status == "SHIPPED"
            order.status = status
            if status == "SHIPPED":
                for item in order.items:
                    item.quantity_shipped = item.quantity
                if not shipped_before:
                    self._fba_order_shipped(order)
            order.last_updated_time = aware(at) or utcnow()
        self.order_changed(order)
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
        self.order_changed(order)
        return order

    @staticmethod
    def _shipped_status(order, at=None):
        if all(i.quantity_shipped >= i.quantity for i in order.items):
            order.status = "SHIPPED"
        elif any(i.quantity_shipped for i in order.items):
            order.status = "PARTIALLY_SHIPPED"
        order.last_updated_time = aware(at) or utcnow()

    def snapshot(self):
        """A deep copy of the orders, for assertions that must not race."""
        with self.lock:
            return copy.deepcopy(self.orders)


class OrdersApi(Api):
    """searchOrders and getOrder (Orders API 2026-01-01)."""

    routes = [
        route("GET", "/orders/2026-01-01/orders", "searchOrders", "search_orders"),
        route("GET", "/orders/2026-01-01/orders/(?P<order_id>[^/]+)", "getOrder", "get_order"),
    ]

    def op_search_orders(self, call, params, body):
        token = params.get("paginationToken")
        store = self.emulator.store
        if token:
            pages = self._order_pages(call, params, token)
            query = pages.query
        else:
            query = self._order_query(call, params)
            pages = OrderPages(
                seller_id=call.seller_id,
                bound_params=self._bound_params(params),
                query=query,
                order_ids=[order.order_id for order in self._matching_orders(query)],
            )
        # "...with the exception of `maxResultsPerPage` and `includedData`, which can
        # be modified between calls" (Pagination): both are read from this request.
        page_size = self._page_size(params)
        included = self._enum_list(params, "includedData", INCLUDED_DATA)
        with store.lock:
            # A token stays valid until it expires (a client may resend it after a
            # lost answer); expired ones are dropped here.
            for stale in [
                key
                for key, value in store.order_pages.items()
                if utcnow() - value.issued > PAGINATION_TOKEN_LIFETIME
            ]:
                del store.order_pages[stale]
            served, rest = pages.order_ids[:page_size], pages.order_ids[page_size:]
            orders = [store.orders[order_id] for order_id in served]
            if any(order.corruptions for order in orders):
                call.fault = "corrupted"  # a test's, outside the models on purpose
            response = {"orders": [render_order(order, included) for order in orders]}
            if rest:
                next_token = secrets.token_urlsafe(24)
                store.order_pages[next_token] = replace(pages, order_ids=rest)
                response["pagination"] = {"nextToken": next_token}
        if "updatedAfter" in query:
            response["lastUpdatedBefore"] = query["updatedBefore"]
        else:
            response["createdBefore"] = query["createdBefore"]
        return 200, response

    @staticmethod
    def _bound_params(params):
        """The parameters a paginationToken binds: all but the token itself and the
        two that "can be modified between calls"."""
        return {
            name: value
            for name, value in params.items()
            if name not in ("paginationToken", "maxResultsPerPage", "includedData")
        }

    def _order_pages(self, call, params, token):
        """The pages a token stands for, if this request may continue them."""
        store = self.emulator.store
        with store.lock:
            pages = store.order_pages.get(token)
        if pages is None or pages.seller_id != call.seller_id:
            raise invalid("paginationToken is invalid.")
        # Pagination: "The token will expire after 24 hours."
        if utcnow() - pages.issued > PAGINATION_TOKEN_LIFETIME:
            raise invalid("paginationToken has expired (a token is valid for 24 hours).")
        # Pagination: "All other parameters must be provided with the same values that
        # were provided with the request that generated this token, with the exception
        # of `maxResultsPerPage` and `includedData`, which can be modified between calls."
        sent = self._bound_params(params)
        for name in sorted(set(sent) | set(pages.bound_params)):
            if sent.get(name) != pages.bound_params.get(name):
                expected = pages.bound_params.get(name)
                raise invalid(
                    f"{name} must have the value of the request that generated the "
                    f"paginationToken ({'absent' if expected is None else repr(expected)}), "
                    f"got {'nothing' if name not in sent else repr(sent[name])}."
                )
        return pages

    @staticmethod
    def _page_size(params):
        # maxResultsPerPage: "The value must be between 1 and 100. **Default:** 100."
        page_size = params.get("maxResultsPerPage") or "100"
        if not page_size.isdigit() or not 1 <= int(page_size) <= 100:
            raise invalid("maxResultsPerPage must be between 1 and 100.")
        return int(page_size)

    def _order_query(self, call, params):
        created_after = params.get("createdAfter")
        updated_after = params.get("lastUpdatedAfter")
        # createdAfter: "You must provide exactly one of `createdAfter` and
        # `lastUpdatedAfter` in your request. If `createdAfter` is provided, neither
        # `lastUpdatedAfter` nor `lastUpdatedBefore` may be provided." lastUpdatedAfter:
        # "If `lastUpdatedAfter` is provided, neither `createdAfter` nor `createdBefore`
        # may be provided."
        if bool(created_after) == bool(updated_after):
            raise invalid("Exactly one of createdAfter and lastUpdatedAfter is required.")
        if created_after and params.get("lastUpdatedBefore"):
            raise invalid("lastUpdatedBefore cannot be combined with createdAfter.")
        if updated_after and params.get("createdBefore"):
            raise invalid("createdBefore cannot be combined with lastUpdatedAfter.")
        latest = utcnow() - timedelta(minutes=2)
        after_name = "createdAfter" if created_after else "lastUpdatedAfter"
        before_name = "createdBefore" if created_after else "lastUpdatedBefore"
        after = parse_iso8601(after_name, created_after or updated_after)
        before = latest
        # createdBefore / lastUpdatedBefore: "...if provided must be equal to or after
        # the `createdAfter` date and at least two minutes before the time of the request."
        if params.get(before_name):
            before = parse_iso8601(before_name, params[before_name])
            if before > latest:
                raise invalid(f"{before_name} must be at least two minutes before now.")
            if before < after:
                raise invalid(f"{before_name} must be equal to or after {after_name}.")
        if after > latest:
            raise invalid(f"{after_name} must be at least two minutes before now.")
        return {
            "seller": call.seller_id,
            # marketplaceIds is optional in the 2026-01-01 model ("The response
            # includes orders that were placed in marketplaces you include in this
            # list"): without it, the seller's marketplaces.
            "marketplaceIds": self._marketplace_ids(call, params, required=False)
            or list(self._seller(call).marketplace_ids),
            "statuses": self._enum_list(
                params,
                "fulfillmentStatuses",
                (*ORDER_STATUSES, "PENDING_AVAILABILITY", "UNFULFILLABLE"),
            ),
            "fulfilledBy": self._enum_list(params, "fulfilledBy", FULFILLED_BY),
            "createdAfter" if created_after else "updatedAfter": isoformat(after),
            "createdBefore" if created_after else "updatedBefore": isoformat(before),
        }

    def _matching_orders(self, query):
        store = self.emulator.store
        by_update = "updatedAfter" in query
        low = parse_iso8601("after", query["updatedAfter" if by_update else "createdAfter"])
        high = parse_iso8601("before", query["updatedBefore" if by_update else "createdBefore"])
        with store.lock:
            orders = [
                order
                for order in store.orders.values()
                if order.seller_id == query["seller"]
                and order.marketplace_id in query["marketplaceIds"]
                and (not query["statuses"] or order.status in query["statuses"])
                and (not query["fulfilledBy"] or order.fulfilled_by in query["fulfilledBy"])
                and low <= (order.last_updated_time if by_update else order.created_time) <= high
            ]
        key = (lambda o: o.last_updated_time) if by_update else (lambda o: o.created_time)
        return sorted(orders, key=lambda o: (key(o), o.order_id))

    def op_get_order(self, call, params, body, order_id):
        included = self._enum_list(params, "includedData", INCLUDED_DATA)
        order = self.emulator.store.orders.get(order_id)
        if order is None or order.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Order {order_id} not found.")
        if order.corruptions:
            call.fault = "corrupted"  # a test's, outside the models on purpose
        return 200, {"order": render_order(order, included)}
