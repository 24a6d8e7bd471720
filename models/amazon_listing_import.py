"""Listings in: the seller's listings (searchListingsItems) into offers. The
flow's home, on the template (``amazon.flow``).

Entry points: the daily cron (``_cron_import``) and the account's Import
Listings button (``_action_run``). Each SKU Amazon lists becomes an offer
of the account, paired with the product whose internal reference is the SKU,
else whose barcode is one of the listing's EAN/UPC/GTIN; a SKU matching neither
gets an offer to review (the default product until someone picks one), never
a new product. Each marketplace is searched on its own, as the channel Amazon
returns (fulfillmentAvailability) names no marketplace: the SKU's listing in
that marketplace gets its channel, status and issues there. Only what
differs is written: a second import with nothing new writes nothing. A
listings item that does not read (``parse_listing``) or does not write is a
failure on the sync log, and the others go on.
"""

import logging
from dataclasses import dataclass, field

from odoo import _, api, models
from odoo.osv import expression

from ..mapping.checks import safe_text
from ..mapping.listings import listing_created, parse_listing
from . import flow_kinds
from .flow_run import FlowRun

_logger = logging.getLogger(__name__)

# The datasets the import reads: the title and status (summaries), the barcodes
# (attributes), Amazon's issues, the price (offers) and the channel
# (fulfillmentAvailability).
LISTING_DATA = ("summaries", "attributes", "issues", "offers", "fulfillmentAvailability")


@dataclass
class ListingPage:
    """One page of one marketplace's search: Amazon's items, as they came."""

    marketplace: object
    items: list = field(default_factory=list)


class ListingRun(FlowRun):
    """A run of the listings import: the SKUs read per marketplace."""

    def __init__(self, account, adapter, **limits):
        super().__init__(account, adapter, **limits)
        self.seen = set()  # (marketplace id, SKU): read in this run
        self.result.extra.update(offers_created=0, to_review=0, unreached=0)


