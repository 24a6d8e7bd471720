"""Orders in: Amazon orders into sale orders. The flow's home.

Entry points: the cron (``_cron_sync``), an account's sync (``_sync``, behind
the account's button) and the recovery of given orders (``_recover``). Each
run keeps its state (caches, counts, the adapter) in an ``OrderRun``, passed to
every step, so the steps are plain methods of this model: another addon
``_inherit``s it and overrides a ``_prepare_*`` hook (the sale order's values,
a line's, a contact's, a delivery address's, an FBA move's) or any step.

The pipeline, per page of searchOrders (up to 100 orders): parse (pure, in
``mapping``), skip what Odoo already has at that version, prefetch everything
the page needs in a few queries (orders, offers, products, partners,
pricelists), then create or update each order in its own savepoint so one bad
order never blocks the others: it is recorded as a failure with its payload
and retried by the next runs.

Progress is durable per page: the page's orders and the position in the
window (the pagination token) are committed together, so a crash loses at most
the page in progress and the next run resumes after the last committed page.
The account's ``last_orders_sync`` moves only when the whole window is done.
"""

import functools
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import float_round

from ..mapping import (
    SEARCHED_STATUSES,
    PayloadError,
    address_key,
    format_datetime,
    is_importable,
    missing_datasets,
    parse_order,
)
from ..spapi import (
    ORDER_INCLUDED_DATA,
    SpApiError,
    SpApiRateLimitWait,
    SpApiRequestError,
    SpApiResponseError,
)
from .amazon_flow import AmazonAccountBusy, lock_namespace

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
LOCK_NAMESPACE = lock_namespace("orders")  # the flow's per-account lock (amazon.flow)


class OrderImportError(Exception):
    """An order that cannot be imported as it is (recorded as a failure)."""


class IncompletePageError(SpApiResponseError):
    """Amazon's answer lacks datasets every order needs: the request, not the
    orders, is at fault, so the run stops before the page (nothing of it is
    written, the position stays at the last committed page) instead of turning
    the page into failed orders."""


@dataclass
class SyncResult:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    done: bool = True  # False when the window has more pages left for a next run
    locked: bool = False  # True when another run held the account
    # Seconds Amazon's rate limit asks before the next page, when the run ended
    # there rather than wait (a cron's turn).
    waiting: float = 0.0
    # (failed order record, reason) of the run, listed on its sync log.
    problems: list = field(default_factory=list)

    def as_dict(self):
        return {
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
        }


class OrderRun:
    """The state of one run for one account: what the steps share."""

    def __init__(self, account, adapter):
        company = account.company_id
        # The import is the system's work, whoever started it (checked before);
        # in the account's company, without chatter noise on every record.
        self.account = (
            account.sudo()
            .with_company(company)
            .with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        )
        self.env = self.account.env
        self.company = company
        self.adapter = adapter
        self.result = SyncResult()
        self.partners = {}  # key -> partner (see _customer)
        self.pricelists = {}  # currency name -> pricelist
        self.states = {}  # (country id, code) -> res.country.state
        self.offers = {}  # of the page: sku -> amazon.offer (see _prefetch)
        self.listings = {}  # of the page: (sku, marketplace id) -> amazon.listing
        self.products_by_code = {}
        self.failure_refs = None  # the account's failed orders, read when first needed
        self.deadline = None  # time.monotonic() after which no page is begun
        marketplaces = self.env["amazon.marketplace"].with_context(active_test=False).search([])
        self.marketplaces = {m.api_ref: m for m in marketplaces}
        self.countries = {c.code: c for c in self.env["res.country"].search([])}


