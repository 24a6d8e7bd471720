"""Invoices of Amazon orders: posted by the account's policy, never emailed.
The flow's home.

Entry point: the cron (``_cron_invoice``), in batches. An account invoices
its merchant-fulfilled orders once their deliveries are validated
(``invoice_fbm``) and its FBA orders once Amazon has shipped them
(``invoice_fba``); with both off, invoicing is manual, as in Odoo.

Each order is invoiced and posted in its own savepoint and committed: one
that cannot be invoiced says why on the order (a note and an activity, once)
and the batch goes on; the next run tries it again.

Invoices go in the marketplace's journal, else the account's, else Odoo's
default sales journal; in the order's currency (its pricelist's), to the
buyer's invoice address with the VAT number a business buyer gave Amazon.
Amazon's buyers never get mail from Odoo (their addresses are Amazon's relays,
and Amazon forbids contacting them outside its messaging): they never follow
their invoices, and sending one is refused (``account_move.py``).
"""

import functools
import logging

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.osv import expression

_logger = logging.getLogger(__name__)


class AmazonInvoicing(models.AbstractModel):
    _name = "amazon.invoicing"
    _inherit = "amazon.flow"
    _description = "Amazon Invoicing"
    _flow_kind = "invoices"

    @api.model
    def _cron_invoice(self, limit=200):
        """The invoicing accounts in turns (``amazon.flow._cron_turns``), up to
        ``limit`` invoices each: an account with more due has work left, and
        the cron runs again soon."""
        return self._cron_run(limit=limit)

    @api.model
    def _cron_accounts(self):
        return self.env["amazon.account"].search(
            ["|", ("invoice_fbm", "=", True), ("invoice_fba", "=", True)]
        )

    @api.model
    def _cron_turn(self, account, max_pages=None, limit=200):
        counts = self._invoice(account, limit=limit)
        return bool(counts) and counts["fetched"] >= limit

    @api.model
    def _invoice(self, account, limit=200):
        """Invoice up to ``limit`` of the account's orders due by its policy;
        logged. Returns the counts (None when another run holds the account)."""
        work = functools.partial(self._invoice_work, account, limit)
        return self._run_logged(account, self._flow_kind, work)

    def _invoice_work(self, account, limit, _adapter):
        run_account = account.sudo().with_company(account.company_id)
        counts = self.with_env(run_account.env)._run_invoice(run_account, limit)
        return counts, counts or {}

    # --- lock -> select -> invoice -> log -------------------------------------------------
    def _run_invoice(self, account, limit):
        if not self._lock_account(account, self._flow_kind):
            return None
        try:
            counts = {"fetched": 0, "created": 0, "failed": 0}
            orders = self._due_orders(account, limit)
            counts["fetched"] = len(orders)
            for sale in orders:
                try:
                    with self.env.cr.savepoint():
                        self._invoice_order(account, sale)
                except UserError as error:
                    counts["failed"] += 1
                    reason = self._note_failure(account, sale, error)
                    counts.setdefault("problems", []).append((sale, reason))
                else:
                    counts["created"] += 1
                # Each invoice kept as soon as it is posted: a run that stops
                # halfway never invoices an order twice (it is no longer due).
                self._commit()
            # Refunds that waited for these invoices (amazon_refund.py).
            self.env["amazon.refund"]._book_refunds(account, counts)
            return counts
        finally:
            self._unlock_account(account, self._flow_kind)

    def _due_domain(self, account):
        """Orders of the account Odoo has left to invoice, by channel."""
        channels = []
        if account.invoice_fbm:
            channels.append([("amazon_channel", "=", "fbm"), ("picking_ids.state", "=", "done")])
        if account.invoice_fba:
            channels.append([("amazon_channel", "=", "fba"), ("amazon_status", "=", "SHIPPED")])
        if not channels:
            return None
        return [
            ("amazon_account_id", "=", account.id),
            ("state", "=", "sale"),
            ("invoice_status", "=", "to invoice"),
            # Invoiced once: after a refund's credit note, or a return, Odoo
            # finds quantities to invoice again; Amazon's refunds say what they
            # were worth, not a new invoice.
            ("invoice_ids", "=", False),
            *expression.OR(channels),
        ]

    def _due_orders(self, account, limit):
        domain = self._due_domain(account)
        if domain is None:
            return self.env["sale.order"]
        # Orders that failed before come after the others: a batch full of
        # orders waiting for a fix never holds the rest back.
        SaleOrder = self.env["sale.order"]
        orders = SaleOrder.search(
            [*domain, ("amazon_invoice_error", "=", False)], order="id", limit=limit
        )
        if len(orders) < limit:
            orders |= SaleOrder.search(
                [*domain, ("amazon_invoice_error", "!=", False)],
                order="id",
                limit=limit - len(orders),
            )
        # Merchant-fulfilled: once every delivery is validated (or cancelled).
        return orders.filtered(
            lambda sale: (
                sale.amazon_channel == "fba"
                or all(
                    picking.state in ("done", "cancel")
                    for picking in sale.picking_ids
                    if picking.picking_type_code == "outgoing"
                )
            )
        )

    def _invoice_order(self, account, sale):
        journal = self._journal(account, sale)
        if journal and sale.journal_id != journal:
            sale.journal_id = journal
        invoices = sale._create_invoices(final=True)
        invoices.write(self._prepare_invoice_values(account, sale))
        invoices.action_post()
        if sale.amazon_invoice_error:
            sale.amazon_invoice_error = False
        return invoices

    def _journal(self, account, sale):
        """The marketplace's journal, else the account's (else Odoo's default)."""
        marketplace = sale.amazon_marketplace_id.with_company(account.company_id)
        return marketplace.journal_id or account.invoice_journal_id

    def _prepare_invoice_values(self, account, sale):
        """What the invoice takes beyond Odoo's own (a hook: none by default)."""
        return {}

    def _note_failure(self, account, sale, error):
        reason = str(error.args[0] if error.args else error)
        _logger.info("Amazon order %s not invoiced: %s", sale.amazon_order_ref, reason)
        sale.amazon_invoice_error = reason[:250]
        summary = _("Amazon order %(ref)s not invoiced", ref=sale.amazon_order_ref)
        # One activity per order, however many runs fail on it.
        if not sale.activity_ids.filtered(lambda activity: activity.summary == summary):
            sale.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=summary,
                note=_(
                    "Odoo could not invoice this order: %(reason)s. Fix it and the next run "
                    "invoices it.",
                    # Odoo's messages end with a full stop of their own.
                    reason=reason.strip().rstrip("."),
                ),
                user_id=(account.responsible_id or self.env.user).id,
            )
        return reason
