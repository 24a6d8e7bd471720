"""Amazon payloads into plain values (no Odoo): tested on their own."""

from .orders import (
    IMPORTED_STATUSES,
    REQUIRED_DATASETS,
    SEARCHED_STATUSES,
    Address,
    Item,
    Order,
    PayloadError,
    address_key,
    format_datetime,
    is_importable,
    missing_datasets,
    order_ref,
    parse_order,
)

__all__ = [
    "IMPORTED_STATUSES",
    "REQUIRED_DATASETS",
    "SEARCHED_STATUSES",
    "Address",
    "Item",
    "Order",
    "PayloadError",
    "address_key",
    "format_datetime",
    "is_importable",
    "missing_datasets",
    "order_ref",
    "parse_order",
]
