from odoo import api, fields, models


class AmazonOffer(models.Model):
    """The pairing of a seller SKU on one account with an Odoo product: how
    order lines find their product. Its listings (one per marketplace) carry
    the channel and the stock sent there."""

    _name = "amazon.offer"
    _description = "Amazon Offer"
    _order = "sku"
    _rec_name = "sku"
    _check_company_auto = True

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    product_id = fields.Many2one("product.product", required=True, index=True, check_company=True)
    sku = fields.Char(string="SKU", required=True)
    needs_review = fields.Boolean(
        help="The SKU matched no product: its orders use the default product until "
        "someone picks the right one here."
    )
    listing_ids = fields.One2many(
        "amazon.listing",
        "offer_id",
        string="Listings",
        help="The SKU in each marketplace where it is offered, with its channel and stock.",
    )
    quantity_cap = fields.Integer(
        string="Maximum Quantity",
        help="Never offer more than this on Amazon, in each marketplace (0: no maximum).",
    )

    _sql_constraints = [
        (
            "sku_uniq",
            "UNIQUE(account_id, sku)",
            "This SKU already has an offer on this account.",
        ),
        ("cap_positive", "CHECK(quantity_cap >= 0)", "The maximum quantity cannot be negative."),
    ]

    def write(self, vals):
        if vals.get("product_id") and "needs_review" not in vals:
            vals["needs_review"] = False  # someone chose the product
        return super().write(vals)

    # --- the orders flow (``run``: its OrderRun, with the page's offers and products) ----------
    @api.model
    def _amazon_for_item(self, run, item, order):
        """The offer of an order item's SKU: known, else made for the product
        whose internal reference is the SKU, else for the default product (an
        offer flagged for review). Its listing in the order's marketplace too."""
        offer = run.offers.get(item.sku)
        if not offer:
            product = run.products_by_code.get(item.sku)
            offer = self.create(
                {
                    "account_id": run.account.id,
                    "sku": item.sku,
                    "product_id": (product or run.company._amazon_get_default_product("sale")).id,
                    "needs_review": not product,
                }
            )
            run.offers[item.sku] = offer
        self.env["amazon.listing"]._amazon_for_order(run, offer, order)
        return offer
