"""Invoices of Amazon orders: posted by the account's policy, never emailed.
The flow's home.

Entry point: the cron (``_cron_invoice``), in batches, through the flow
template's ``_run``: each order due is a page, invoiced in its own savepoint
and committed (``_process_page``); the refunds waiting for these invoices
are booked after (``_close_window``). An account invoices
its merchant-fulfilled orders once their deliveries are validated
(``invoice_fbm``) and its FBA orders once Amazon has shipped them
(``invoice_fba``); with both off, invoicing is manual, as in Odoo.

An order that cannot be invoiced, for any reason, says why on the order (a
note and an activity, once) and the batch goes on; the next run tries it
again.

Invoices go in the marketplace's journal, else the account's, else Odoo's
default sales journal; in the order's currency (its pricelist's), to the
buyer's invoice address with the VAT number a business buyer gave Amazon.
Amazon's buyers never get mail from Odoo (their addresses are Amazon's relays,
and Amazon forbids contacting them outside its messaging): they never follow
their invoices, and sending one is refused (``account_move.py``).
"""

import logging

from odoo import _, api, models
from odoo.osv import expression

from . import flow_kinds
from .flow_run import FlowRun

_logger = logging.getLogger(__name__)

INVOICE_LIMIT = 200  # invoices per run and account: more due, the cron comes back


class InvoicingRun(FlowRun):
    """A run's state: how many invoices it makes at most."""

    def __init__(self, account, adapter, limit=INVOICE_LIMIT, **limits):
        super().__init__(account, adapter, **limits)
        self.limit = limit
        self.result.extra.update(credit_notes=0, refunds_waiting=0)


class AmazonInvoicing(models.AbstractModel):
    _name = "amazon.invoicing"
    _inherit = "amazon.flow"
    _description = "Amazon Invoicing"
    _flow_kind = flow_kinds.INVOICES
    _run_class = InvoicingRun

    @api.model
    def _cron_invoice(self, limit=INVOICE_LIMIT):
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
    def _invoice(self, account, limit=INVOICE_LIMIT):
        """Invoice up to ``limit`` of the account's orders due by its policy;
        logged. Returns the run's FlowResult."""
        return self._run(account, run_options={"limit": limit})

    # --- the steps: each order due a page, then the refunds that waited ------------------
    def _fetch(self, run, window):
        orders = self._due_orders(run.account, run.limit)
        run.result.fetched = len(orders)
        # As many as the limit: more may be due, the next run goes on.
        run.result.done = len(orders) < run.limit
        return orders

    def _has_next(self, page):
        return False  # the limit bounds a run

    def _process_page(self, run, sale):
        """One order, invoiced and posted in its own savepoint, then committed
        by the template: a run that stops halfway never invoices an order
        twice (it is no longer due)."""
        if self._in_unit(run, sale, self._invoice_order, sale) is not None:
            run.result.created += 1

    def _unit_failed(self, run, sale, error):
        reason = self._note_failure(run.account, sale, error)
        run.result.failed += 1
        run.result.problems.append((sale, reason))

    def _close_window(self, run, window):
        # Refunds that waited for these invoices (amazon_refund.py).
        self.env["amazon.refund"]._book_refunds(run.account, run.result)

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

    def _invoice_order(self, run, sale):
        account = run.account
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
        reason = self._failure_reason(error)
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
