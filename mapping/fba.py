"""FBA inventory (FBA Inventory API ``getInventorySummaries``) into plain values.

Plain functions, no Odoo. Amazon's buckets of a SKU in one marketplace's
fulfilment network: what can be sold now (fulfillable), what is on its way
in (inbound: working, shipped, receiving), what is held for orders or
processing (reserved), what cannot be sold (unfulfillable) and what is being
looked for (researching).
"""

from dataclasses import dataclass, fields

from .checks import PayloadError, identifier, integer, obj


@dataclass(frozen=True)
class FbaQuantities:
    sku: str
    fulfillable: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    reserved: int = 0
    unfulfillable: int = 0
    researching: int = 0
    total: int = 0

    @property
    def inbound(self):
        return self.inbound_working + self.inbound_shipped + self.inbound_receiving

    def __add__(self, other):
        """Units of two pools (two fulfilment networks, two SKUs of one
        product) together; the SKU is the first one's."""
        return FbaQuantities(
            sku=self.sku,
            **{
                field.name: getattr(self, field.name) + getattr(other, field.name)
                for field in fields(self)
                if field.name != "sku"
            },
        )


# No fulfilment network holds a billion units of a SKU: a larger figure is no
# quantity Odoo should book.
MAX_QUANTITY = 10**9


def _quantity(value, path):
    if value in (None, ""):
        return 0
    return integer(value, path, minimum=0, maximum=MAX_QUANTITY)


def parse_inventory_summary(summary):
    """:class:`FbaQuantities` of an InventorySummary read with ``details=true``
    (without details only the total is known: the buckets stay 0). Raises
    PayloadError naming the field that is not what Amazon's model says."""
    summary = obj(summary, "inventorySummary")
    sku = identifier(summary.get("sellerSku"), "sellerSku")
    details = obj(summary.get("inventoryDetails"), "inventoryDetails")

    def bucket(key):
        return _quantity(details.get(key), f"inventoryDetails.{key}")

    def nested(key, total_key):
        value = obj(details.get(key), f"inventoryDetails.{key}").get(total_key)
        return _quantity(value, f"inventoryDetails.{key}.{total_key}")

    return FbaQuantities(
        sku=sku,
        fulfillable=bucket("fulfillableQuantity"),
        inbound_working=bucket("inboundWorkingQuantity"),
        inbound_shipped=bucket("inboundShippedQuantity"),
        inbound_receiving=bucket("inboundReceivingQuantity"),
        reserved=nested("reservedQuantity", "totalReservedQuantity"),
        unfulfillable=nested("unfulfillableQuantity", "totalUnfulfillableQuantity"),
        researching=nested("researchingQuantity", "totalResearchingQuantity"),
        total=_quantity(summary.get("totalQuantity"), "totalQuantity"),
    )


def summary_sku(summary):
    """The SKU of a raw summary when it reads, else "" (an unreadable summary
    still says which SKU it is about, when it can)."""
    try:
        return identifier(summary.get("sellerSku"), "sellerSku")
    except (AttributeError, PayloadError):
        return ""
