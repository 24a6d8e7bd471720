from odoo import fields, models


class AmazonAccount(models.Model):
    """A seller account on Seller Central, linked to Odoo through the SP-API."""

    _name = "amazon.account"
    _description = "Amazon Seller Account"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    marketplace_ids = fields.Many2many(
        "amazon.marketplace",
        string="Synchronized Marketplaces",
    )
