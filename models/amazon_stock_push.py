"""Stock out: FBM quantities, Odoo to Amazon. The flow's home.

Entry points: the cron (``_cron_push``) and the account's Push Stock button
(``_action_run``), both through the flow template's ``_run``: the reports
of the feeds Amazon finished are applied first (``_before_pages``, each feed
its own unit), then each patch or feed of what changed is a page
(``_fetch``), committed as it goes. Another addon ``_inherit``s
``amazon.stock.push`` and overrides a step or a hook such as
``_get_quantities`` (the quantity each listing should show).

Amazon sets quantities per seller, SKU and marketplace, so the push works on
listings (an offer in one marketplace), never on offers: a SKU FBA on
amazon.com and FBM on amazon.de gets its quantity on amazon.de only. Only
changed quantities are sent. A few go through Listings Items
``patchListingsItem`` for the listing's marketplace (merge on
``fulfillment_availability``, so the handling time and other attributes stay);
many go in ``JSON_LISTINGS_FEED``s, one per marketplace: the
``fulfillment_availability`` attribute names no marketplace (in Amazon's
example feed, listings-feed-schema-v2.example.json, ``item_name`` carries a
``marketplace_id`` and ``fulfillment_availability`` none), so the feed's
``marketplaceIds`` says where it applies. Each feed's processing report is
applied per listing when Amazon has processed it.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from odoo import _, api, fields, models

from ..mapping.checks import obj, objects
from ..mapping.listings import PRODUCT_TYPE, availability_patch, quantity_feed_message
from ..mapping.stock import PayloadError, allocate, feed_report_errors
from ..spapi import (
    FEED_FINAL_STATUSES,
    SpApiDocumentError,
    SpApiNotFoundError,
    SpApiRequestError,
    SpApiThrottledError,
    SpApiUnavailableError,
)
from . import flow_kinds
from .flow_run import FlowRun

_logger = logging.getLogger(__name__)

PATCH_LIMIT = 20  # more changed listings than this: feeds instead of patches
FEED_MESSAGE_LIMIT = 10_000  # messages per JSON_LISTINGS_FEED
# A feed Amazon has not finished after this long is given up: its listings are
# released and sent again (a quantity set twice is harmless).
FEED_TIMEOUT = timedelta(hours=24)


@dataclass
class PatchPage:
    """One listing's quantity, sent by patchListingsItem."""

    listing: object
    quantity: int


@dataclass
class FeedPage:
    """Quantities of one marketplace, sent in one JSON_LISTINGS_FEED."""

    marketplace_ref: str
    chunk: list  # [(listing, quantity)]


@dataclass
class FeedReport:
    """A feed whose report is read: its listings' unit."""

    feed_ref: str
    listings: object


class StockRun(FlowRun):
    """A push's state: its counts beyond the result's (quantities sent, feeds)."""

    def __init__(self, account, adapter, **limits):
        super().__init__(account, adapter, **limits)
        self.result.extra.update(sent=0, feeds=0)


