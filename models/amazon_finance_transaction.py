from odoo import api, fields, models

from .utils import amazon_label


class AmazonFinanceTransaction(models.Model):
    """One movement of money on the seller's Amazon account."""

    _name = "amazon.finance.transaction"
    _description = "Amazon Financial Transaction"
    _order = "posted desc, id desc"
    _rec_name = "ref"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    ref = fields.Char(string="Transaction ID", required=True, readonly=True)
    kind = fields.Char(string="Type Code", readonly=True, index=True)
    status = fields.Char(string="Status Code", readonly=True)
    kind_label = fields.Char(string="Type", compute="_compute_labels")
    status_label = fields.Char(string="Status", compute="_compute_labels")
    description = fields.Char(readonly=True)
    posted = fields.Datetime(readonly=True, index=True)
    marketplace_id = fields.Many2one("amazon.marketplace", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    total = fields.Monetary(readonly=True)
    amazon_order_ref = fields.Char(string="Amazon Order", readonly=True, index=True)
    group_ref = fields.Char(
        string="Payout Group",
        readonly=True,
        index=True,
        help="Amazon's financial event group: the payout (settlement) this money belongs to.",
    )
    refund_ref = fields.Char(string="Refund ID", readonly=True)
    shipment_ref = fields.Char(
        string="Shipment ID", readonly=True, index="btree_not_null", help="A label's charge."
    )
    payout_id = fields.Many2one(
        "amazon.payout", string="Payout", readonly=True, index="btree_not_null"
    )
    sale_order_id = fields.Many2one("sale.order", readonly=True, index=True)
    line_ids = fields.One2many(
        "amazon.finance.transaction.line", "transaction_id", string="Breakdown", readonly=True
    )
    # FBA inventory reimbursements (amazon_fba_ledger.py): the claims they closed.
    amazon_claim_ids = fields.Many2many(
        "amazon.fba.ledger.event",
        "amazon_fba_claim_reimbursement_rel",
        "transaction_id",
        "event_id",
        string="Claims Closed",
        readonly=True,
    )
    raw = fields.Text(
        string="As Amazon Sent It", readonly=True, help="Kept for transactions Odoo could not read."
    )
    # Refunds (amazon_refund.py): the credit note booked from the refund.
    refund_state = fields.Selection(
        [
            ("waiting", "Waiting for the Invoice"),
            ("done", "Credit Note Posted"),
            ("error", "To Check"),
        ],
        readonly=True,
        index=True,
        help="A refund is credited once the order's invoice is posted.",
    )
    refund_note = fields.Char(readonly=True)
    credit_note_id = fields.Many2one("account.move", readonly=True, index="btree_not_null")
    return_id = fields.Many2one(
        "amazon.return", string="Customer Return", readonly=True, index="btree_not_null"
    )

    _sql_constraints = [
        ("ref_uniq", "UNIQUE(account_id, ref)", "This Amazon transaction is already recorded."),
    ]

    @api.depends("kind", "status")
    def _compute_labels(self):
        for transaction in self:
            transaction.kind_label = amazon_label(transaction.kind, self.env.lang)
            transaction.status_label = amazon_label(transaction.status, self.env.lang)