class AmazonListingImport(models.AbstractModel):
    _name = "amazon.listing.import"
    _inherit = "amazon.flow"
    _description = "Amazon Listings In"
    _flow_kind = flow_kinds.LISTINGS
    _run_class = ListingRun

    page_size = 20  # searchListingsItems' maximum

    @api.model
    def _cron_import(self):
        """The linked accounts in turns (``amazon.flow._cron_turns``), a whole
        import each: what a turn could not reach, the next run does."""
        return self._cron_run()

    def _flow_title(self):
        return _("Listings import")

    def _result_message(self, result):
        message = _(
            "%(fetched)s listings read, %(offers)s offers created (%(to_review)s to review), "
            "%(created)s listings added, %(updated)s updated, %(failed)s failed.",
            offers=result.extra["offers_created"],
            to_review=result.extra["to_review"],
            **result.as_dict(),
        )
        if result.extra["unreached"]:
            more = _(
                "Amazon lists %(count)s more listings than one search returns (1000): "
                "they are not imported yet.",
                count=result.extra["unreached"],
            )
            message = f"{message}\n{more}"
        return message

    def _result_kind(self, result):
        extra = result.extra
        return "warning" if result.failed or extra["to_review"] else "success"

    # --- the steps ------------------------------------------------------------------------
    def _fetch(self, run, window):
        for marketplace in run.account.marketplace_ids:
            yield from self._marketplace_pages(run, marketplace)

    def _has_next(self, page):
        # No cursor to resume from: a run reads the whole catalogue (it writes
        # only what differs, so a run stopped halfway loses nothing).
        return False

    def _marketplace_pages(self, run, marketplace):
        """Every page of one marketplace. searchListingsItems: "The maximum
        number of items (SKUs) that can be returned and paged through is
        1000." So the listings are read oldest first, and when a search stops
        short of its numberOfResults, the next one starts at the creation date
        of the last listing read (createdAfter: "created at or after this
        time"; the SKUs read at that very time are skipped). A catalogue whose
        1000 next listings were all created at one instant cannot be read this
        way: it is reported, never taken for complete."""
        total = None
        created_after = None
        read_before = len(run.seen)
        while True:
            filters = {"sortBy": "createdDate", "sortOrder": "ASC"}
            if created_after:
                filters["createdAfter"] = created_after
            found = returned = 0
            last_created = None
            pages = run.adapter.iter_listings_pages(
                run.account.seller_ref,
                [marketplace.api_ref],  # one marketplace: the channel returned is its own
                included_data=LISTING_DATA,
                page_size=self.page_size,
                **filters,
            )
            for page in pages:
                found = max(found, page["number_of_results"])
                returned += len(page["items"])
                last_created = next(
                    filter(None, map(listing_created, reversed(page["items"]))), last_created
                )
                yield ListingPage(marketplace, page["items"])
            total = found if total is None else total
            if returned >= found:
                break  # this search returned all it found: the marketplace is read
            if not last_created or last_created == created_after:
                break  # no progress: 1000 listings created at one instant
            created_after = last_created
        read = len(run.seen) - read_before
        unreached = max(total - read, 0) if returned < found else 0
        if unreached:
            run.result.extra["unreached"] += unreached
            run.result.failed += unreached
            run.result.problems.append(
                _(
                    "%(marketplace)s: %(count)s listings beyond the 1000 a search returns "
                    "were not read.",
                    marketplace=marketplace.name,
                    count=unreached,
                )
            )
            _logger.warning(
                "Amazon account %s, %s: %s listings beyond the 1000 a search returns were not read",
                run.account.id,
                marketplace.api_ref,
                unreached,
            )

    def _process_page(self, run, page):
        """One page of one marketplace: each item read on its own, then the
        offers and listings Odoo lacks and the listings whose channel, status
        or issues changed, in a few queries (one at a time should that fail)."""
        listings = []
        for item in page.items:
            listing = self._read_unit(run, item, parse_listing)
            if listing and (page.marketplace.id, listing.sku) not in run.seen:
                run.seen.add((page.marketplace.id, listing.sku))
                listings.append((page.marketplace, listing, item))
        run.result.fetched += len(listings)
        for outcome in self._in_batch(run, listings, self._import_listings):
            if outcome == "created":
                run.result.created += 1
            elif outcome == "updated":
                run.result.updated += 1
            elif outcome == "unchanged":
                run.result.skipped += 1

    def _unit_failed(self, run, unit, error):
        sku = safe_text(unit.get("sku") if isinstance(unit, dict) else None, "?")
        run.result.failed += 1
        run.result.problems.append(
            _("Listing %(sku)s: %(reason)s", sku=sku, reason=self._failure_reason(error))
        )

    def _import_listings(self, run, units):
        """(marketplace, ListingSummary, item) units of one marketplace ->
        "created", "updated" or "unchanged" each."""
        account = run.account
        marketplace = units[0][0]
        listings = [listing for _marketplace, listing, _item in units]
        Offer = self.env["amazon.offer"]
        offers = Offer.search(
            [("account_id", "=", account.id), ("sku", "in", [lst.sku for lst in listings])]
        )
        by_sku = {offer.sku: offer for offer in offers}
        new = [listing for listing in listings if listing.sku not in by_sku]
        if new:
            products = self._find_products(account, new)
            created = Offer.create(
                [
                    self._prepare_offer_values(account, listing, products.get(listing.sku))
                    for listing in new
                ]
            )
            run.result.extra["offers_created"] += len(created)
            run.result.extra["to_review"] += len(created.filtered("needs_review"))
            by_sku.update({offer.sku: offer for offer in created})
        known = {
            listing.offer_id.sku: listing
            for listing in offers.listing_ids
            if listing.marketplace_id == marketplace
        }
        to_create = []
        outcomes = []
        for summary in listings:
            values = self._prepare_listing_values(summary)
            listing = known.get(summary.sku)
            if not listing:
                values.update(offer_id=by_sku[summary.sku].id, marketplace_id=marketplace.id)
                to_create.append(values)
                outcomes.append("created")
                continue
            changed = {name: value for name, value in values.items() if listing[name] != value}
            if changed:
                listing.write(changed)
            outcomes.append("updated" if changed else "unchanged")
        self.env["amazon.listing"].create(to_create)
        return outcomes

    def _prepare_listing_values(self, summary):
        """What Amazon says of a SKU in one marketplace (a hook)."""
        return {
            "channel": "fba" if summary.fulfilled_by_amazon else "fbm",
            "amazon_status": summary.status,
            "amazon_issues": summary.issues or False,
            "amazon_price": float(summary.price) if summary.price is not None else 0.0,
        }

    def _find_products(self, account, listings):
        """{sku: product}: by internal reference first, then by barcode."""
        skus = [listing.sku for listing in listings]
        barcodes = [code for listing in listings for code in listing.barcodes]
        domain = [("default_code", "in", skus)]
        if barcodes:
            domain = expression.OR([domain, [("barcode", "in", barcodes)]])
        found = self.env["product.product"].search(
            expression.AND([domain, [("company_id", "in", [account.company_id.id, False])]])
        )
        by_code = {p.default_code: p for p in found if p.default_code}
        by_barcode = {p.barcode: p for p in found if p.barcode}
        result = {}
        for listing in listings:
            product = by_code.get(listing.sku) or next(
                (by_barcode[code] for code in listing.barcodes if code in by_barcode), None
            )
            if product:
                result[listing.sku] = product
        return result

    def _prepare_offer_values(self, account, listing, product):
        """The offer of a listing Odoo did not know (a hook)."""
        return {
            "account_id": account.id,
            "sku": listing.sku,
            "product_id": (product or account.company_id._amazon_get_default_product("sale")).id,
            "needs_review": not product,
        }
