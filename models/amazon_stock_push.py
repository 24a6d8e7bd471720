"""Stock out: FBM quantities, Odoo to Amazon. The flow's home.

Entry points: the cron (``_cron_push``) and an account's push (``_push``,
behind the account's Push Stock button). A run's state (the account, the
adapter, the counts) is a ``StockRun`` passed to every step; another addon
``_inherit``s ``amazon.stock.push`` and overrides a step or a hook such as
``_get_quantities`` (the quantity each offer should show).

Only changed quantities are sent. A few go through Listings Items
``patchListingsItem`` (merge on ``fulfillment_availability``, so the handling
time and other attributes stay); many go in one ``JSON_LISTINGS_FEED`` whose
processing report is applied per offer when Amazon has processed it.
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models

from ..mapping.listings import PRODUCT_TYPE, availability_patch, quantity_feed_message
from ..spapi import (
    FEED_FINAL_STATUSES,
    SpApiError,
    SpApiNotFoundError,
    SpApiRequestError,
    SpApiThrottledError,
    SpApiUnavailableError,
)
from .utils import commit

_logger = logging.getLogger(__name__)

PATCH_LIMIT = 20  # more changed offers than this: one feed instead of patches
FEED_MESSAGE_LIMIT = 10_000  # messages per JSON_LISTINGS_FEED
# A feed Amazon has not finished after this long is given up: its offers are
# released and sent again (a quantity set twice is harmless).
FEED_TIMEOUT = timedelta(hours=24)


class StockRun:
    """The state of one push for one account."""

    def __init__(self, account, adapter):
        self.account = account.sudo().with_company(account.company_id)
        self.env = self.account.env
        self.adapter = adapter
        self.stats = {"sent": 0, "accepted": 0, "refused": 0, "unchanged": 0, "feeds": 0}
        self.stats["locked"] = False  # True when another push held the account


class AmazonStockPush(models.AbstractModel):
    _name = "amazon.stock.push"
    _inherit = "amazon.flow"
    _description = "Amazon Stock Out"

    # --- entry points ---------------------------------------------------------------------
    @api.model
    def _cron_push(self):
        accounts = self.env["amazon.account"].search(
            [("fbm_stock_sync", "=", True), ("link_date", "!=", False)]
        )
        for account in accounts:
            # What was not sent is still "changed": the next run sends it.
            self._cron_boundary(account, "stock push", lambda a=account: self._push(a))
        return True

    @api.model
    def _push(self, account, **adapter_options):
        """Send Amazon the account's changed FBM quantities; logged on the account."""

        def work(adapter):
            run = StockRun(account, adapter)
            stats = self.with_env(run.env)._run_push(run)
            counts = {
                "fetched": stats["sent"] + stats["unchanged"],
                "updated": stats["accepted"],
                "skipped": stats["unchanged"],
                "failed": stats["refused"],
            }
            return stats, counts

        return self._run_logged(account, "stock", work, **adapter_options)

    @api.model
    def _action_push(self, account):
        """The account's Push Stock button (access checked by the account)."""
        title = _("FBM stock synchronization")
        try:
            stats = self._push(account)
        except SpApiError as error:
            return self._notify(title, account._explain(error), "danger")
        if stats["locked"]:
            message = _("Another stock push of this account is running: try again later.")
            return self._notify(title, message, "warning")
        return self._notify(
            title,
            _(
                "%(sent)s quantities sent (%(feeds)s feed(s)), %(accepted)s accepted, "
                "%(refused)s refused, %(unchanged)s unchanged.",
                **stats,
            ),
            "warning" if stats["refused"] else "success",
        )

    # --- the run --------------------------------------------------------------------------
    def _marketplace_ref(self, run, offer):
        return (offer.marketplace_id or run.account.signup_marketplace_id).api_ref

    def _get_quantities(self, run, offers):
        """{offer: quantity to offer}: free stock of the account's warehouse (on
        hand minus reserved), never negative, never above the offer's cap; zero
        for offers that moved to FBA."""
        products = offers.product_id.with_context(warehouse_id=run.account.warehouse_id.id)
        free = {product.id: product.free_qty for product in products}
        quantities = {}
        for offer in offers:
            if offer.fba_zero_pending or offer.channel == "fba":
                quantities[offer] = 0
                continue
            quantity = max(int(free.get(offer.product_id.id, 0)), 0)
            if offer.quantity_cap:
                quantity = min(quantity, offer.quantity_cap)
            quantities[offer] = quantity
        return quantities

    def _run_push(self, run):
        """Apply the reports of finished feeds, then send what changed. One push
        per account at a time: a second one (another worker, a button) skips."""
        if not self._lock_account(run.account, "stock"):
            _logger.info("Amazon account %s: another stock push is running", run.account.id)
            run.stats["locked"] = True
            return run.stats
        try:
            return self._send_changes(run)
        finally:
            self._unlock_account(run.account, "stock")

    def _send_changes(self, run):
        self._apply_feed_reports(run)
        offers = self.env["amazon.offer"].search(
            [
                *self.env["amazon.offer"]._stock_domain(run.account),
                ("stock_sync_state", "!=", "pending"),
            ]
        )
        changed = {}
        for offer, quantity in self._get_quantities(run, offers).items():
            unchanged = (
                offer.stock_sync_state == "synced" and quantity == offer.last_quantity_sent
            ) or (offer.stock_sync_state == "error" and quantity == offer.attempted_quantity)
            if unchanged:
                run.stats["unchanged"] += 1
            else:
                changed[offer] = quantity
        if not changed:
            return run.stats
        if len(changed) <= PATCH_LIMIT:
            changed = self._skip_amazon_fulfilled(run, changed)
            self._patch(run, changed)
        else:
            self._send_feeds(run, changed)
            self._apply_feed_reports(run)
        return run.stats

    def _skip_amazon_fulfilled(self, run, changed):
        """Before an offer's first push, ask Amazon how the listing is fulfilled:
        an AFN (FBA) listing is Amazon's stock, never pushed as FBM. (Large
        first pushes go by feed; their FBA SKUs are found by their orders.)"""
        first = [offer for offer in changed if offer.stock_sync_state == "never"]
        for offer in first:
            try:
                item = run.adapter.get_listings_item(
                    run.account.seller_ref,
                    offer.sku,
                    [self._marketplace_ref(run, offer)],
                    included_data=["fulfillmentAvailability"],
                )
            except SpApiRequestError:
                continue  # no such listing: the patch says so on the offer
            channels = {
                a.get("fulfillmentChannelCode") for a in item.get("fulfillmentAvailability") or []
            }
            if channels and "DEFAULT" not in channels:
                offer.channel = "fba"
                offer.fba_zero_pending = False  # Amazon never had an FBM quantity
                del changed[offer]
        return changed

    # --- small changes: one patch per SKU -----------------------------------------------
    def _patch(self, run, changed):
        seller = run.account.seller_ref
        for offer, quantity in changed.items():
            try:
                result = run.adapter.patch_listings_item(
                    seller,
                    offer.sku,
                    [self._marketplace_ref(run, offer)],
                    PRODUCT_TYPE,
                    [availability_patch(quantity)],
                )
            except SpApiRequestError as error:
                self._refused(run, offer, quantity, str(error))
            else:
                run.stats["sent"] += 1
                if result.get("status") in ("ACCEPTED", "VALID"):
                    self._accepted(run, offer, quantity)
                else:
                    issues = "; ".join(
                        f"{i.get('code')}: {i.get('message')}" for i in result.get("issues") or []
                    )
                    self._refused(run, offer, quantity, issues or _("Amazon refused the quantity."))
            # Throttling and network errors end the run here: what was sent is
            # kept, the rest is still "changed" for the next run.
            commit(self.env.cr)

    # --- large changes: feeds -------------------------------------------------------------------
    def _send_feeds(self, run, changed):
        items = list(changed.items())
        seller = run.account.seller_ref
        marketplaces = sorted({self._marketplace_ref(run, offer) for offer, _q in items})
        for start in range(0, len(items), FEED_MESSAGE_LIMIT):
            chunk = items[start : start + FEED_MESSAGE_LIMIT]
            messages = [
                quantity_feed_message(index, offer.sku, quantity)
                for index, (offer, quantity) in enumerate(chunk, start=1)
            ]
            feed_ref = run.adapter.submit_json_listings_feed(seller, marketplaces, messages)
            run.stats["feeds"] += 1
            run.stats["sent"] += len(chunk)
            # One UPDATE per quantity value, not per offer.
            by_quantity = {}
            for index, (offer, quantity) in enumerate(chunk, start=1):
                by_quantity.setdefault(quantity, []).append((offer.id, index))
            for quantity, pairs in by_quantity.items():
                self.env.cr.execute(
                    """
                    UPDATE amazon_offer o
                       SET stock_sync_state = 'pending', attempted_quantity = %s,
                           feed_ref = %s, feed_message_ref = v.message,
                           feed_date = now() at time zone 'UTC'
                      FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::int[]) AS message) v
                     WHERE o.id = v.id
                    """,
                    (quantity, feed_ref, [p[0] for p in pairs], [p[1] for p in pairs]),
                )
            self.env["amazon.offer"].invalidate_model(
                [
                    "stock_sync_state",
                    "attempted_quantity",
                    "feed_ref",
                    "feed_message_ref",
                    "feed_date",
                ]
            )
            commit(self.env.cr)

    def _apply_feed_reports(self, run):
        """Apply the processing reports of the account's feeds Amazon finished."""
        pending = self.env["amazon.offer"].search(
            [("account_id", "=", run.account.id), ("stock_sync_state", "=", "pending")]
        )
        for feed_ref in set(pending.mapped("feed_ref")):
            offers = pending.filtered(lambda o, f=feed_ref: o.feed_ref == f)
            try:
                feed, report = run.adapter.get_feed_report(feed_ref)
            except (SpApiThrottledError, SpApiUnavailableError) as error:
                _logger.info("Feed %s report not fetched yet: %s", feed_ref, error)
                return
            except SpApiNotFoundError:
                self._feed_not_applied(run, offers, feed_ref, "NOT_FOUND", None)
                continue
            status = feed.get("processingStatus")
            if status not in FEED_FINAL_STATUSES:
                sent = [date for date in offers.mapped("feed_date") if date]
                if sent and fields.Datetime.now() - min(sent) > FEED_TIMEOUT:
                    # Amazon's queue never got to it: the quantities go out again.
                    self._feed_not_applied(run, offers, feed_ref, status, None, timed_out=True)
                continue  # Amazon is still processing it
            if status != "DONE" or report is None:
                self._feed_not_applied(run, offers, feed_ref, status, report)
                continue
            problems = {}
            for issue in report.get("issues") or []:
                if issue.get("severity") == "ERROR":
                    problems.setdefault(issue.get("messageId"), []).append(
                        f"{issue.get('code')}: {issue.get('message')}"
                    )
            refused = offers.filtered(lambda o, p=problems: o.feed_message_ref in p)
            accepted = offers - refused
            now = fields.Datetime.now()
            self.env.cr.execute(
                """
                UPDATE amazon_offer
                   SET stock_sync_state = 'synced', last_quantity_sent = attempted_quantity,
                       last_quantity_date = %s, stock_sync_error = NULL, feed_ref = NULL,
                       fba_zero_pending = FALSE
                 WHERE id = ANY(%s)
                """,
                (now, accepted.ids),
            )
            for offer in refused:
                offer.write(
                    {
                        "stock_sync_state": "error",
                        "stock_sync_error": "\n".join(problems[offer.feed_message_ref]),
                        "feed_ref": False,
                    }
                )
            self.env["amazon.offer"].invalidate_model()
            run.stats["accepted"] += len(accepted)
            run.stats["refused"] += len(refused)
            commit(self.env.cr)

    def _feed_not_applied(self, run, offers, feed_ref, status, report, timed_out=False):
        """A feed Amazon aborted (FATAL: some, none or all of it may have been
        applied) or cancelled: its offers are in error with Amazon's reason, and
        the next push sends their quantity again (setting a quantity twice is
        harmless)."""
        reasons = [
            f"{issue.get('code')}: {issue.get('message')}"
            for issue in (report or {}).get("issues") or []
            if issue.get("severity") == "ERROR"
        ]
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
        if reasons:
            error = "\n".join([error, *reasons])
        # attempted_quantity -1: Amazon refused no quantity, so the next push sends
        # the offer's quantity whatever it is (see run()).
        offers.write(
            {
                "stock_sync_state": "error",
                "stock_sync_error": error,
                "feed_ref": False,
                "feed_date": False,
                "attempted_quantity": -1,
            }
        )
        run.stats["refused"] += len(offers)
        commit(self.env.cr)

    # --- outcomes -----------------------------------------------------------------------------
    def _accepted(self, run, offer, quantity):
        run.stats["accepted"] += 1
        offer.write(
            {
                "stock_sync_state": "synced",
                "last_quantity_sent": quantity,
                "attempted_quantity": quantity,
                "last_quantity_date": fields.Datetime.now(),
                "stock_sync_error": False,
                "fba_zero_pending": False,
            }
        )

    def _refused(self, run, offer, quantity, reason):
        run.stats["refused"] += 1
        offer.write(
            {
                "stock_sync_state": "error",
                "attempted_quantity": quantity,
                "stock_sync_error": reason,
            }
        )
