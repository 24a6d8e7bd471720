"""Listings in: the seller's listings (searchListingsItems) into offers. The
flow's home.

Entry points: the daily cron (``_cron_import``) and the account's Import
Listings button (``_action_import``). Each SKU Amazon lists becomes an offer
of the account, paired with the product whose internal reference is the SKU,
else whose barcode is one of the listing's EAN/UPC/GTIN; a SKU matching neither
gets an offer to review (the default product until someone picks one), never
a new product. Each marketplace is searched on its own, as the channel Amazon
returns (fulfillmentAvailability) names no marketplace: the SKU's listing in
that marketplace gets its channel, status and issues there. Only what
differs is written: a second import with nothing new writes nothing.
"""

import functools
import logging

from odoo import _, api, models
from odoo.osv import expression

from ..mapping.listings import parse_listing
from ..spapi import SpApiError
from .flow_run import busy_message

_logger = logging.getLogger(__name__)

# The datasets the import reads: the title and status (summaries), the barcodes
# (attributes), Amazon's issues, the price (offers) and the channel
# (fulfillmentAvailability).
LISTING_DATA = ("summaries", "attributes", "issues", "offers", "fulfillmentAvailability")


class AmazonListingImport(models.AbstractModel):
    _name = "amazon.listing.import"
    _inherit = "amazon.flow"
    _description = "Amazon Listings In"
    _flow_kind = "listings"

    page_size = 20  # searchListingsItems' maximum

    # --- entry points ---------------------------------------------------------------------
    @api.model
    def _cron_import(self):
        """The linked accounts in turns (``amazon.flow._cron_turns``), a whole
        import each: what a turn could not reach, the next run does."""
        return self._cron_run()

    @api.model
    def _cron_turn(self, account, max_pages=None):
        self._import(account, max_throttle_wait=self.cron_max_throttle_wait)
        return False

    @api.model
    def _import(self, account, **adapter_options):
        """Create the offers of the account's listings Odoo lacks; logged."""
        work = functools.partial(self._import_work, account)
        return self._run_logged(account, self._flow_kind, work, **adapter_options)

    def _import_work(self, account, adapter):
        # The run goes as the system in the account's company, as the other
        # flows do: the button's user (a sales manager) asked for it.
        run_account = account.sudo().with_company(account.company_id)
        stats = self.with_env(run_account.env)._run_import(run_account, adapter)
        counts = {
            "fetched": stats["listings"],
            "created": stats["listings_created"],
            "updated": stats["updated"],
            "skipped": stats["listings"] - stats["listings_created"] - stats["updated"],
            # Listings Amazon found but would not page to: the run is partial.
            "failed": stats["unreached"],
        }
        return stats, counts

    @api.model
    def _action_import(self, account):
        """The account's Import Listings button (access checked by the account)."""
        title = _("Listings import")
        try:
            stats = self._import(account)
        except SpApiError as error:
            return self._notify(title, account._explain(error), "danger")
        if stats["locked"]:
            message = busy_message()
            return self._notify(title, message, "warning")
        message = _(
            "%(listings)s listings read, %(created)s offers created (%(to_review)s to review), "
            "%(listings_created)s listings added, %(updated)s updated.",
            **stats,
        )
        if stats["unreached"]:
            more = _(
                "Amazon lists %(count)s more listings than one search returns (1000): "
                "they are not imported yet.",
                count=stats["unreached"],
            )
            message = f"{message}\n{more}"
        kind = "warning" if stats["to_review"] or stats["unreached"] else "success"
        return self._notify(title, message, kind)

    # --- the run --------------------------------------------------------------------------
    def _run_import(self, account, adapter):
        stats = {
            "listings": 0,
            "created": 0,
            "to_review": 0,
            "listings_created": 0,
            "updated": 0,
            "unreached": 0,
            "locked": False,
        }
        if not self._lock_account(account, self._flow_kind):
            stats["locked"] = True
            return stats
        try:
            for marketplace in account.marketplace_ids:
                self._import_marketplace(account, marketplace, adapter, stats)
        finally:
            self._unlock_account(account, self._flow_kind)
        return stats

    def _import_marketplace(self, account, marketplace, adapter, stats):
        """Every listing of one marketplace. searchListingsItems: "The maximum
        number of items (SKUs) that can be returned and paged through is
        1000." So the listings are read oldest first, and when a search stops
        short of its numberOfResults, the next one starts at the creation date
        of the last listing read (createdAfter: "created at or after this
        time"; the SKUs read at that very time are skipped). A catalogue whose
        1000 next listings were all created at one instant cannot be read this
        way: it is reported, never taken for complete."""
        seen = set()
        total = None
        created_after = None
        while True:
            filters = {"sortBy": "createdDate", "sortOrder": "ASC"}
            if created_after:
                filters["createdAfter"] = created_after
            found = returned = 0
            last_created = None
            pages = adapter.iter_listings_pages(
                account.seller_ref,
                [marketplace.api_ref],  # one marketplace: the channel returned is its own
                included_data=LISTING_DATA,
                page_size=self.page_size,
                **filters,
            )
            for page in pages:
                found = max(found, page["number_of_results"])
                returned += len(page["items"])
                listings = [parse_listing(item) for item in page["items"]]
                last_created = next(
                    (listing.created for listing in reversed(listings) if listing.created),
                    last_created,
                )
                new = [lst for lst in listings if lst.sku and lst.sku not in seen]
                seen.update(listing.sku for listing in new)
                with self.env.cr.savepoint():
                    self._import_page(account, marketplace, new, stats)
                self._commit()
            total = found if total is None else total
            if returned >= found:
                break  # this search returned all it found: the marketplace is read
            if not last_created or last_created == created_after:
                break  # no progress: 1000 listings created at one instant
            created_after = last_created
        stats["listings"] += len(seen)
        unreached = max(total - len(seen), 0) if returned < found else 0
        stats["unreached"] += unreached
        if unreached:
            _logger.warning(
                "Amazon account %s, %s: %s listings beyond the 1000 a search returns were not read",
                account.id,
                marketplace.api_ref,
                unreached,
            )

    def _import_page(self, account, marketplace, listings, stats):
        """One page of one marketplace: the offers and listings Odoo lacks, and
        the listings whose channel, status or issues changed, in a few queries."""
        if not listings:
            return
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
            stats["created"] += len(created)
            stats["to_review"] += len(created.filtered("needs_review"))
            by_sku.update({offer.sku: offer for offer in created})
        known = {
            listing.offer_id.sku: listing
            for listing in offers.listing_ids
            if listing.marketplace_id == marketplace
        }
        to_create = []
        for summary in listings:
            values = self._prepare_listing_values(summary)
            listing = known.get(summary.sku)
            if not listing:
                values.update(offer_id=by_sku[summary.sku].id, marketplace_id=marketplace.id)
                to_create.append(values)
                continue
            changed = {name: value for name, value in values.items() if listing[name] != value}
            if changed:
                listing.write(changed)
                stats["updated"] += 1
        self.env["amazon.listing"].create(to_create)
        stats["listings_created"] += len(to_create)

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
