"""Amazon's payouts: the financial event groups (Finances v0
``listFinancialEventGroups``), each the period one disbursement settles.

A payout is *Open* while Amazon adds money to it and *Closed* once Amazon
transfers its balance (``FundTransferDate``, ``TraceId`` for the bank). The
transactions import (``amazon_finance_import.py``) reads them, and when one closes,
reads every transaction of it by its group id ("FINANCIAL_EVENT_GROUP_ID [...]
with filtering capabilities"), so that what is booked for it is complete.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from .flow_run import FlowResult

_logger = logging.getLogger(__name__)


class AmazonPayout(models.Model):
    """One Amazon payout (settlement period) and what it holds."""

    _name = "amazon.payout"
    _description = "Amazon Payout"
    _inherit = ["mail.thread"]
    _order = "start desc, id desc"
    _rec_name = "ref"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    ref = fields.Char(string="Financial Event Group", required=True, readonly=True)
    state = fields.Selection(
        [
            ("open", "Open"),
            ("closed", "Closed"),
            ("booked", "Booked"),
            ("to_check", "To Check"),
        ],
        default="open",
        required=True,
        readonly=True,
        index=True,
        tracking=True,
        help="Open: Amazon still adds money to this period (its total is the current "
        "balance). Closed: Amazon settled it; its total is the transfer. Booked: its "
        "journal entry is posted. To Check: Odoo could not book it (see why).",
    )
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, copy=False)
    # Shown on the payout: Community's entry form hides its lines from users
    # without Accounting's read-only group (billing users, the admin).
    move_line_ids = fields.One2many(related="move_id.line_ids", string="Journal Items")
    note = fields.Char(readonly=True)
    transfer_status = fields.Char(string="Fund Transfer Status", readonly=True, tracking=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    total = fields.Monetary(
        readonly=True, help="Closed: the amount Amazon transferred (or charged). Open: the balance."
    )
    beginning_balance = fields.Monetary(readonly=True)
    start = fields.Datetime(readonly=True)
    end = fields.Datetime(readonly=True)
    transfer_date = fields.Datetime(string="Transferred On", readonly=True)
    trace_ref = fields.Char(
        string="Trace ID", readonly=True, help="What the bank shows for Amazon's transfer."
    )
    account_tail = fields.Char(string="Bank Account Ending", readonly=True)
    transaction_ids = fields.One2many(
        "amazon.finance.transaction", "payout_id", string="Transactions", readonly=True
    )
    transaction_count = fields.Integer(compute="_compute_counts")
    transactions_total = fields.Monetary(
        compute="_compute_counts",
        help="What the transactions of the payout Odoo holds add up to, with the beginning "
        "balance: the payout's total once they are all here.",
    )
    sale_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("ref_uniq", "UNIQUE(account_id, ref)", "This Amazon payout is already recorded."),
    ]

    def _compute_counts(self):
        # One grouped query for the whole list, not one per payout.
        data = self.env["amazon.finance.transaction"]._read_group(
            [("payout_id", "in", self.ids)],
            ["payout_id"],
            ["__count", "total:sum", "sale_order_id:count_distinct"],
        )
        by_payout = {payout.id: (count, total, sales) for payout, count, total, sales in data}
        for payout in self:
            count, total, sales = by_payout.get(payout.id, (0, 0.0, 0))
            payout.transaction_count = count
            payout.transactions_total = total + payout.beginning_balance
            payout.sale_count = sales

    def action_book(self):
        """Book these closed payouts now (after a missing transaction came in,
        or an account was fixed)."""
        if not self.env.user.has_group("account.group_account_manager"):
            raise AccessError(_("Only accounting managers book Amazon payouts."))
        self.check_access("read")
        for account in self.account_id:
            run_account = account.sudo().with_company(account.company_id)
            booking = self.env["amazon.payout.booking"].with_env(run_account.env)
            booking._book_payouts(
                run_account,
                FlowResult(),
                payouts=self.filtered(lambda payout, a=account: payout.account_id == a).sudo(),
            )
        return True

    def action_view_transactions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_amazon_connector.amazon_finance_transaction_action"
        )
        action["domain"] = [("payout_id", "=", self.id)]
        action["context"] = {"create": False}
        action["name"] = _("Transactions of %(payout)s", payout=self.ref)
        return action

    def action_view_orders(self):
        self.ensure_one()
        sales = self.transaction_ids.sale_order_id
        return {
            "type": "ir.actions.act_window",
            "name": _("Orders of %(payout)s", payout=self.ref),
            "res_model": "sale.order",
            "view_mode": "list,form",
            "domain": [("id", "in", sales.ids)],
            "context": {"create": False},
        }

    @api.model
    def _prepare_amazon_values(self, account, group):
        """The values of the payout of Amazon's financial event group
        (mapping.finances.EventGroup)."""
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", group.currency)], limit=1)
        )
        # Never the company's currency in its place: booking then stops, with why.
        unknown = (
            {}
            if currency
            else {
                "note": self.env["amazon.finance.import"]._unknown_currency_reason(group.currency)
            }
        )
        return {
            **unknown,
            "account_id": account.id,
            "ref": group.ref,
            "state": "closed" if group.closed else "open",
            "transfer_status": group.transfer_status or False,
            "currency_id": currency.id,
            "total": float(group.total),
            "beginning_balance": float(group.beginning_balance),
            "start": group.start or False,
            "end": group.end or False,
            "transfer_date": group.transfer_date or False,
            "trace_ref": group.trace_ref or False,
            "account_tail": group.account_tail or False,
        }
