"""The emulator's state: each API keeps its part (its module's ``*Store``
mixin: sellers and tokens, orders, shipments, listings, FBA stock, feeds,
reports and returns, transactions and payouts, Amazon's invoices, Buy
Shipping labels, Multi-Channel Fulfillment orders), all behind one lock.
Tests seed it through these methods; the command line seeds it from a JSON
file or the demo generator (seed.py)."""

import threading

from .common import StoreError, TokenPages, aware, isoformat, money, utcnow
from .fba_inventory import FbaInventoryStore, FbaStock
from .fee_invoices import FeeInvoicesStore
from .feeds import Document, Feed, FeedsStore
from .finances import FinancesStore
from .fulfillment_outbound import FulfillmentOutboundStore
from .ledger import LedgerStore
from .listings import Listing, ListingsStore, Offer
from .notifications import NotificationsStore
from .orders import ORDER_STATUSES, Address, Order, OrderItem, OrderPages, OrdersStore, Package
from .orders_v0 import ShipmentsStore
from .reports import ReportsStore
from .sellers import App, Seller, SellersStore
from .shipping import ShippingStore


class Store(
    SellersStore,
    OrdersStore,
    ShipmentsStore,
    ListingsStore,
    FbaInventoryStore,
    FeedsStore,
    ReportsStore,
    LedgerStore,
    FinancesStore,
    FeeInvoicesStore,
    NotificationsStore,
    ShippingStore,
    FulfillmentOutboundStore,
):
    def __init__(self):
        # One lock for every part: a request reads and changes several at once
        # (a feed changes listings, a report reads returns).
        self.lock = threading.RLock()
        super().__init__()


# What other modules, scripts and tests import from here.
__all__ = [
    "ORDER_STATUSES",
    "Address",
    "App",
    "Document",
    "FbaStock",
    "Feed",
    "Listing",
    "Offer",
    "Order",
    "OrderItem",
    "OrderPages",
    "Package",
    "Seller",
    "Store",
    "StoreError",
    "TokenPages",
    "aware",
    "isoformat",
    "money",
    "utcnow",
]