class AmazonOrderImport(models.AbstractModel):
    _name = "amazon.order.import"
    _inherit = "amazon.flow"
    _description = "Amazon Orders In"

    page_size = 100  # searchOrders' maximum
    # The datasets asked on every page (an addon needing PAYMENT, say, extends it).
    included_data = ORDER_INCLUDED_DATA

    # --- entry points ---------------------------------------------------------------------
    @api.model
    def _cron_sync(self, pages_per_account=10):
        """All active linked accounts in turns (see ``_cron_turns``), a bounded
        number of pages each: when an account has more, the cron reports the
        work left and runs again soon. An account whose next page Amazon's rate
        limit holds back is not work left now: the next run goes on."""
        accounts = self._cron_accounts()

        def turn(account):
            result = self._sync(
                account,
                max_pages=pages_per_account,
                max_seconds=self.cron_turn_seconds,
                max_throttle_wait=self.cron_max_throttle_wait,
            )
            return not (result.done or result.locked or result.waiting)

        self._cron_turns("orders", accounts, turn)
        return True

    @api.model
    def _cron_accounts(self):
        """The accounts the cron synchronizes: linked, with marketplaces."""
        return self.env["amazon.account"].search(
            [("link_date", "!=", False), ("marketplace_ids", "!=", False)]
        )

    @api.model
    def _sync(self, account, max_pages=None, max_seconds=None, **adapter_options):
        """Import the account's new and changed orders; logged on the account.
        At most ``max_pages`` pages, and no page begun after ``max_seconds``:
        the next run resumes there."""

        def work(adapter):
            run = OrderRun(account, adapter)
            if max_seconds is not None:
                run.deadline = time.monotonic() + max_seconds
            result = self.with_env(run.env)._run_window(run, max_pages=max_pages)
            return result, dict(result.as_dict(), problems=result.problems)

        return self._run_logged(account, "orders", work, **adapter_options)

    @api.model
    def _action_sync(self, account):
        """The account's Sync Orders button (access checked by the account)."""
        title = _("Order synchronization")
        try:
            result = self._sync(account)
        except SpApiError as error:
            return self._notify(title, account._explain(error), "danger")
        if result.locked:
            message = _("Another synchronization of this account is running: try again later.")
            return self._notify(title, message, "warning")
        message = _(
            "%(fetched)s fetched, %(created)s created, %(updated)s updated, "
            "%(skipped)s skipped, %(failed)s failed.",
            **result.as_dict(),
        )
        if result.waiting:
            message = " ".join(
                [
                    message,
                    _(
                        "Amazon's rate limit holds the next page for %(seconds)s seconds: "
                        "the scheduled synchronization goes on from there by itself.",
                        seconds=round(result.waiting),
                    ),
                ]
            )
        return self._notify(
            title, message, "warning" if result.failed or result.waiting else "success"
        )

    @api.model
    def _recover(self, account, order_refs):
        """Fetch these orders now and import or refresh them, whatever their age."""
        account.ensure_one()
        adapter = account._get_adapter()
        run = OrderRun(account, adapter)
        flow = self.with_env(run.env)
        if not flow._lock_account(run.account, "orders"):
            adapter.close()
            raise AmazonAccountBusy(
                _("A synchronization of this account is running: try again soon.")
            )
        try:
            payloads = [adapter.get_order(ref.strip()) for ref in order_refs if ref.strip()]
            flow._process_page(run, payloads)
        finally:
            flow._unlock_account(run.account, "orders")
            adapter.close()
        return run.result

    # --- the run --------------------------------------------------------------------------
    # --- the window -------------------------------------------------------------------------
    def _window(self, run):
        """(start, end, pagination token): the window in progress, else a new one."""
        account = run.account
        if account.orders_window_end:
            return account.orders_window_start, account.orders_window_end, account.orders_page_token
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
        return start, end, False

    def _run_window(self, run, max_pages=None):
        """Synchronize the account's window of orders; at most ``max_pages`` pages
        (the rest is left for the next run, which resumes there)."""
        if not self._lock_account(run.account, "orders"):
            _logger.info("Amazon account %s: another sync is running, skipped", run.account.id)
            run.result.locked = True
            return run.result
        try:
            self._retry_failures(run)
            start, end, token = self._window(run)
            marketplace_refs = run.account.marketplace_ids.mapped("api_ref")
            if not marketplace_refs:
                self._close_window(run, end)
                return run.result
            try:
                self._run_pages(run, start, end, token, marketplace_refs, max_pages)
            except SpApiRequestError:
                if not token:
                    raise
                # Amazon no longer knows the saved token: redo the window, which
                # costs API calls but neither duplicates nor gaps.
                _logger.info(
                    "Amazon account %s: pagination token refused, restarting window",
                    run.account.id,
                )
                run.account.orders_page_token = False
                self._run_pages(run, start, end, False, marketplace_refs, max_pages)
        finally:
            self._unlock_account(run.account, "orders")
        return run.result

    def _run_pages(self, run, start, end, token, marketplace_refs, max_pages):
        pages = run.adapter.iter_order_pages(
            marketplace_ids=marketplace_refs,
            last_updated_after=format_datetime(start),
            last_updated_before=format_datetime(end),
            fulfillment_statuses=list(SEARCHED_STATUSES),
            pagination_token=token or None,
            page_size=self.page_size,
            included_data=self.included_data,
        )
        try:
            for page in pages:
                with self.env.cr.savepoint():
                    self._process_page(run, page.orders)
                    run.account.orders_page_token = page.next_token or False
                self._commit()
                run.result.pages += 1
                if page.next_token and (
                    (max_pages and run.result.pages >= max_pages)
                    or (run.deadline and time.monotonic() >= run.deadline)
                ):
                    run.result.done = False
                    return
        except SpApiRateLimitWait as wait:
            # Nothing was asked: the saved page token resumes the window later.
            run.result.done = False
            run.result.waiting = wait.retry_after
            return
        self._close_window(run, end)

    def _close_window(self, run, end):
        run.account.write(
            {
                "last_orders_sync": end,
                "orders_window_start": False,
                "orders_window_end": False,
                "orders_page_token": False,
            }
        )
        self._commit()

    def _retry_failures(self, run):
        """Orders that failed before are tried again from their payload."""
        failures = self.env["amazon.order.failure"].search(
            [("account_id", "=", run.account.id)], limit=100
        )
        # A payload kept without a needed dataset (an answer to an incomplete
        # request), or erased with the buyer's data, is useless to retry: the order
        # is fetched anew, a few per run.
        payloads, stale = [], []
        for failure in failures:
            try:
                payload = json.loads(failure.payload or "null")
            except ValueError:
                payload = None
            if isinstance(payload, dict) and not missing_datasets(payload):
                payloads.append(payload)
            elif failure.amazon_order_ref != "?":  # "?": Amazon sent no order id
                stale.append(failure.amazon_order_ref)
        for ref in stale[:REFETCHED_FAILURES]:
            try:
                payloads.append(run.adapter.get_order(ref))
            except SpApiRequestError as error:  # not found, or refused: stays listed
                _logger.info("Amazon order %s could not be fetched again: %s", ref, error)
        if payloads:
            with self.env.cr.savepoint():
                self._process_page(run, payloads, retry=True)
            self._commit()

    # --- one page -------------------------------------------------------------------------------
    def _currency_of(self, run, marketplace_ref):
        marketplace = run.marketplaces.get(marketplace_ref)
        return marketplace.currency_id.name if marketplace else None

    def _process_page(self, run, payloads, retry=False):
        """Create or update the orders of ``payloads`` (Amazon order dicts)."""
        self._check_complete(payloads)
        if not retry:
            run.result.fetched += len(payloads)
        # Orders already in Odoo are known before any payload is parsed: a payload
        # Odoo cannot read never turns an imported order into a "failed" one.
        refs = [p["orderId"] for p in payloads if isinstance(p, dict) and p.get("orderId")]
        existing = {
            order.amazon_order_ref: order
            for order in self.env["sale.order"].search(
                [("amazon_account_id", "=", run.account.id), ("amazon_order_ref", "in", refs)]
            )
        }
        parsed = []
        for payload in payloads:
            try:
                parsed.append(
                    (parse_order(payload, functools.partial(self._currency_of, run)), payload)
                )
            except PayloadError as error:
                ref = (payload.get("orderId") if isinstance(payload, dict) else None) or "?"
                if ref in existing:
                    run.result.skipped += 1
                    _logger.warning(
                        "Amazon order %s of account %s: update not applied, %s",
                        ref,
                        run.account.id,
                        error,
                    )
                    continue
                self._record_failure(run, ref, str(error), payload)
        to_create = []
        for order, payload in parsed:
            record = existing.get(order.ref)
            if record:
                if record.amazon_last_updated and order.last_updated <= record.amazon_last_updated:
                    run.result.skipped += 1  # nothing new since the last import
                    self._forget_failure(run, order.ref)
                    continue
                self._in_savepoint(run, order, payload, self._update_order, record, order)
            elif is_importable(order):
                to_create.append((order, payload))
            else:
                run.result.skipped += 1  # pending, or shipped/cancelled before import
                self._forget_failure(run, order.ref)
        if to_create:
            self._prefetch(run, [order for order, _payload in to_create])
            prepared = []
            for order, payload in to_create:
                values = self._in_savepoint(
                    run, order, payload, self._prepare_order_values, order, forget=False
                )
                if values:
                    prepared.append((values, order, payload))
            self._confirm_page(run, self._create_page(run, prepared))

    @staticmethod
    def _check_complete(payloads):
        incomplete = {}
        for payload in payloads:
            for dataset in missing_datasets(payload):
                ref = payload.get("orderId") if isinstance(payload, dict) else None
                incomplete.setdefault(dataset, []).append(ref or "?")
        if incomplete:
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
        inserts); should the batch fail, each order is created alone so that only
        the bad ones are recorded as failures. Returns [(sale, order, payload)]."""
        if not prepared:
            return []
        SaleOrder = self.env["sale.order"]
        try:
            with self.env.cr.savepoint():
                sales = SaleOrder.create([values for values, _order, _payload in prepared])
            created = [
                (sale, order, payload)
                for sale, (_values, order, payload) in zip(sales, prepared, strict=True)
            ]
        except (OrderImportError, PayloadError, UserError):
            created = []
            for values, order, payload in prepared:
                sale = self._in_savepoint(
                    run, order, payload, self._create_one, values, forget=False
                )
                if sale:
                    created.append((sale, order, payload))
        for _sale, order, _payload in created:
            self._forget_failure(run, order.ref)
        run.result.created += len(created)
        self._log_origin(run, created)
        return created

    def _log_origin(self, run, created):
        """Each new order's chatter says where it came from and when, in one
        create for the page (message_post per order would cost a few queries
        each). ``self.env._``: plain ``_`` finds no language inside a
        comprehension and logs a warning per call."""
        note = self.env.ref("mail.mt_note").id
        imported = fields.Datetime.now()
        self.env["mail.message"].create(
            [
                {
                    "model": "sale.order",
                    "res_id": sale.id,
                    "record_name": sale.name,
                    "message_type": "notification",
                    "subtype_id": note,
                    "body": Markup("<p>%s</p>")
                    % self.env._(
                        "Imported from %(marketplace)s (account %(account)s) on %(imported)s "
                        "UTC: Amazon order %(ref)s, placed on %(placed)s UTC, %(channel)s.",
                        marketplace=sale.amazon_marketplace_id.name,
                        account=run.account.name,
                        imported=fields.Datetime.to_string(imported),
                        ref=order.ref,
                        placed=fields.Datetime.to_string(order.purchase_date),
                        channel=order.channel,
                    ),
                }
                for sale, order, _payload in created
            ]
        )

    def _create_one(self, run, values):
        return self.env["sale.order"].create(values)

    def _confirm_page(self, run, created):
        """Confirm the page's new orders in one go (Odoo's confirmation is most of
        an import's cost, and much cheaper per order in batches). Should the batch
        fail, each order is confirmed alone: the ones that fail are recorded and
        removed, the others go on."""
        if not created:
            return
        try:
            with self.env.cr.savepoint():
                self._confirm(run, created)
        except (OrderImportError, PayloadError, UserError):
            for sale, order, payload in created:
                try:
                    with self.env.cr.savepoint():
                        self._confirm(run, [(sale, order, payload)])
                except (OrderImportError, PayloadError, UserError) as error:
                    sale.unlink()
                    run.result.created -= 1
                    self._record_failure(run, order.ref, str(error), payload)

    def _in_savepoint(self, run, order, payload, method, *args, forget=True):
        """``method(run, *args)`` in a savepoint; an error is recorded as the order's
        failure. ``forget``: a success also clears the order's earlier failure."""
        # Partners and offers created in a savepoint that is rolled back must
        # leave the run's caches too, or the next order would point at them.
        cached = (set(run.partners), set(run.offers), set(run.listings))
        try:
            with self.env.cr.savepoint():
                result = method(run, *args)
        except (OrderImportError, PayloadError, UserError) as error:
            caches = (run.partners, run.offers, run.listings)
            for cache, keys in zip(caches, cached, strict=True):
                for key in set(cache) - keys:
                    del cache[key]
            self._record_failure(run, order.ref, str(error), payload)
            return None
        if forget:
            self._forget_failure(run, order.ref)
        return result

    def _record_failure(self, run, ref, reason, payload):
        run.result.failed += 1
        _logger.info("Amazon order %s of account %s not imported: %s", ref, run.account.id, reason)
        failure = self.env["amazon.order.failure"].search(
            [("account_id", "=", run.account.id), ("amazon_order_ref", "=", ref)]
        )
        values = {
            "reason": reason,
            "payload": json.dumps(payload, indent=1, sort_keys=True),
            "last_failure": fields.Datetime.now(),
        }
        if failure:
            failure.write({**values, "attempts": failure.attempts + 1})
        else:
            failure = self.env["amazon.order.failure"].create(
                {**values, "account_id": run.account.id, "amazon_order_ref": ref}
            )
        run.result.problems.append((failure, reason))

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

    # --- prefetching ----------------------------------------------------------------------------
    def _prefetch(self, run, orders):
        """Everything the page's new orders need, in a handful of queries."""
        skus = {item.sku for order in orders for item in order.items if item.sku}
        offers = self.env["amazon.offer"].search(
            [("account_id", "=", run.account.id), ("sku", "in", list(skus))]
        )
        run.offers = {offer.sku: offer for offer in offers}
        run.listings = {
            (listing.offer_id.sku, listing.marketplace_id.id): listing
            for listing in offers.listing_ids
        }
        codes = (skus - set(run.offers)) | {
            code for order in orders for code in (order.service_level, order.giftwrap_level) if code
        }
        products = self.env["product.product"].search(
            [
                ("default_code", "in", list(codes)),
                ("company_id", "in", [run.company.id, False]),
            ]
        )
        run.products_by_code = {}
        for product in products:
            run.products_by_code.setdefault(product.default_code, product)
        emails = {order.buyer_email for order in orders if order.buyer_email}
        contacts = (
            # The import runs as the system: only contacts the order's company may
            # use (its own and shared ones), never another company's customer.
            self.env["res.partner"].search(
                [
                    ("email", "in", list(emails)),
                    ("parent_id", "=", False),
                    ("type", "=", "contact"),
                    ("company_id", "in", [run.company.id, False]),
                ]
            )
            if emails
            else self.env["res.partner"]
        )
        for contact in contacts:
            run.partners.setdefault(("contact", contact.email), contact)
        # The delivery addresses the page may reuse, in one query: all those of the
        # buyers found, and, since buyers without personal data (FBA) all share one
        # customer whose addresses pile up, only those of it in the page's postal codes.
        anonymous_zips = {
            order.address.zip or False
            for order in orders
            if not order.buyer_email and order.address
        }
        parents = [("parent_id", "in", contacts.ids)]
        if anonymous_zips:
            anonymous = [
                ("parent_id", "=", self._anonymous_customer(run).id),
                ("zip", "in", list(anonymous_zips)),
            ]
            parents = expression.OR([parents, anonymous])
        if contacts or anonymous_zips:
            for delivery in self.env["res.partner"].search(
                expression.AND([[("type", "=", "delivery")], parents])
            ):
                key = ("delivery", delivery.parent_id.id, self._partner_address_key(run, delivery))
                run.partners.setdefault(key, delivery)

    # --- customers --------------------------------------------------------------------------------
    def _partner_address_key(self, run, partner):
        return address_key(
            partner.name,
            partner.street,
            partner.street2,
            partner.city,
            partner.zip,
            partner.country_id.code,
        )

    def _prepare_address_values(self, run, address):
        country = run.countries.get(address.country_code)
        values = {
            "street": address.street or False,
            "street2": address.street2 or False,
            "city": address.city or False,
            "zip": address.zip or False,
            "country_id": country.id if country else False,
            "phone": address.phone or False,
        }
        if country and address.state_code:
            values["state_id"] = self._state(run, country, address.state_code).id or False
        return values

    def _state(self, run, country, code):
        """The state of ``code`` (Amazon sends a code or a name), looked up once
        per run: buyers of one region share a handful of states."""
        key = (country.id, code.strip().lower())
        if key not in run.states:
            run.states[key] = self.env["res.country.state"].search(
                [
                    ("country_id", "=", country.id),
                    "|",
                    ("code", "=ilike", code.strip()),
                    ("name", "=ilike", code.strip()),
                ],
                limit=1,
            )
        return run.states[key]

    def _anonymous_customer(self, run):
        key = ("anonymous",)
        if key not in run.partners:
            partner = self.env["res.partner"].search(
                [("ref", "=", "AMAZON-CUSTOMER"), ("company_id", "in", [run.company.id, False])],
                limit=1,
            ) or self.env["res.partner"].create(
                {
                    "name": _("Amazon Customer"),
                    "ref": "AMAZON-CUSTOMER",
                    "company_id": run.company.id,
                }
            )
            run.partners[key] = partner
        return run.partners[key]

    def _customer(self, run, order):
        """(contact, delivery address) of the order, found again or created."""
        address = order.address
        if order.buyer_email:
            key = ("contact", order.buyer_email)
            contact = run.partners.get(key)
            if contact is None:
                contact = self.env["res.partner"].create(self._prepare_contact_values(run, order))
                run.partners[key] = contact
            if order.vat and not contact.vat:
                contact.vat = order.vat
        else:
            contact = self._anonymous_customer(run)
        if not address:
            return contact, contact
        delivery_name = address.name or (
            contact.name if order.buyer_email else _("Amazon Customer")
        )
        key = (
            "delivery",
            contact.id,
            address_key(
                delivery_name,
                address.street,
                address.street2,
                address.city,
                address.zip,
                address.country_code,
            ),
        )
        delivery = run.partners.get(key)
        if delivery is None:
            delivery = self.env["res.partner"].create(
                self._prepare_delivery_values(run, order, contact, delivery_name)
            )
        run.partners[key] = delivery
        return contact, delivery

    def _prepare_contact_values(self, run, order):
        """A new buyer's contact (orders with the buyer's email only)."""
        address = order.address
        name = order.buyer_company or order.buyer_name or (address and address.name)
        values = {
            "name": name or order.buyer_email,
            "email": order.buyer_email,
            "is_company": bool(order.buyer_company),
            "company_id": run.company.id,
            "lang": False,
            "amazon_buyer": True,
        }
        if address:
            values.update(self._prepare_address_values(run, address))
            # The phone is for the carrier: on the delivery address only, never
            # on the contact (Amazon forbids contacting buyers outside Amazon).
            values.pop("phone", None)
        return values

    def _prepare_delivery_values(self, run, order, contact, name):
        """A new delivery address of ``contact``."""
        return {
            "name": name,
            "parent_id": contact.id,
            "type": "delivery",
            "company_id": run.company.id,
            "amazon_buyer": True,
            **self._prepare_address_values(run, order.address),
        }

    # --- products -------------------------------------------------------------------------------
    def _product_for(self, run, item, order):
        """(product, offer): the offer's product, else the product whose internal
        reference is the SKU (remembered as an offer), else the default product
        (an offer flagged for review)."""
        offer = run.offers.get(item.sku)
        if not offer:
            product = run.products_by_code.get(item.sku)
            needs_review = not product
            if not product:
                product = run.company._amazon_get_default_product("sale")
            offer = self.env["amazon.offer"].create(
                {
                    "account_id": run.account.id,
                    "sku": item.sku,
                    "product_id": product.id,
                    "needs_review": needs_review,
                }
            )
            run.offers[item.sku] = offer
        self._listing_for(run, offer, order)
        return offer.product_id, offer

    def _listing_for(self, run, offer, order):
        """The offer's listing in the order's marketplace, made when the SKU
        first sells there. An FBA order proves Amazon ships the SKU from its
        stock in that marketplace: that listing stops being pushed as FBM, the
        SKU's listings elsewhere keep their channel."""
        marketplace = run.marketplaces[order.marketplace_ref]
        listing = run.listings.get((offer.sku, marketplace.id))
        if not listing:
            listing = self.env["amazon.listing"].create(
                self._prepare_listing_values(run, offer, order, marketplace)
            )
            run.listings[offer.sku, marketplace.id] = listing
        elif order.channel == "FBA" and listing.channel == "fbm":
            listing.channel = "fba"
        return listing

    def _prepare_listing_values(self, run, offer, order, marketplace):
        return {
            "offer_id": offer.id,
            "marketplace_id": marketplace.id,
            "channel": "fba" if order.channel == "FBA" else "fbm",
        }

    def _pricelist(self, run, currency_name, marketplace):
        if currency_name not in run.pricelists:
            run.pricelists[currency_name] = self.env["product.pricelist"].search(
                [
                    ("currency_id.name", "=", currency_name),
                    ("company_id", "in", [run.company.id, False]),
                ],
                limit=1,
            )
        pricelist = run.pricelists[currency_name]
        if not pricelist:
            raise OrderImportError(
                _(
                    "No pricelist in %(currency)s for the orders of %(marketplace)s: create "
                    "one (Sales > Products > Pricelists), the order is retried at the next "
                    "sync.",
                    currency=currency_name,
                    marketplace=marketplace.name,
                )
            )
        return pricelist

    # --- creating ------------------------------------------------------------------------------
    def _unit_price(self, run, gross, quantity, taxes, tax_included_site, currency):
        """The line's unit price. On tax-included marketplaces Amazon's prices
        contain the VAT: kept as they are for price-included taxes, converted to
        net for price-excluded ones. On tax-excluded sites the price is net."""
        unit = Decimal(gross) / quantity
        if tax_included_site and taxes and not all(taxes.mapped("price_include")):
            total = taxes.compute_all(100.0, currency=currency, quantity=1.0)
            unit = unit * Decimal(100) / Decimal(str(total["total_included"]))
        digits = self.env["decimal.precision"].precision_get("Product Price")
        return float_round(float(unit), precision_digits=max(digits, 2))

    def _fiscal_position(self, run, contact, delivery, marketplace):
        """Odoo's fiscal position for the delivery address (set on the customer,
        or applied automatically by country: destination VAT, OSS), else the
        one the company set on the marketplace."""
        return (
            self.env["account.fiscal.position"]._get_fiscal_position(contact, delivery)
            or marketplace.with_company(run.company).fiscal_position_id
        )

    def _taxes(self, run, product, fiscal_position):
        taxes = product.taxes_id.filtered(lambda t: t.company_id in run.company.parent_ids)
        return fiscal_position.map_tax(taxes)

    def _prepare_order_values(self, run, order):
        """The values of the sale order of ``order``; finds or creates its
        customer and the offers of its SKUs on the way."""
        account = run.account
        marketplace = run.marketplaces[order.marketplace_ref]
        pricelist = self._pricelist(run, order.currency, marketplace)
        contact, delivery = self._customer(run, order)
        fiscal_position = self._fiscal_position(run, contact, delivery, marketplace)
        currency = pricelist.currency_id
        tax_included = marketplace.tax_included
        no_tax = self.env["account.tax"]
        lines = []
        for item in order.items:
            product, offer = self._product_for(run, item, order)
            # Tax Amazon collects and remits as marketplace facilitator is not
            # the seller's: no tax of the seller's on the item.
            taxes = (
                no_tax if item.tax_by_marketplace else self._taxes(run, product, fiscal_position)
            )
            lines.append(
                self._prepare_order_line_values(
                    run, item, product, offer, taxes, tax_included, currency
                )
            )
            if item.promotion_discount:
                lines.append(
                    self._prepare_service_line(
                        run,
                        run.company._amazon_get_default_product("promotion"),
                        -item.promotion_discount,
                        fiscal_position,
                        tax_included,
                        currency,
                        name=_(
                            "Promotion %(ids)s on %(sku)s",
                            ids=", ".join(item.promotion_ids),
                            sku=item.sku,
                        ),
                        taxes=taxes,
                    )
                )
        services = []  # (kind, amount, Amazon's level, line name)
        if order.shipping_total or order.service_level:
            level = order.service_level
            name = _("Shipping (%(level)s)", level=level or _("standard"))
            services.append(("shipping", order.shipping_total, level, name))
        if order.giftwrap_total:
            level = order.giftwrap_level
            name = _("Gift wrapping (%(level)s)", level=level or "-")
            services.append(("giftwrap", order.giftwrap_total, level, name))
        for kind, amount, level, name in services:
            # The product whose internal reference is Amazon's level, else the default.
            product = run.products_by_code.get(level) or (
                run.company._amazon_get_default_product(kind)
            )
            lines.append(
                self._prepare_service_line(
                    run,
                    product,
                    amount,
                    fiscal_position,
                    tax_included,
                    currency,
                    name=name,
                    taxes=no_tax if order.taxed_by_marketplace else None,
                )
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
            **self._prepare_window_values(order),
            # Personal data: a field readable by sales managers and the warehouse
            # only, erased with the buyer (not a note line every salesman reads).
            "amazon_gift_message": "\n\n".join(order.gift_messages) or False,
            "order_line": [(0, 0, line) for line in lines],
        }
        if order.channel == "FBM" and account.warehouse_id:
            values["warehouse_id"] = account.warehouse_id.id
        return values

    def _prepare_window_values(self, order):
        """Amazon's ship-by and deliver-by windows and programs (also refreshed
        when Amazon changes them)."""
        return {
            "amazon_ship_by_earliest": order.ship_by_earliest or False,
            "amazon_ship_by_date": order.ship_by_latest or False,
            "amazon_deliver_by_earliest": order.deliver_by_earliest or False,
            "amazon_deliver_by_date": order.deliver_by_latest or False,
            "amazon_programs": ", ".join(order.programs) or False,
        }

    def _prepare_order_line_values(self, run, item, product, offer, taxes, tax_included, currency):
        """The sale order line of an Amazon order item."""
        line = {
            "product_id": product.id,
            "product_uom_qty": item.quantity,
            "price_unit": self._unit_price(
                run, item.item_total, item.quantity, taxes, tax_included, currency
            ),
            "tax_id": [(6, 0, taxes.ids)],
            "amazon_item_ref": item.item_ref,
            "amazon_offer_id": offer.id,
        }
        if offer.needs_review and item.title:  # the default product: Amazon's title says what
            line["name"] = f"[{item.sku}] {item.title}"
        return line

    def _prepare_service_line(
        self, run, product, amount, fiscal_position, tax_included, currency, name, taxes=None
    ):
        """A line of a service Amazon charged: shipping, gift wrap, a promotion."""
        if taxes is None:
            taxes = self._taxes(run, product, fiscal_position)
        return {
            "product_id": product.id,
            "name": name,
            "product_uom_qty": 1,
            "price_unit": self._unit_price(run, amount, 1, taxes, tax_included, currency),
            "tax_id": [(6, 0, taxes.ids)],
        }

    def _confirm(self, run, created):
        sales = self.env["sale.order"].union(*(sale for sale, _order, _payload in created))
        sales.action_confirm()
        fba = self.env["sale.order"]
        for sale, order, _payload in created:
            # Confirming stamps the order with today's date: Amazon's purchase date it is.
            sale.date_order = order.purchase_date
            if order.channel == "FBA":
                fba |= sale
            else:
                self._record_shipped_elsewhere(run, sale, order)
        if fba:
            self._record_fba_moves(run, fba)

    def _record_shipped_elsewhere(self, run, sale, order):
        """What Amazon already counts as shipped of an FBM order (a partly
        shipped order, or one shipped in Seller Central since) is not on its
        delivery: the order records it delivered (sale.order)."""
        shipped = {item.item_ref: item.quantity_shipped for item in order.items}
        if any(shipped.values()):
            sale._amazon_record_shipped_elsewhere(shipped)

    def _record_fba_moves(self, run, sales):
        """Amazon shipped from its stock: one done move per item, from the
        account's Amazon location to the customer (all orders of a page at once).

        Lot- and serial-tracked products take the lots Odoo holds at the Amazon
        location, through Odoo's reservation (the product's removal strategy:
        first in, first out unless its category says otherwise). Where none is
        there, the move waits on a delivery for a person to say which lot
        Amazon shipped: never a made-up lot."""
        source = run.account.location_id or run.company._amazon_get_fba_location()
        lines = sales.order_line.filtered(
            lambda line: line.product_id.type == "consu" and line.product_uom_qty > 0
        )
        if not lines:
            return
        moves = self.env["stock.move"].create(
            [self._prepare_fba_move_values(run, line, source) for line in lines]
        )
        moves._action_confirm()
        tracked = moves.filtered(lambda move: move.has_tracking != "none")
        for move in moves - tracked:
            move.quantity = move.product_uom_qty
        tracked._action_assign()
        waiting = tracked.filtered(
            lambda move: move.state != "assigned" or not all(move.move_line_ids.lot_id)
        )
        done = moves - waiting
        done.picked = True
        done._action_done()
        if waiting:
            self._await_lots(run, waiting, source)

    def _await_lots(self, run, moves, source):
        """Moves of tracked products Amazon shipped without a lot Odoo knows
        of: a delivery per order from the Amazon location, for a person to
        enter the lot and validate, with an activity on the order saying so."""
        picking_type = self._fba_picking_type(run)
        for sale in moves.sale_line_id.order_id:
            order_moves = moves.filtered(lambda move, sale=sale: move.sale_line_id.order_id == sale)
            if not sale.procurement_group_id:
                sale.procurement_group_id = self.env["procurement.group"].create(
                    order_moves.sale_line_id[:1]._prepare_procurement_group_vals()
                )
            picking = self.env["stock.picking"].create(
                self._prepare_lot_picking_values(run, sale, picking_type, source)
            )
            order_moves.write(
                {
                    "picking_id": picking.id,
                    "picking_type_id": picking_type.id,
                    "group_id": sale.procurement_group_id.id,
                }
            )
            products = ", ".join(order_moves.product_id.mapped("display_name"))
            note = _(
                "Amazon shipped this order from its stock (FBA), but Odoo's location "
                "%(location)s holds no lot or serial number of %(products)s to take. "
                "Enter the lot or serial number Amazon shipped on %(picking)s and "
                "validate it. Sending tracked products to Amazon with their lots "
                "(a Send to Amazon transfer) lets the next orders take them by themselves.",
                location=source.display_name,
                products=products,
                picking=picking.name,
            )
            sale.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=_("Lot or serial number for FBA order %(ref)s", ref=sale.amazon_order_ref),
                note=note,
                user_id=(run.account.responsible_id or self.env.user).id,
            )

    def _fba_picking_type(self, run):
        warehouse = run.account.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", run.company.id)], limit=1
        )
        return warehouse.out_type_id

    def _prepare_lot_picking_values(self, run, sale, picking_type, source):
        """The delivery of an FBA order awaiting the lots Amazon shipped."""
        return {
            "picking_type_id": picking_type.id,
            "location_id": source.id,
            "location_dest_id": sale.partner_shipping_id.property_stock_customer.id,
            "partner_id": sale.partner_shipping_id.id,
            "origin": sale.name,
            "group_id": sale.procurement_group_id.id,
            "company_id": run.company.id,
        }

    def _prepare_fba_move_values(self, run, line, source):
        """The done move of an FBA order line, from Amazon's location."""
        return {
            "name": f"{line.order_id.name}: {line.product_id.display_name}",
            "location_dest_id": line.order_id.partner_shipping_id.property_stock_customer.id,
            "product_id": line.product_id.id,
            "product_uom": line.product_uom.id,
            "product_uom_qty": line.product_uom_qty,
            "location_id": source.id,
            "partner_id": line.order_id.partner_shipping_id.id,
            "sale_line_id": line.id,
            "company_id": run.company.id,
            "origin": line.order_id.name,
        }

    # --- updating -------------------------------------------------------------------------------
    def _update_order(self, run, sale, order):
        values = {"amazon_status": order.status, "amazon_last_updated": order.last_updated}
        windows = self._prepare_window_values(order)
        values.update({name: value for name, value in windows.items() if sale[name] != value})
        if order.status == "CANCELLED" and sale.amazon_status != "CANCELLED":
            sale._amazon_cancel()
        elif order.channel != "FBA" and sale.state == "sale":
            self._record_shipped_elsewhere(run, sale, order)
        sale.write(values)
        run.result.updated += 1
