"""Orders in: Amazon orders into confirmed sale orders, on amazon.flow's template.

This flow's own steps: the window of lastUpdatedTime (``_window``, resumed at
the saved pagination token), its pages (``_fetch``: searchOrders, or getOrder
for Recover Order) and a page's orders (``_process_orders``): parse (pure, in
``mapping``), skip what Odoo has at that version, prefetch what the page needs
in a few queries, then create and confirm the new orders in batches, each
order alone (``_in_unit``) when a batch fails. A bad order is recorded as an
``amazon.order.failure`` and retried by the next runs, a few times. Buyers,
offers, lines and FBA moves are built by their models (``_amazon_*``).
"""

import functools
import logging
from datetime import timedelta

from odoo import _, api, fields, models

from ..mapping import (
    SEARCHED_STATUSES,
    format_datetime,
    is_importable,
    missing_datasets,
    order_ref,
    parse_order,
)
from ..spapi import (
    ORDER_INCLUDED_DATA,
    SpApiRequestError,
    SpApiResponseError,
)
from ..spapi.adapter import OrdersPage
from . import flow_kinds
from .flow_run import AmazonAccountBusy, FlowResult, busy_message, lock_namespace
from .order_run import OrderRun, OrdersWindow

_logger = logging.getLogger(__name__)

# Orders updated just before the last sync are fetched again: Amazon's clocks
# and ours may disagree by a little, and a re-fetched order costs nothing.
WINDOW_OVERLAP = timedelta(minutes=5)
# Amazon refuses windows ending less than two minutes ago.
WINDOW_LAG = timedelta(minutes=2)
# First sync of an account: how far back to look.
FIRST_SYNC_LOOKBACK = timedelta(days=3)
# Failures whose payload lacks a dataset, fetched again with getOrder per run.
REFETCHED_FAILURES = 20
LOCK_NAMESPACE = lock_namespace(flow_kinds.ORDERS)  # the flow's per-account lock (amazon.flow)


class IncompletePageError(SpApiResponseError):
    """Amazon's answer lacks datasets every order needs: the request, not the
    orders, is at fault, so the run stops before the page (nothing of it is
    written, the position stays at the last committed page) instead of turning
    the page into failed orders."""


