from odoo import api, fields, models


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
        required=True,
        help="FBA offers are stocked by Amazon: their quantities are never pushed.",
    )

    # --- FBM stock synchronization ------------------------------------------------------
    quantity_cap = fields.Integer(
        string="Maximum Quantity",
        help="Never offer more than this on Amazon (0: no maximum).",
    )
    last_quantity_sent = fields.Integer(
        readonly=True, copy=False, help="The last quantity Amazon accepted."
    )
    last_quantity_date = fields.Datetime(string="Accepted On", readonly=True, copy=False)
    stock_sync_state = fields.Selection(
        [
            ("never", "Never Synchronized"),
            ("pending", "Sent, Waiting for Amazon"),
            ("synced", "Synchronized"),
            ("error", "Error"),
        ],
        string="Stock Status",
        default="never",
        required=True,
        readonly=True,
        copy=False,
        index=True,
    )
    stock_sync_error = fields.Text(string="Stock Error", readonly=True, copy=False)
    attempted_quantity = fields.Integer(
        readonly=True, copy=False, help="The quantity of the last attempt (pending or refused)."
    )
    feed_ref = fields.Char(
        string="Feed", readonly=True, copy=False, help="The feed carrying the pending quantity."
    )
    feed_message_ref = fields.Integer(readonly=True, copy=False)
    feed_date = fields.Datetime(
        readonly=True, copy=False, help="When the feed carrying the pending quantity was sent."
    )
    fba_zero_pending = fields.Boolean(
        readonly=True,
        copy=False,
        help="The offer moved to FBA: its FBM quantity is set to zero once.",
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
        if vals.get("channel") == "fba":
            switching = self.filtered(lambda offer: offer.channel == "fbm")
            result = super().write(vals)
            # Amazon now ships it from its stock: withdraw the merchant quantity once.
            switching.filtered("last_quantity_sent").fba_zero_pending = True
            return result
        return super().write(vals)

    @api.model
    def _stock_domain(self, account):
        """Offers whose merchant quantity the account pushes."""
        return [
            ("account_id", "=", account.id),
            ("product_id.is_storable", "=", True),
            "|",
            ("channel", "=", "fbm"),
            ("fba_zero_pending", "=", True),
        ]
