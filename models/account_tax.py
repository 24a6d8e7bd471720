from odoo import models

from ..mapping.prices import unit_price


class AccountTax(models.Model):
    _inherit = "account.tax"

    def _amazon_unit_price(self, gross, quantity, tax_included_site, currency):
        """The unit price of a line bearing these taxes, for ``quantity`` units
        Amazon charged (or refunded) ``gross`` for in all: the orders flow and
        the refunds use this one rule (mapping.prices.unit_price). On
        tax-included marketplaces Amazon's prices contain the VAT: kept as they
        are for price-included taxes, converted to net for price-excluded
        ones. On tax-excluded sites the price is net."""
        included_total = None
        if tax_included_site and self and not all(self.mapped("price_include")):
            included_total = self.compute_all(100.0, currency=currency, quantity=1.0)[
                "total_included"
            ]
        digits = self.env["decimal.precision"].precision_get("Product Price")
        return unit_price(gross, quantity, included_total, digits)
