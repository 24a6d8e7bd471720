from odoo import _, api, fields, models

SECRET_GROUP = "base.group_system"
AMAZON_PRODUCT_KINDS = ("sale", "shipping", "giftwrap", "promotion")


class ResCompany(models.Model):
    _inherit = "res.company"

    # Company-wide defaults of the SP-API app (one app usually serves every account).
    amazon_app_ref = fields.Char(string="Amazon SP-API App ID", groups=SECRET_GROUP)
    amazon_lwa_client_id = fields.Char(string="Amazon LWA Client ID", groups=SECRET_GROUP)
    amazon_lwa_client_secret = fields.Char(string="Amazon LWA Client Secret", groups=SECRET_GROUP)
    amazon_fba_location_id = fields.Many2one(
        "stock.location", string="Amazon FBA Location", check_company=True
    )
    amazon_fba_damaged_location_id = fields.Many2one(
        "stock.location", string="Amazon Damaged Location", check_company=True
    )
    amazon_sale_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self._amazon_shipped_product("sale"),
        string="Amazon Sale Product",
        help="Sells the items whose SKU matches no offer nor internal reference.",
    )
    amazon_shipping_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self._amazon_shipped_product("shipping"),
        string="Amazon Shipping Product",
        help="Shipping lines whose service level matches no product.",
    )
    amazon_giftwrap_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self._amazon_shipped_product("giftwrap"),
        string="Amazon Gift Wrapping Product",
        help="Gift-wrap lines whose gift-wrap level matches no product.",
    )

    amazon_promotion_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self._amazon_shipped_product("promotion"),
        string="Amazon Promotion Product",
        help="Lines of the promotion discounts Amazon granted.",
    )
    amazon_stock_allocation = fields.Selection(
        [("each", "Each Listing Offers All"), ("split", "Split Between Listings")],
        string="Amazon Stock Allocation",
        # Not required: a column NOT NULL on res.company breaks the companies
        # other modules create while this one is not loaded (empty = "each").
        default="each",
        help="Each listing offers all: every merchant-fulfilled listing of a product, "
        "on every marketplace and account, offers its whole free quantity (after the "
        "account's buffer and share); a burst of orders can sell more than the stock.\n"
        "Split between listings: the listings of a product together never offer more "
        "than its free quantity.",
    )

    def _amazon_get_fba_location(self):
        """The company's 'Amazon' location (stock held by Amazon), made on first use."""
        self.ensure_one()
        if not self.amazon_fba_location_id:
            self.sudo().amazon_fba_location_id = self._amazon_make_location(_("Amazon"))
        return self.amazon_fba_location_id

    def _amazon_get_fba_damaged_location(self):
        """The company's 'Amazon Damaged' location: units Amazon holds but cannot
        sell (returned damaged or defective). Beside the Amazon location, not
        inside it: FBA orders take their lots from the Amazon location and
        everything in it."""
        self.ensure_one()
        if not self.amazon_fba_damaged_location_id:
            self.sudo().amazon_fba_damaged_location_id = self._amazon_make_location(
                _("Amazon Damaged")
            )
        return self.amazon_fba_damaged_location_id

    def _amazon_make_location(self, name):
        parent = self.env.ref("stock.stock_location_locations", raise_if_not_found=False)
        return (
            self.env["stock.location"]
            .sudo()
            .create(
                {
                    "name": name,
                    "usage": "internal",
                    "location_id": parent.id if parent else False,
                    "company_id": self.id,
                }
            )
        )

    def _amazon_shipped_product(self, kind):
        return self.env.ref(f"sale_amazon_connector.product_amazon_{kind}", False)

    @api.model
    def _amazon_fill_default_products(self):
        """Companies without a default product of a kind get the shipped one,
        so that Settings shows the product in use (installation, upgrade)."""
        for kind in AMAZON_PRODUCT_KINDS:
            product = self._amazon_shipped_product(kind)
            field = f"amazon_{kind}_product_id"
            if product:
                self.sudo().search([(field, "=", False)]).write({field: product.id})

    def _amazon_get_default_product(self, kind):
        """The company's default product of ``kind`` (sale, shipping, giftwrap),
        else the one shipped as data."""
        self.ensure_one()
        product = self[f"amazon_{kind}_product_id"]
        return product or self.env.ref(f"sale_amazon_connector.product_amazon_{kind}")
