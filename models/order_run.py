"""The state of one run of the orders flow (amazon.order_import): the
window it goes through and the caches its steps share."""

from dataclasses import dataclass, field

from .flow_run import FlowRun


@dataclass
class OrdersWindow:
    """The window of lastUpdatedTime a run goes through, and where it stands."""

    start: object = None
    end: object = None
    token: str = False
    refs: list = field(default_factory=list)  # given orders instead (Recover Order)


class OrderRun(FlowRun):
    """A run of the orders flow: the caches its steps share."""

    def __init__(
        self,
        account,
        adapter,
        max_pages=None,
        max_seconds=None,
        order_refs=None,
        skip_unfetched=False,
    ):
        super().__init__(account, adapter, max_pages=max_pages, max_seconds=max_seconds)
        self.order_refs = list(order_refs or ())  # Recover Order: these, not a window
        # Orders Amazon's notifications named: one getOrder refuses is set
        # aside in result.extra["unfetched"] (ref: reason), the others go on.
        self.skip_unfetched = skip_unfetched
        self.partners = {}  # key -> partner (res.partner._amazon_customer)
        self.pricelists = {}  # currency name -> pricelist
        self.states = {}  # (country id, code) -> res.country.state
        self.offers = {}  # of the page: sku -> amazon.offer (see prefetch)
        self.listings = {}  # of the page: (sku, marketplace id) -> amazon.listing
        self.products_by_code = {}
        self.failure_refs = None  # the account's failed orders, read when first needed
        marketplaces = self.env["amazon.marketplace"].with_context(active_test=False).search([])
        self.marketplaces = {m.api_ref: m for m in marketplaces}
        self.countries = {c.code: c for c in self.env["res.country"].search([])}

    def prefetch(self, orders):
        """Everything the page's new orders need, in a handful of queries."""
        skus = {item.sku for order in orders for item in order.items if item.sku}
        offers = self.env["amazon.offer"].search(
            [("account_id", "=", self.account.id), ("sku", "in", list(skus))]
        )
        self.offers = {offer.sku: offer for offer in offers}
        self.listings = {
            (listing.offer_id.sku, listing.marketplace_id.id): listing
            for listing in offers.listing_ids
        }
        codes = (skus - set(self.offers)) | {
            code for order in orders for code in (order.service_level, order.giftwrap_level) if code
        }
        products = self.env["product.product"].search(
            [
                ("default_code", "in", list(codes)),
                ("company_id", "in", [self.company.id, False]),
            ]
        )
        self.products_by_code = {}
        for product in products:
            self.products_by_code.setdefault(product.default_code, product)
        self.env["res.partner"]._amazon_prefetch_buyers(self, orders)
