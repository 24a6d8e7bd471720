from odoo import fields, models


class AmazonOffer(models.Model):
    """The pairing of a seller SKU on one account with an Odoo product."""

    _name = "amazon.offer"
    _description = "Amazon Offer"
    _order = "sku"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    marketplace_id = fields.Many2one("amazon.marketplace")
    product_id = fields.Many2one("product.product", required=True, index=True)
    sku = fields.Char(string="SKU", required=True)

    _sql_constraints = [
        (
            "sku_uniq",
            "UNIQUE(account_id, sku)",
            "This SKU already has an offer on this account.",
        ),
    ]