class AmazonStockPush(models.AbstractModel):
    _name = "amazon.stock.push"
    _inherit = "amazon.flow"
    _description = "Amazon Stock Out"
    _flow_kind = flow_kinds.STOCK
    _run_class = StockRun

    @api.model
    def _cron_push(self):
        """The pushing accounts in turns (``amazon.flow._cron_turns``)."""
        return self._cron_run()

    @api.model
    def _cron_accounts(self):
        """The accounts whose FBM stock the cron pushes."""
        return self.env["amazon.account"].search(
            [("fbm_stock_sync", "=", True), ("link_date", "!=", False)]
        )

    def _flow_title(self):
        return _("FBM stock synchronization")

    def _result_message(self, result):
        return _(
            "%(sent)s quantities sent (%(feeds)s feed(s)), %(accepted)s accepted, "
            "%(refused)s refused, %(unchanged)s unchanged.",
            sent=result.extra["sent"],
            feeds=result.extra["feeds"],
            accepted=result.updated,
            refused=result.failed,
            unchanged=result.skipped,
        )

    # --- the run --------------------------------------------------------------------------
    def _get_quantities(self, run, listings):
        """{listing: quantity to offer}: the product's free stock in the
        account's warehouse (on hand minus reserved), shared out as the
        company's allocation says (``mapping.stock.allocate``: the account's
        buffer and share; "split" divides it between the product's FBM
        listings on every account selling from that warehouse), never above the
        offer's cap; zero for listings that moved to FBA."""
        account = run.account
        products = listings.product_id.with_context(warehouse_id=account.warehouse_id.id)
        free = {product.id: product.free_qty for product in products}
        split = account.company_id.amazon_stock_allocation == "split"
        sharing = self._sharing_listings(run, products) if split else {}
        allocated = {}  # product id -> {account: [quantity per listing]}
        quantities = {}
        for listing in listings:
            if listing.fba_zero_pending or listing.channel == "fba":
                quantities[listing] = 0
                continue
            product_id = listing.product_id.id
            if product_id not in allocated:
                by_account = sharing.get(product_id) or {account: [listing.id]}
                claims = [
                    (owner, owner.stock_buffer, owner.stock_share, len(ids) if split else 1)
                    for owner, ids in by_account.items()
                ]
                allocated[product_id] = allocate(free.get(product_id, 0), claims, split)
            own = allocated[product_id][account]
            ids = sharing.get(product_id, {}).get(account, [])
            quantity = own[ids.index(listing.id)] if listing.id in ids else own[0]
            if listing.offer_id.quantity_cap:
                quantity = min(quantity, listing.offer_id.quantity_cap)
            quantities[listing] = quantity
        return quantities

    def _sharing_listings(self, run, products):
        """{product id: {account: [listing ids]}}: the merchant-fulfilled
        listings of ``products`` that share the warehouse's stock (this
        account's, and those of the accounts pushing stock from the same
        warehouse), pending ones included, in a stable order."""
        account = run.account
        domain = [
            ("product_id", "in", products.ids),
            ("channel", "=", "fbm"),
            "|",
            ("account_id", "=", account.id),
            "&",
            ("account_id.warehouse_id", "=", account.warehouse_id.id),
            ("account_id.fbm_stock_sync", "=", True),
        ]
        sharing = {}
        for listing in self.env["amazon.listing"].search(domain, order="id"):
            accounts = sharing.setdefault(listing.product_id.id, {})
            accounts.setdefault(listing.account_id, []).append(listing.id)
        return sharing

    # --- the steps: finished feeds first, then each patch or feed a page ------------------
    def _before_pages(self, run):
        self._apply_feed_reports(run)

    def _fetch(self, run, window):
        """What changed since Amazon last took it: a few listings one patch
        each, many in feeds (one per marketplace and FEED_MESSAGE_LIMIT)."""
        Listing = self.env["amazon.listing"]
        listings = Listing.search(
            [*Listing._stock_domain(run.account), ("stock_sync_state", "!=", "pending")]
        )
        changed = {}
        for listing, quantity in self._get_quantities(run, listings).items():
            unchanged = (
                listing.stock_sync_state == "synced" and quantity == listing.last_quantity_sent
            ) or (listing.stock_sync_state == "error" and quantity == listing.attempted_quantity)
            if unchanged:
                run.result.skipped += 1
            else:
                changed[listing] = quantity
        run.result.fetched = len(listings)
        if len(changed) <= PATCH_LIMIT:
            changed = self._skip_amazon_fulfilled(run, changed)
            return [PatchPage(listing, quantity) for listing, quantity in changed.items()]
        by_marketplace = {}
        for listing, quantity in changed.items():
            by_marketplace.setdefault(listing.marketplace_id.api_ref, []).append(
                (listing, quantity)
            )
        return [
            FeedPage(marketplace_ref, items[start : start + FEED_MESSAGE_LIMIT])
            for marketplace_ref, items in sorted(by_marketplace.items())
            for start in range(0, len(items), FEED_MESSAGE_LIMIT)
        ]

    def _has_next(self, page):
        # What a run did not send is still "changed": never paused halfway.
        return False

    def _process_page(self, run, page):
        """Send one patch or one feed. Throttling and network errors end the
        run here: what was sent is committed, the rest is still "changed" for
        the next run."""
        if isinstance(page, PatchPage):
            self._patch(run, page)
        else:
            self._send_feed(run, page.marketplace_ref, page.chunk)

    def _close_window(self, run, window):
        if run.result.extra["feeds"]:
            self._apply_feed_reports(run)  # Amazon may have processed them already

    def _skip_amazon_fulfilled(self, run, changed):
        """Before a listing's first push, ask Amazon how it is fulfilled in its
        marketplace (one marketplace per call: fulfillmentAvailability names
        none): an AFN (FBA) listing is Amazon's stock, never pushed as FBM.
        (Large first pushes go by feed; the listings import and the orders tell
        their channels.)"""
        first = [listing for listing in changed if listing.stock_sync_state == "never"]
        for listing in first:
            try:
                item = run.adapter.get_listings_item(
                    run.account.seller_ref,
                    listing.sku,
                    [listing.marketplace_id.api_ref],
                    included_data=["fulfillmentAvailability"],
                )
            except SpApiRequestError:
                continue  # no such listing: the patch says so on the listing
            channels = {
                a.get("fulfillmentChannelCode") for a in item.get("fulfillmentAvailability") or []
            }
            if channels and "DEFAULT" not in channels:
                listing.channel = "fba"
                listing.fba_zero_pending = False  # Amazon never had an FBM quantity
                del changed[listing]
        return changed

    # --- small changes: one patch per SKU -----------------------------------------------
    def _patch(self, run, page):
        listing, quantity = page.listing, page.quantity
        try:
            answer = run.adapter.patch_listings_item(
                run.account.seller_ref,
                listing.sku,
                [listing.marketplace_id.api_ref],  # this listing's marketplace only
                PRODUCT_TYPE,
                [availability_patch(quantity)],
            )
        except SpApiRequestError as error:
            self._refused(run, listing, quantity, str(error))
            return
        run.result.extra["sent"] += 1
        self._in_unit(run, page, self._patch_answered, listing, quantity, answer)

    def _patch_answered(self, run, listing, quantity, answer):
        """Amazon's answer to a patch (ACCEPTED, else its issues), read as the
        model says or the listing's failure."""
        answer = obj(answer, "response")
        if answer.get("status") in ("ACCEPTED", "VALID"):
            self._accepted(run, listing, quantity)
            return
        issues = "; ".join(
            f"{issue.get('code')}: {issue.get('message')}"
            for issue in objects(answer.get("issues"), "issues")
        )
        self._refused(run, listing, quantity, issues or _("Amazon refused the quantity."))

    # --- large changes: feeds -------------------------------------------------------------------
    def _send_feed(self, run, marketplace_ref, chunk):
        messages = [
            quantity_feed_message(index, listing.sku, quantity)
            for index, (listing, quantity) in enumerate(chunk, start=1)
        ]
        feed_ref = run.adapter.submit_json_listings_feed(
            run.account.seller_ref, [marketplace_ref], messages
        )
        run.result.extra["feeds"] += 1
        run.result.extra["sent"] += len(chunk)
        # One UPDATE per quantity value, not per listing.
        by_quantity = {}
        for index, (listing, quantity) in enumerate(chunk, start=1):
            by_quantity.setdefault(quantity, []).append((listing.id, index))
        for quantity, pairs in by_quantity.items():
            self.env.cr.execute(
                """
                UPDATE amazon_listing l
                   SET stock_sync_state = 'pending', attempted_quantity = %s,
                       feed_ref = %s, feed_message_ref = v.message,
                       feed_date = now() at time zone 'UTC'
                  FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::int[]) AS message) v
                 WHERE l.id = v.id
                """,
                (quantity, feed_ref, [p[0] for p in pairs], [p[1] for p in pairs]),
            )
        self.env["amazon.listing"].invalidate_model(
            ["stock_sync_state", "attempted_quantity", "feed_ref", "feed_message_ref", "feed_date"]
        )

    def _apply_feed_reports(self, run):
        """Apply the processing reports of the account's feeds Amazon finished,
        each feed its own unit: a report Odoo cannot read, or cannot apply,
        leaves that feed not applied (its quantities go out again), never the
        push stopped."""
        pending = self.env["amazon.listing"].search(
            [("account_id", "=", run.account.id), ("stock_sync_state", "=", "pending")]
        )
        for feed_ref in set(pending.mapped("feed_ref")):
            listings = pending.filtered(lambda o, f=feed_ref: o.feed_ref == f)
            try:
                feed, report = run.adapter.get_feed_report(feed_ref)
            except (SpApiThrottledError, SpApiUnavailableError) as error:
                _logger.info("Feed %s report not fetched yet: %s", feed_ref, error)
                return
            except SpApiNotFoundError:
                self._feed_not_applied(run, listings, feed_ref, "NOT_FOUND", None)
            except SpApiDocumentError as error:
                # Its report is never read again: the quantities go out anew.
                self._feed_not_applied(run, listings, feed_ref, "DONE", None, reason=str(error))
            except ValueError as error:  # a report that is no JSON: the same
                reason = _("the processing report is not JSON (%(error)s)", error=error)
                self._feed_not_applied(run, listings, feed_ref, "DONE", None, reason=reason)
            else:
                unit = FeedReport(feed_ref, listings)
                self._in_unit(run, unit, self._apply_feed_report, feed_ref, feed, report, listings)
            self._commit()

    def _apply_feed_report(self, run, feed_ref, feed, report, listings):
        status = feed.get("processingStatus")
        if status not in FEED_FINAL_STATUSES:
            sent = [date for date in listings.mapped("feed_date") if date]
            if sent and fields.Datetime.now() - min(sent) > FEED_TIMEOUT:
                # Amazon's queue never got to it: the quantities go out again.
                self._feed_not_applied(run, listings, feed_ref, status, None, timed_out=True)
            return  # Amazon is still processing it
        if status != "DONE" or report is None:
            self._feed_not_applied(run, listings, feed_ref, status, report)
            return
        problems = feed_report_errors(report)
        refused = listings.filtered(lambda o, p=problems: o.feed_message_ref in p)
        accepted = listings - refused
        self.env.cr.execute(
            """
            UPDATE amazon_listing
               SET stock_sync_state = 'synced', last_quantity_sent = attempted_quantity,
                   last_quantity_date = %s, stock_sync_error = NULL, feed_ref = NULL,
                   fba_zero_pending = FALSE
             WHERE id = ANY(%s)
            """,
            (fields.Datetime.now(), accepted.ids),
        )
        for listing in refused:
            listing.write(
                {
                    "stock_sync_state": "error",
                    "stock_sync_error": "\n".join(problems[listing.feed_message_ref]),
                    "feed_ref": False,
                }
            )
        self.env["amazon.listing"].invalidate_model()
        run.result.updated += len(accepted)
        run.result.failed += len(refused)

    def _unit_failed(self, run, unit, error):
        """A feed whose report could not be applied: not applied, with why; a
        patch whose answer does not read: the listing's error."""
        reason = self._failure_reason(error)
        if isinstance(unit, PatchPage):
            self._refused(run, unit.listing, unit.quantity, reason)
            run.result.problems.append((unit.listing, reason))
            return
        _logger.warning("Amazon stock feed %s: report not applied, %s", unit.feed_ref, reason)
        self._feed_not_applied(run, unit.listings, unit.feed_ref, "DONE", None, reason=reason)

    def _feed_not_applied(
        self, run, listings, feed_ref, status, report, timed_out=False, reason=None
    ):
        """A feed Amazon aborted (FATAL: some, none or all of it may have been
        applied) or cancelled: its listings are in error with Amazon's reason, and
        the next push sends their quantity again (setting a quantity twice is
        harmless)."""
        try:
            reasons = [r for found in feed_report_errors(report).values() for r in found]
        except PayloadError as error:
            reasons = [str(error)]
        if timed_out:
            error = _(
                "Amazon has not processed stock feed %(feed)s within %(hours)s hours "
                "(status %(status)s): its quantities are sent again.",
                feed=feed_ref,
                hours=int(FEED_TIMEOUT.total_seconds() // 3600),
                status=status,
            )
        else:
            error = _(
                "Amazon did not apply stock feed %(feed)s (status %(status)s).",
                feed=feed_ref,
                status=status,
            )
        if reason:
            reasons.append(reason)
            run.result.problems.append(f"{feed_ref}: {reason}")
        if reasons:
            error = "\n".join([error, *reasons])
        # attempted_quantity -1: Amazon refused no quantity, so the next push sends
        # the listing's quantity whatever it is (see _send_changes()).
        listings.write(
            {
                "stock_sync_state": "error",
                "stock_sync_error": error,
                "feed_ref": False,
                "feed_date": False,
                "attempted_quantity": -1,
            }
        )
        run.result.failed += len(listings)

    # --- outcomes -----------------------------------------------------------------------------
    def _accepted(self, run, listing, quantity):
        run.result.updated += 1
        listing.write(
            {
                "stock_sync_state": "synced",
                "last_quantity_sent": quantity,
                "attempted_quantity": quantity,
                "last_quantity_date": fields.Datetime.now(),
                "stock_sync_error": False,
                "fba_zero_pending": False,
            }
        )

    def _refused(self, run, listing, quantity, reason):
        run.result.failed += 1
        listing.write(
            {
                "stock_sync_state": "error",
                "attempted_quantity": quantity,
                "stock_sync_error": reason,
            }
        )
