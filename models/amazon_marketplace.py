from odoo import api, fields, models

from ..spapi.endpoints import SELLER_CENTRAL_HOSTS

# Pan-European FBA: Amazon's EU fulfilment centres serve these marketplaces
# from one pool of units; elsewhere each country's centres hold their own
# (the UK's since 2021).
PAN_EU_COUNTRIES = {"DE", "FR", "IT", "ES", "NL", "PL", "SE", "BE", "IE"}


class AmazonMarketplace(models.Model):
    """An Amazon marketplace (amazon.de, amazon.com, ...) identified by its
    MarketplaceId. Shipped as data; admins may add one Amazon has just opened."""

    _name = "amazon.marketplace"
    _description = "Amazon Marketplace"
    _order = "region, name"

    name = fields.Char(required=True, help="Display name, e.g. Amazon.de")
    api_ref = fields.Char(
        string="API Identifier",
        required=True,
        index=True,
        help="Amazon's MarketplaceId, e.g. A1PA6795UKMFR9 for amazon.de.",
    )
    region = fields.Selection(
        [("na", "North America"), ("eu", "Europe"), ("fe", "Far East")],
        required=True,
        help="The SP-API region serving this marketplace: it decides the endpoint.",
    )
    domain = fields.Char(help="The storefront domain, e.g. amazon.de")
    seller_central_url = fields.Char(
        string="Seller Central URL",
        help="Where sellers of this marketplace log in and authorize apps.",
    )
    country_id = fields.Many2one("res.country")
    currency_id = fields.Many2one("res.currency", required=True)
    tax_included = fields.Boolean(
        string="Prices Include Taxes",
        help="Amazon shows and charges this marketplace's prices with VAT/GST included.",
    )
    # Per company: each company files its own taxes. Odoo's own choice for the
    # delivery address (a position applied automatically by country, such as
    # the OSS ones) comes first; this one serves the orders it leaves without.
    fiscal_position_id = fields.Many2one(
        "account.fiscal.position",
        string="Fiscal Position",
        company_dependent=True,
        help="Maps the products' taxes for this marketplace's orders when Odoo finds no "
        "fiscal position for the delivery address. On marketplaces whose prices include "
        "VAT, map them to price-included taxes of the destination's rate: the order's total "
        "is then Amazon's, to the cent.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Invoice Journal",
        company_dependent=True,
        domain="[('type', '=', 'sale')]",
        help="The sales journal of this marketplace's invoices, before the account's.",
    )
    fba_network = fields.Char(
        string="FBA Network",
        compute="_compute_fba_network",
        store=True,
        readonly=False,
        help="Amazon's fulfilment network holding this marketplace's FBA units. Marketplaces "
        "of one network show the same units (Pan-European FBA, remote fulfilment): the FBA "
        "reconciliation counts them once. Different networks add up. Default: EU for the "
        "Pan-European marketplaces, else the country.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "api_ref_uniq",
            "UNIQUE(api_ref)",
            "A marketplace with this API identifier already exists.",
        ),
    ]

    @api.depends("country_id")
    def _compute_fba_network(self):
        for marketplace in self:
            code = marketplace.country_id.code or marketplace.api_ref
            marketplace.fba_network = "EU" if code in PAN_EU_COUNTRIES else code

    @api.depends("name", "domain")
    def _compute_display_name(self):
        for marketplace in self:
            marketplace.display_name = marketplace.name

    def _get_seller_central_url(self):
        self.ensure_one()
        return (self.seller_central_url or f"https://{SELLER_CENTRAL_HOSTS[self.region]}").rstrip(
            "/"
        )

    @api.model
    def _find_or_create_from_participation(self, marketplace, region):
        """The marketplace of a getMarketplaceParticipations entry; one Amazon
        opened after this addon's data was written is created on the fly."""
        record = self.with_context(active_test=False).search(
            [("api_ref", "=", marketplace["id"])], limit=1
        )
        if record:
            return record
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", marketplace.get("defaultCurrencyCode"))], limit=1)
        )
        country = self.env["res.country"].search(
            [("code", "=", marketplace.get("countryCode"))], limit=1
        )
        domain = (marketplace.get("domainName") or "").removeprefix("www.")
        # Marketplaces are shared by every company and edited by administrators
        # only; one Amazon reports is Amazon's data, recorded as the system.
        return self.sudo().create(
            {
                "name": marketplace.get("name") or domain or marketplace["id"],
                "api_ref": marketplace["id"],
                "region": region,
                "domain": domain,
                "country_id": country.id,
                "currency_id": (currency or self.env.company.currency_id).id,
            }
        )
