"""Listings Items payloads, both ways (no Odoo): Odoo's quantities out, the
seller's listings in."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

# Barcode types among a listing's product identifiers (attribute
# externally_assigned_product_identifier), as Odoo's barcode field holds them.
BARCODE_TYPES = ("ean", "upc", "gtin")

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


@dataclass
class ListingSummary:
    """What the import needs of one listings item of a searchListingsItems
    made for one marketplace (fulfillmentAvailability names no marketplace:
    a search per marketplace tells each marketplace's channel)."""

    sku: str
    marketplace_refs: list = field(default_factory=list)
    title: str = ""
    barcodes: list = field(default_factory=list)
    # Amazon fulfils it (an AFN channel and no merchant "DEFAULT" one).
    fulfilled_by_amazon: bool = False
    # buyable, discoverable (visible, not buyable), suppressed (by Amazon, for
    # an issue) or inactive (neither buyable nor visible).
    status: str = "inactive"
    issues: str = ""  # Amazon's errors and warnings, one per line
    created: str = ""  # createdDate, as Amazon wrote it (ISO 8601)
    price: Decimal | None = None  # the B2C offer's price, in the marketplace's currency


def listing_status(statuses, issues=()):
    """ItemSummaryByMarketplace.status (BUYABLE, DISCOVERABLE) as one word;
    "suppressed" when an issue's enforcement is LISTING_SUPPRESSED ("takes
    down the current listing item's buyability")."""
    actions = {
        action.get("action")
        for issue in issues
        for action in (issue.get("enforcements") or {}).get("actions") or []
    }
    if "LISTING_SUPPRESSED" in actions:
        return "suppressed"
    if "BUYABLE" in statuses:
        return "buyable"
    if "DISCOVERABLE" in statuses:
        return "discoverable"
    return "inactive"


def parse_listing(item):
    """A searchListingsItems item (with summaries, attributes, issues and
    fulfillmentAvailability) as a ListingSummary."""
    summaries = item.get("summaries") or []
    identifiers = (item.get("attributes") or {}).get("externally_assigned_product_identifier")
    barcodes = [
        str(value.get("value")).strip()
        for value in identifiers or []
        if (value.get("type") or "").lower() in BARCODE_TYPES and value.get("value")
    ]
    channels = {a.get("fulfillmentChannelCode") for a in item.get("fulfillmentAvailability") or []}
    issues = [
        f"{issue.get('severity')} {issue.get('code')}: {issue.get('message')}"
        for issue in item.get("issues") or []
        if issue.get("severity") in ("ERROR", "WARNING")
    ]
    return ListingSummary(
        sku=(item.get("sku") or "").strip(),
        marketplace_refs=[s["marketplaceId"] for s in summaries if s.get("marketplaceId")],
        title=next((s.get("itemName") for s in summaries if s.get("itemName")), ""),
        barcodes=barcodes,
        fulfilled_by_amazon=bool(channels) and "DEFAULT" not in channels,
        status=listing_status(
            {st for s in summaries for st in s.get("status") or []}, item.get("issues") or []
        ),
        issues="\n".join(issues),
        created=next((s["createdDate"] for s in summaries if s.get("createdDate")), ""),
        price=_b2c_price(item.get("offers") or []),
    )


def _b2c_price(offers):
    for offer in offers:
        amount = (offer.get("price") or {}).get("amount")
        if offer.get("offerType") == "B2C" and amount not in (None, ""):
            try:
                return Decimal(str(amount))
            except InvalidOperation:
                return None
    return None