class AmazonOrderImport(models.AbstractModel):
    _name = "amazon.order.import"
    _inherit = "amazon.flow"
    _description = "Amazon Orders In"
    _flow_kind = flow_kinds.ORDERS
    _run_class = OrderRun

    page_size = 100  # searchOrders' maximum
    # The datasets asked on every page (an addon needing PAYMENT, say, extends it).
    included_data = ORDER_INCLUDED_DATA
    # A failed order is retried by this many runs, then waits for a person
    # (the failure's Retry button).
    unit_attempts = 5

    # --- entry points: the template's (amazon.flow), and these ------------------------------
    @api.model
    def _cron_sync(self, pages_per_account=None):
        """The cron (data/ir_cron_data.xml): every account in turns."""
        return self._cron_run(max_pages=pages_per_account)

    def _flow_title(self):
        return _("Order synchronization")

    @api.model
    def _recover(self, account, order_refs):
        """Fetch these orders now and import or refresh them, whatever their age."""
        refs = [ref.strip() for ref in order_refs if ref and ref.strip()]
        if not refs:
            return FlowResult()
        result = self._run(account, run_options={"order_refs": refs})
        if result.locked:
            raise AmazonAccountBusy(busy_message())
        return result

    @api.model
    def _cron_accounts(self):
        """Polling is the safety net of the accounts whose notifications are
        healthy: the cron looks at them once in a while."""
        return super()._cron_accounts()._amazon_polling_due()

    # --- the window ---------------------------------------------------------------------------
    def _before_pages(self, run):
        if not run.order_refs:
            self._retry_failures(run)

    def _window(self, run):
        """The window in progress, else a new one (or the orders given)."""
        if run.order_refs:
            return OrdersWindow(refs=run.order_refs)
        account = run.account
        if account.orders_window_end:
            return OrdersWindow(
                account.orders_window_start, account.orders_window_end, account.orders_page_token
            )
        now = fields.Datetime.now()
        start = (
            account.last_orders_sync - WINDOW_OVERLAP
            if account.last_orders_sync
            else now - FIRST_SYNC_LOOKBACK
        )
        end = now - WINDOW_LAG
        start = min(start, end)
        account.write(
            {"orders_window_start": start, "orders_window_end": end, "orders_page_token": False}
        )
        return OrdersWindow(start, end, False)

    def _fetch(self, run, window):
        if window.refs:
            yield OrdersPage(
                orders=self._get_orders(run, window.refs), next_token=None, last_updated_before=None
            )
            return
        if window.end is None or not run.account.marketplace_ids:
            return
        try:
            yield from self._order_pages(run, window)
        except SpApiRequestError:
            if not window.token or run.result.pages:
                raise
            # Amazon no longer knows the saved token: redo the window, which
            # costs API calls but neither duplicates nor gaps.
            _logger.info(
                "Amazon account %s: pagination token refused, restarting window", run.account.id
            )
            window.token = run.account.orders_page_token = False
            yield from self._order_pages(run, window)

    def _get_orders(self, run, refs):
        orders = []
        for ref in refs:
            try:
                orders.append(run.adapter.get_order(ref))
            except SpApiRequestError as error:
                if not run.skip_unfetched:
                    raise
                run.result.extra.setdefault("unfetched", {})[ref] = str(error)
        return orders

    def _order_pages(self, run, window):
        return run.adapter.iter_order_pages(
            marketplace_ids=run.account.marketplace_ids.mapped("api_ref"),
            last_updated_after=format_datetime(window.start),
            last_updated_before=format_datetime(window.end),
            fulfillment_statuses=list(SEARCHED_STATUSES),
            pagination_token=window.token or None,
            page_size=self.page_size,
            included_data=self.included_data,
        )

    def _advance(self, run, window, page):
        if not window.refs:
            run.account.orders_page_token = page.next_token or False

    def _close_window(self, run, window):
        if window.refs or window.end is None:
            return
        run.account.write(
            {
                "last_orders_sync": window.end,
                "orders_window_start": False,
                "orders_window_end": False,
                "orders_page_token": False,
            }
        )
        self._commit()

    def _retry_failures(self, run):
        """Orders that failed before are tried again from their payload, up to
        ``unit_attempts`` times: then they wait for a person."""
        payloads, stale = self.env["amazon.order.failure"]._amazon_to_retry(
            run.account, self.unit_attempts
        )
        for ref in stale[:REFETCHED_FAILURES]:
            try:
                payloads.append(run.adapter.get_order(ref))
            except SpApiRequestError as error:  # not found, or refused: stays listed
                _logger.info("Amazon order %s could not be fetched again: %s", ref, error)
        if payloads:
            with self.env.cr.savepoint():
                self._process_orders(run, payloads, retry=True)
            self._commit()

    # --- one page -------------------------------------------------------------------------------
    def _currency_of(self, run, marketplace_ref):
        marketplace = run.marketplaces.get(marketplace_ref)
        return marketplace.currency_id.name if marketplace else None

    def _process_page(self, run, page):
        self._process_orders(run, page.orders)

    def _process_orders(self, run, payloads, retry=False):
        """Create or update the orders of ``payloads`` (Amazon order dicts):
        each order is a unit, in its own savepoint; the page's new orders are
        created and confirmed in batches (Odoo's confirmation is most of an
        import's cost), each alone when the batch fails."""
        self._check_complete(payloads)
        if not retry:
            run.result.fetched += len(payloads)
        # Orders already in Odoo are known before any payload is parsed: a payload
        # Odoo cannot read never turns an imported order into a "failed" one.
        refs = [ref for ref in map(order_ref, payloads) if ref]
        existing = {
            order.amazon_order_ref: order
            for order in self.env["sale.order"].search(
                [("amazon_account_id", "=", run.account.id), ("amazon_order_ref", "in", refs)]
            )
        }
        parsed = []
        for payload in payloads:
            try:
                parsed.append((self._parse(run, payload), payload))
            except Exception as error:  # pure: nothing to roll back
                ref = order_ref(payload)
                if ref in existing:
                    run.result.skipped += 1
                    _logger.warning(
                        "Amazon order %s of account %s: update not applied, %s",
                        ref,
                        run.account.id,
                        error,
                    )
                else:
                    self._unit_failed(run, payload, error)
        to_create = []
        for order, payload in parsed:
            record = existing.get(order.ref)
            if record:
                if record.amazon_last_updated and order.last_updated <= record.amazon_last_updated:
                    run.result.skipped += 1  # nothing new since the last import
                    self._forget_failure(run, order.ref)
                    continue
                if self._in_unit(run, payload, self._update_order, record, order):
                    self._forget_failure(run, order.ref)
            elif is_importable(order):
                to_create.append((order, payload))
            else:
                run.result.skipped += 1  # pending, or shipped/cancelled before import
                self._forget_failure(run, order.ref)
        if to_create:
            run.prefetch([order for order, _payload in to_create])
            prepared = []
            for order, payload in to_create:
                values = self._in_unit(run, payload, self._prepare_order_values, order)
                if values:
                    prepared.append((values, order, payload))
            self._confirm_page(run, self._create_page(run, prepared))

    def _parse(self, run, payload):
        return parse_order(payload, functools.partial(self._currency_of, run))

    @staticmethod
    def _check_complete(payloads):
        """Orders lacking a dataset the import needs, all of the page: Amazon's
        answer to an incomplete request (the run stops). Some orders only: those
        are failures of their own, fetched again by a later run."""
        incomplete = {}
        for payload in payloads:
            for dataset in missing_datasets(payload):
                incomplete.setdefault(dataset, []).append(order_ref(payload) or "?")
        if incomplete and all(missing_datasets(payload) for payload in payloads):
            raise IncompletePageError(
                _(
                    "Amazon sent orders without the data the import needs (%(datasets)s): "
                    "%(orders)s. Nothing of them was imported; the next synchronization "
                    "asks again.",
                    datasets=", ".join(sorted(incomplete)),
                    orders=", ".join(sorted({r for refs in incomplete.values() for r in refs})),
                )
            )

    def _create_page(self, run, prepared):
        """Create the page's new orders in one ``create`` (batched computes and
        inserts), each alone should the batch fail. Returns [(sale, order, payload)]."""
        sales = self._in_batch(run, prepared, self._create_batch)
        created = [
            (sale, order, payload)
            for sale, (_values, order, payload) in zip(sales, prepared, strict=True)
            if sale
        ]
        for _sale, order, _payload in created:
            self._forget_failure(run, order.ref)
        run.result.created += len(created)
        self.env["sale.order"]._amazon_log_origin(
            run.account, [(sale, order) for sale, order, _payload in created]
        )
        return created

    def _create_batch(self, run, prepared):
        sales = self.env["sale.order"].create([values for values, _order, _payload in prepared])
        return list(sales)

    def _confirm_page(self, run, created):
        """Confirm the page's new orders in one go (Odoo's confirmation costs
        much less per order in batches), each alone should the batch fail: the
        ones that fail are recorded and removed, the others go on."""
        for sale, confirmed in zip(
            created, self._in_batch(run, created, self._confirm), strict=True
        ):
            if not confirmed:
                sale[0].unlink()
                run.result.created -= 1

    # --- one order's fault boundary (amazon.flow._in_unit) ---------------------------------
    def _in_unit(self, run, unit, method, *args):
        # Partners and offers created in a savepoint that is rolled back must
        # leave the run's caches too, or the next order would point at them.
        caches = (run.partners, run.offers, run.listings)
        cached = [set(cache) for cache in caches]
        failed = run.result.failed
        result = super()._in_unit(run, unit, method, *args)
        if run.result.failed > failed:
            for cache, keys in zip(caches, cached, strict=True):
                for key in set(cache) - keys:
                    del cache[key]
        return result

    def _unit_failed(self, run, unit, error):
        """The order is recorded as a failure (amazon.order.failure), listed on
        the run's log; the next runs retry it. Recording it is a unit too: should
        even that fail, the run's log still says why."""
        reason = self._failure_reason(error)
        ref = order_ref(unit) or self.env["amazon.order.failure"]._amazon_unnamed_ref(unit)
        run.result.failed += 1
        _logger.info("Amazon order %s of account %s not imported: %s", ref, run.account.id, reason)
        try:
            with self.env.cr.savepoint():
                failure = self._record_failure(run, ref, reason, unit)
        except Exception:
            _logger.exception("Amazon order %s: the failure could not be recorded", ref)
            run.result.problems.append(f"{ref}: {reason}")
        else:
            run.result.problems.append((failure, reason))

    def _record_failure(self, run, ref, reason, payload):
        return self.env["amazon.order.failure"]._amazon_record(
            run.account, ref, reason, payload, self.unit_attempts
        )

    def _forget_failure(self, run, ref):
        if run.failure_refs is None:
            run.failure_refs = set(
                self.env["amazon.order.failure"]
                .search([("account_id", "=", run.account.id)])
                .mapped("amazon_order_ref")
            )
        if ref in run.failure_refs:
            self.env["amazon.order.failure"].search(
                [("account_id", "=", run.account.id), ("amazon_order_ref", "=", ref)]
            ).unlink()
            run.failure_refs.discard(ref)

    # --- products -------------------------------------------------------------------------------
    # --- creating ------------------------------------------------------------------------------
    def _fiscal_position(self, run, contact, delivery, marketplace):
        """Odoo's fiscal position for the delivery address (set on the customer,
        or applied automatically by country: destination VAT, OSS), else the
        one the company set on the marketplace."""
        return (
            self.env["account.fiscal.position"]._get_fiscal_position(contact, delivery)
            or marketplace.with_company(run.company).fiscal_position_id
        )

    def _prepare_order_values(self, run, order):
        """The values of the sale order of ``order``; finds or creates its
        customer and the offers of its SKUs on the way (their models'
        ``_amazon_*`` methods); its lines are sale.order.line's
        ``_prepare_amazon_lines``."""
        account = run.account
        marketplace = run.marketplaces[order.marketplace_ref]
        pricelist = self.env["product.pricelist"]._amazon_for_currency(
            run, order.currency, marketplace
        )
        contact, delivery = self.env["res.partner"]._amazon_customer(run, order)
        fiscal_position = self._fiscal_position(run, contact, delivery, marketplace)
        lines = self.env["sale.order.line"]._prepare_amazon_lines(
            run, order, fiscal_position, pricelist.currency_id, marketplace.tax_included
        )
        values = {
            "partner_id": contact.id,
            "partner_invoice_id": contact.id,
            "partner_shipping_id": delivery.id,
            "company_id": run.company.id,
            "pricelist_id": pricelist.id,
            "fiscal_position_id": fiscal_position.id,
            "team_id": account.team_id.id,
            # Never nobody: Odoo shows an order without salesperson to every
            # salesman, even those who see only their own documents.
            "user_id": (account.user_id or account.responsible_id).id,
            "date_order": order.purchase_date,
            "origin": order.ref,
            "client_order_ref": order.purchase_order_number or order.ref,
            "amazon_account_id": account.id,
            "amazon_order_ref": order.ref,
            "amazon_marketplace_id": marketplace.id,
            "amazon_channel": order.channel.lower(),
            "amazon_status": order.status,
            "amazon_last_updated": order.last_updated,
            "amazon_total": float(order.total) if order.total is not None else 0.0,
            "amazon_tax": float(order.tax_total),
            "amazon_marketplace_tax": float(order.marketplace_tax),
            **self.env["sale.order"]._prepare_amazon_window_values(order),
            # Personal data: a field readable by sales managers and the warehouse
            # only, erased with the buyer (not a note line every salesman reads).
            "amazon_gift_message": "\n\n".join(order.gift_messages) or False,
            "order_line": [(0, 0, line) for line in lines],
        }
        if order.channel == "FBM" and account.warehouse_id:
            values["warehouse_id"] = account.warehouse_id.id
        return values

    def _confirm(self, run, created):
        """Confirm ``created`` [(sale, order, payload)]; returns a True per order."""
        sales = self.env["sale.order"].union(*(sale for sale, _order, _payload in created))
        sales.action_confirm()
        fba = self.env["sale.order"]
        for sale, order, _payload in created:
            # Confirming stamps the order with today's date: Amazon's purchase date it is.
            sale.date_order = order.purchase_date
            if order.channel == "FBA":
                fba |= sale
            else:
                sale._amazon_record_shipped_items(order)
        if fba:
            fba._amazon_record_fba_moves()
        return [True] * len(created)

    def _update_order(self, run, sale, order):
        sale._amazon_update(order)
        run.result.updated += 1
        return True
