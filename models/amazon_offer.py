from odoo import fields, models


class AmazonOffer(models.Model):
    """The pairing of a seller SKU on one account with an Odoo product: how
    order lines find their product, and which listings get stock updates."""

    _name = "amazon.offer"
    _description = "Amazon Offer"
    _order = "sku"
    _rec_name = "sku"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    marketplace_id = fields.Many2one(
        "amazon.marketplace", help="The marketplace the SKU was first sold on."
    )
    product_id = fields.Many2one("product.product", required=True, index=True)
    sku = fields.Char(string="SKU", required=True)
    needs_review = fields.Boolean(
        help="The SKU matched no product: its orders use the default product until "
        "someone picks the right one here."
    )
    channel = fields.Selection(
        [("fbm", "Fulfilled by Merchant"), ("fba", "Fulfilled by Amazon")],
        default="fbm",
        help="FBA offers are stocked by Amazon: their quantities are never pushed.",
    )

    _sql_constraints = [
        (
            "sku_uniq",
            "UNIQUE(account_id, sku)",
            "This SKU already has an offer on this account.",
        ),
    ]

    def write(self, vals):
        if vals.get("product_id") and "needs_review" not in vals:
            vals["needs_review"] = False  # someone chose the product
        return super().write(vals)
