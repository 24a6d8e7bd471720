from odoo import _, api, models
from odoo.exceptions import UserError


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    @api.model
    def _amazon_for_currency(self, run, currency_name, marketplace):
        """The company's pricelist in the currency of an Amazon order (looked up
        once per run: ``run.pricelists``)."""
        if currency_name not in run.pricelists:
            run.pricelists[currency_name] = self.search(
                [
                    ("currency_id.name", "=", currency_name),
                    ("company_id", "in", [run.company.id, False]),
                ],
                limit=1,
            )
        pricelist = run.pricelists[currency_name]
        if not pricelist:
            raise UserError(
                _(
                    "No pricelist in %(currency)s for the orders of %(marketplace)s: create "
                    "one (Sales > Products > Pricelists), the order is retried at the next "
                    "sync.",
                    currency=currency_name,
                    marketplace=marketplace.name,
                )
            )
        return pricelist
