"""Odoo's quantities into Listings Items payloads (no Odoo)."""

PRODUCT_TYPE = "PRODUCT"  # the generic type Amazon accepts for offer-only changes


def availability_patch(quantity):
    """The patch setting a merchant-fulfilled (DEFAULT channel) quantity; a
    merge, so the handling time and the other attributes stay as they are."""
    return {
        "op": "merge",
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}],
    }


def quantity_feed_message(message_id, sku, quantity):
    """One message of a JSON_LISTINGS_FEED setting ``sku``'s quantity."""
    return {
        "messageId": message_id,
        "sku": sku,
        "operationType": "PATCH",
        "productType": PRODUCT_TYPE,
        "patches": [availability_patch(quantity)],
    }
