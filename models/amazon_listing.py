from odoo import api, fields, models


class AmazonListing(models.Model):
    """An offer in one marketplace. Amazon sets the fulfillment channel and the
    quantity per seller, SKU and marketplace: one SKU can be shipped by the
    seller on amazon.de and by Amazon on amazon.com. The stock push sends each
    merchant-fulfilled listing its own quantity and keeps its outcome here."""

    _name = "amazon.listing"
    _description = "Amazon Listing"
    _order = "offer_id, marketplace_id"

    offer_id = fields.Many2one("amazon.offer", required=True, ondelete="cascade", index=True)
    marketplace_id = fields.Many2one(
        "amazon.marketplace", required=True, ondelete="restrict", index=True
    )
    account_id = fields.Many2one(
        related="offer_id.account_id", store=True, index=True, string="Account"
    )
    company_id = fields.Many2one(related="offer_id.company_id", store=True, index=True)
    sku = fields.Char(related="offer_id.sku", string="SKU")
    product_id = fields.Many2one(related="offer_id.product_id")
    channel = fields.Selection(
        [("fbm", "Fulfilled by Merchant"), ("fba", "Fulfilled by Amazon")],
        default="fbm",
        required=True,
        index=True,
        help="FBA listings are stocked by Amazon: their quantities are never pushed.",
    )
    amazon_status = fields.Selection(
        [
            ("buyable", "Buyable"),
            ("discoverable", "Not Buyable"),
            ("suppressed", "Suppressed"),
            ("inactive", "Inactive"),
        ],
        readonly=True,
        copy=False,
        help="What Amazon said at the last listings import: buyable, visible but not "
        "buyable (out of stock, no price), suppressed by Amazon for an issue (see "
        "Amazon Issues), or inactive (closed, not visible).",
    )
    amazon_issues = fields.Text(string="Amazon Issues", readonly=True, copy=False)
    currency_id = fields.Many2one(related="marketplace_id.currency_id")
    amazon_price = fields.Monetary(
        string="Amazon Price",
        readonly=True,
        copy=False,
        help="The price buyers see on this marketplace (B2C offer), at the last listings import.",
    )

    # --- FBM stock synchronization ------------------------------------------------------
    last_quantity_sent = fields.Integer(
        string="Accepted Quantity",
        readonly=True,
        copy=False,
        help="The last quantity Amazon accepted.",
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
        string="Quantity Sent",
        readonly=True,
        copy=False,
        help="The quantity of the last attempt (pending or refused).",
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
        help="The listing moved to FBA: its FBM quantity is set to zero once.",
    )

    _sql_constraints = [
        (
            "offer_marketplace_uniq",
            "UNIQUE(offer_id, marketplace_id)",
            "This offer already has a listing in this marketplace.",
        ),
    ]

    @api.depends("marketplace_id", "channel")
    def _compute_display_name(self):
        for listing in self:
            channel = "FBA" if listing.channel == "fba" else "FBM"
            listing.display_name = f"{listing.marketplace_id.name or ''} ({channel})"

    def write(self, vals):
        if vals.get("channel") == "fba":
            switching = self.filtered(lambda listing: listing.channel == "fbm")
            result = super().write(vals)
            # Amazon now ships it from its stock there: withdraw the merchant
            # quantity of that marketplace once (the others keep theirs).
            switching.filtered("last_quantity_sent").fba_zero_pending = True
            return result
        return super().write(vals)

    @api.model
    def _stock_domain(self, account):
        """Listings whose merchant quantity the account pushes: in the
        marketplaces it synchronizes."""
        return [
            ("account_id", "=", account.id),
            ("marketplace_id", "in", account.marketplace_ids.ids),
            ("product_id.is_storable", "=", True),
            "|",
            ("channel", "=", "fbm"),
            ("fba_zero_pending", "=", True),
        ]

    # --- the orders flow ---------------------------------------------------------------------
    @api.model
    def _amazon_for_order(self, run, offer, order):
        """The offer's listing in the order's marketplace, made when the SKU
        first sells there. An FBA order proves Amazon ships the SKU from its
        stock in that marketplace: that listing stops being pushed as FBM, the
        SKU's listings elsewhere keep their channel."""
        marketplace = run.marketplaces[order.marketplace_ref]
        listing = run.listings.get((offer.sku, marketplace.id))
        if not listing:
            listing = self.create(self._prepare_amazon_values(offer, order, marketplace))
            run.listings[offer.sku, marketplace.id] = listing
        elif order.channel == "FBA" and listing.channel == "fbm":
            listing.channel = "fba"
        return listing

    @api.model
    def _prepare_amazon_values(self, offer, order, marketplace):
        return {
            "offer_id": offer.id,
            "marketplace_id": marketplace.id,
            "channel": "fba" if order.channel == "FBA" else "fbm",
        }
