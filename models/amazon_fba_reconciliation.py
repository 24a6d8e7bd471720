from odoo import api, fields, models


class AmazonFbaReconciliation(models.Model):
    """One reconciliation of an account's FBA stock: the drift report."""

    _name = "amazon.fba.reconciliation"
    _description = "Amazon FBA Stock Reconciliation"
    _order = "date desc, id desc"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    location_id = fields.Many2one("stock.location", string="Amazon Location", readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, readonly=True)
    line_ids = fields.One2many("amazon.fba.reconciliation.line", "reconciliation_id")
    product_count = fields.Integer(string="Products", readonly=True)
    adjusted_count = fields.Integer(string="Products Adjusted", readonly=True)
    unknown_skus = fields.Text(
        string="SKUs Without Product",
        readonly=True,
        help="SKUs Amazon holds stock of that no offer of the account pairs with a "
        "product: pair them on their offer, the next reconciliation counts them.",
    )

    @api.depends("account_id", "date")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.account_id.name} - {record.date}"
