from odoo import fields, models


class AmazonReportRequest(models.Model):
    """A report asked of Amazon, read once Amazon has written it."""

    _name = "amazon.report.request"
    _description = "Amazon Report Request"
    _order = "id desc"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    report_type = fields.Char(required=True, index=True)
    amazon_report_ref = fields.Char(string="Amazon Report ID", required=True)
    data_start = fields.Datetime(required=True)
    data_end = fields.Datetime(required=True)
    state = fields.Selection(
        [
            ("requested", "Requested"),
            ("done", "Read"),
            ("empty", "Nothing to Report"),
            ("failed", "Failed"),
        ],
        default="requested",
        required=True,
        index=True,
    )
    # The FBA reconciliation whose period a ledger report tells (amazon_fba_inventory.py).
    fba_reconciliation_id = fields.Many2one(
        "amazon.fba.reconciliation",
        string="FBA Reconciliation",
        ondelete="cascade",
        index="btree_not_null",
    )
    row_count = fields.Integer(readonly=True)
    error = fields.Char(readonly=True)
