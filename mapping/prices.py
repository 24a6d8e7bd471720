"""Amazon's prices into Odoo's unit prices: one rule for orders and refunds."""

from decimal import ROUND_HALF_UP, Decimal


def unit_price(gross, quantity, included_total=None, digits=2):
    """The unit price of ``quantity`` units costing ``gross`` in all.

    On marketplaces whose prices include VAT, Amazon's amounts contain it. Odoo
    keeps them as they are for price-included taxes; for price-excluded ones
    the caller passes ``included_total``, what 100 becomes with those taxes
    (119 for 19 % VAT), and the price is converted to net.

    :param digits: the decimal places of Odoo's "Product Price" precision (at
        least 2: an amount in cents is never rounded away).
    """
    unit = Decimal(gross) / quantity
    if included_total:
        unit = unit * Decimal(100) / Decimal(str(included_total))
    return float(unit.quantize(Decimal(1).scaleb(-max(digits, 2)), rounding=ROUND_HALF_UP))
