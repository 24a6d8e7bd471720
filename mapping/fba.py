"""FBA inventory (FBA Inventory API ``getInventorySummaries``) into plain values.

Plain functions, no Odoo. Amazon's buckets of a SKU in one marketplace's
fulfilment network: what can be sold now (fulfillable), what is on its way
in (inbound: working, shipped, receiving), what is held for orders or
processing (reserved), what cannot be sold (unfulfillable) and what is being
looked for (researching).
"""

from dataclasses import dataclass, fields

from .checks import PayloadError


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


def _quantity(value, name, sku):
    if value in (None, ""):
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PayloadError(f"{name} of {sku} is not a quantity: {value!r}")
    return value


def parse_inventory_summary(summary):
    """:class:`FbaQuantities` of an InventorySummary read with ``details=true``
    (without details only the total is known: the buckets stay 0)."""
    if not isinstance(summary, dict) or not (summary.get("sellerSku") or "").strip():
        raise PayloadError("the inventory summary has no sellerSku")
    sku = summary["sellerSku"].strip()
    details = summary.get("inventoryDetails") or {}

    def nested(key, total_key):
        return _quantity((details.get(key) or {}).get(total_key), total_key, sku)

    return FbaQuantities(
        sku=sku,
        fulfillable=_quantity(details.get("fulfillableQuantity"), "fulfillableQuantity", sku),
        inbound_working=_quantity(
            details.get("inboundWorkingQuantity"), "inboundWorkingQuantity", sku
        ),
        inbound_shipped=_quantity(
            details.get("inboundShippedQuantity"), "inboundShippedQuantity", sku
        ),
        inbound_receiving=_quantity(
            details.get("inboundReceivingQuantity"), "inboundReceivingQuantity", sku
        ),
        reserved=nested("reservedQuantity", "totalReservedQuantity"),
        unfulfillable=nested("unfulfillableQuantity", "totalUnfulfillableQuantity"),
        researching=nested("researchingQuantity", "totalResearchingQuantity"),
        total=_quantity(summary.get("totalQuantity"), "totalQuantity", sku),
    )
