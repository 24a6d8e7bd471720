"""FBA Inventory API v1: getInventorySummaries and the stock Amazon holds."""

import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .common import Api, StoreError, TokenPages, invalid, parse_iso8601, route, utcnow
from .marketplaces import MARKETPLACES
from .render import render_fba_summary

# getInventorySummaries. The page size is not in the model: 50 is what Amazon serves.
FBA_INVENTORY_PAGE_SIZE = 50
FBA_NEXT_TOKEN_LIFETIME = 30  # seconds: "The string token will expire 30 seconds after..."
FBA_INVENTORY_LOOKBACK = timedelta(days=548)  # "no earlier than 18 months prior"


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


class FbaInventoryStore:
    """The stock Amazon holds for sellers."""

    def __init__(self):
        super().__init__()
        self.fba_stock = {}  # (seller_id, marketplace_id, sku) -> FbaStock
        self.fba_pages = {}  # getInventorySummaries nextToken -> TokenPages

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


class FbaInventoryApi(Api):
    """getInventorySummaries (FBA Inventory API v1)."""

    routes = [
        route("GET", "/fba/inventory/v1/summaries", "getInventorySummaries", "inventory_summaries"),
    ]

    def op_inventory_summaries(self, call, params, body):
        (marketplace_id,) = self._marketplace_ids(call, params)  # maxItems 1 (the model)
        # granularityId: "When granularityType is Marketplace, specify the marketplaceId."
        if params.get("granularityId") != marketplace_id:
            raise invalid(
                "granularityId must be the marketplaceId when granularityType is Marketplace."
            )
        since = None
        if params.get("startDateTime"):
            since = parse_iso8601("startDateTime", params["startDateTime"])
            # startDateTime: "You must specify a date and time that is no earlier than
            # 18 months prior to the date and time when you call the API."
            if since < utcnow() - FBA_INVENTORY_LOOKBACK:
                raise invalid("startDateTime cannot be earlier than 18 months ago.")
        details = params.get("details") == "true"
        store = self.emulator.store
        token = params.get("nextToken")
        if token:
            with store.lock:
                pages = store.fba_pages.pop(token, None)
            if pages is None or pages.seller_id != call.seller_id:
                raise invalid("nextToken is not valid.")
            # nextToken: "The string token will expire 30 seconds after being created."
            if time.monotonic() - pages.issued > FBA_NEXT_TOKEN_LIFETIME:
                raise invalid("nextToken has expired (a token is valid for 30 seconds).")
            # "To avoid errors, use both startDateTime and nextToken to get the next
            # page": the next page repeats the query that made the token.
            sent = {k: v for k, v in params.items() if k not in ("nextToken", "details")}
            if sent != pages.bound_params:
                raise invalid(
                    "The request for the next page must repeat the first one's parameters."
                )
            skus = pages.rest
        else:
            # When startDateTime is provided: changes after it, sellerSkus and
            # sellerSku ignored; else sellerSkus, else sellerSku, else everything.
            wanted = None
            if since is None and params.get("sellerSkus"):
                wanted = set(params["sellerSkus"].split(","))
            elif since is None and params.get("sellerSku"):
                wanted = {params["sellerSku"]}
            with store.lock:
                skus = sorted(
                    stock.sku
                    for (seller_id, market, _sku), stock in store.fba_stock.items()
                    if seller_id == call.seller_id
                    and market == marketplace_id
                    and (wanted is None or stock.sku in wanted)
                    and (since is None or stock.last_updated_time > since)
                )
        page, rest = skus[:FBA_INVENTORY_PAGE_SIZE], skus[FBA_INVENTORY_PAGE_SIZE:]
        with store.lock:
            if any(
                store.fba_stock[(call.seller_id, marketplace_id, sku)].corruptions for sku in page
            ):
                call.fault = "corrupted"  # a test's, outside the models on purpose
            summaries = [
                render_fba_summary(store.fba_stock[(call.seller_id, marketplace_id, sku)], details)
                for sku in page
            ]
        result = {
            "payload": {
                "granularity": {"granularityType": "Marketplace", "granularityId": marketplace_id},
                "inventorySummaries": summaries,
            }
        }
        if rest:
            next_token = secrets.token_urlsafe(24)
            with store.lock:
                store.fba_pages[next_token] = TokenPages(
                    call.seller_id,
                    {k: v for k, v in params.items() if k not in ("nextToken", "details")},
                    rest,
                )
            result["pagination"] = {"nextToken": next_token}
        return 200, result
