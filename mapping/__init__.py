"""Amazon payloads into plain values (no Odoo): tested on their own."""

from .orders import (
    IMPORTED_STATUSES,
    SEARCHED_STATUSES,
    Address,
    Item,
    Order,
    PayloadError,
    is_importable,
    parse_order,
)

__all__ = [
    "IMPORTED_STATUSES",
    "SEARCHED_STATUSES",
    "Address",
    "Item",
    "Order",
    "PayloadError",
    "is_importable",
    "parse_order",
]
