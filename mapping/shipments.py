"""An Odoo delivery's package into Orders v0 confirmShipment's packageDetail
(no Odoo)."""

from .orders import format_datetime


def package_detail(
    reference, carrier_code, carrier_name, shipping_method, tracking, ship_date, items
):
    """``items``: [{"orderItemId", "quantity"}]. ``reference``: a positive number
    as text (Amazon's rule); the same reference sent again edits the package."""
    return {
        "packageReferenceId": reference,
        "carrierCode": carrier_code,
        "carrierName": carrier_name,
        "shippingMethod": shipping_method,
        "trackingNumber": tracking,
        "shipDate": format_datetime(ship_date),
        "orderItems": items,
    }
