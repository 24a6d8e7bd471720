from odoo import fields, models


class AmazonMarketplace(models.Model):
    """An Amazon marketplace (amazon.de, amazon.com, ...) identified by its
    MarketplaceId. Shipped as data; admins may add new ones."""

    _name = "amazon.marketplace"
    _description = "Amazon Marketplace"
    _order = "region, name"

    name = fields.Char(required=True, help="Display name, e.g. Amazon.de")
    api_ref = fields.Char(
        string="API Identifier",
        required=True,
        help="Amazon's MarketplaceId, e.g. A1PA6795UKMFR9 for amazon.de.",
    )
    region = fields.Selection(
        [("na", "North America"), ("eu", "Europe"), ("fe", "Far East")],
        required=True,
        help="The SP-API region serving this marketplace.",
    )
    domain = fields.Char(help="The storefront domain, e.g. amazon.de")
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "api_ref_uniq",
            "UNIQUE(api_ref)",
            "A marketplace with this API identifier already exists.",
        ),
    ]
