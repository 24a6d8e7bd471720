"""Listings Items payloads, both ways (no Odoo): Odoo's quantities out, the
seller's listings in."""

from dataclasses import dataclass, field
from decimal import Decimal

from .checks import (
    ID_LENGTH,
    LONG_LENGTH,
    array,
    decimal,
    identifier,
    obj,
    objects,
    text,
)

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
    down the current listing item's buyability"). ``issues`` are checked
    objects (``parse_listing``)."""
    actions = {
        action.get("action")
        for issue in issues
        for action in objects(
            obj(issue.get("enforcements"), "issues[].enforcements").get("actions"),
            "issues[].enforcements.actions",
        )
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
    fulfillmentAvailability) as a ListingSummary. Raises PayloadError naming
    the field that is not what Amazon's model says (checks)."""
    item = obj(item, "item")
    summaries = objects(item.get("summaries"), "summaries")
    attributes = obj(item.get("attributes"), "attributes")
    identifiers = objects(
        attributes.get("externally_assigned_product_identifier"),
        "attributes.externally_assigned_product_identifier",
    )
    barcodes = []
    for index, value in enumerate(identifiers):
        path = f"attributes.externally_assigned_product_identifier[{index}]"
        kind = value.get("type")
        code = value.get("value")
        if isinstance(kind, str) and kind.lower() in BARCODE_TYPES and code:
            barcodes.append(text(str(code), f"{path}.value", limit=ID_LENGTH).strip())
    channels = {
        text(a.get("fulfillmentChannelCode"), f"fulfillmentAvailability[{i}]", ID_LENGTH)
        for i, a in enumerate(
            objects(item.get("fulfillmentAvailability"), "fulfillmentAvailability")
        )
    }
    issue_items = objects(item.get("issues"), "issues")
    issues = [
        "{} {}: {}".format(
            issue.get("severity"),
            text(issue.get("code"), f"issues[{index}].code", limit=ID_LENGTH),
            text(
                issue.get("message"), f"issues[{index}].message", limit=LONG_LENGTH, multiline=True
            ),
        )
        for index, issue in enumerate(issue_items)
        if issue.get("severity") in ("ERROR", "WARNING")
    ]
    statuses = {
        status
        for index, summary in enumerate(summaries)
        for status in array(summary.get("status"), f"summaries[{index}].status")
    }
    return ListingSummary(
        sku=identifier(item.get("sku"), "sku"),
        marketplace_refs=[
            text(s["marketplaceId"], f"summaries[{i}].marketplaceId", limit=ID_LENGTH)
            for i, s in enumerate(summaries)
            if s.get("marketplaceId")
        ],
        title=next(
            (
                text(s.get("itemName"), f"summaries[{i}].itemName", limit=LONG_LENGTH)
                for i, s in enumerate(summaries)
                if s.get("itemName")
            ),
            "",
        ),
        barcodes=barcodes,
        fulfilled_by_amazon=bool(channels) and "DEFAULT" not in channels,
        status=listing_status(statuses, issue_items),
        issues="\n".join(issues),
        created=next(
            (
                text(s["createdDate"], f"summaries[{i}].createdDate", limit=ID_LENGTH)
                for i, s in enumerate(summaries)
                if s.get("createdDate")
            ),
            "",
        ),
        price=_b2c_price(objects(item.get("offers"), "offers")),
    )


def listing_created(item):
    """The creation date of a raw listings item, or "" when none reads: where
    a search's next window starts, whether or not the item itself imports.
    Only the summaries' dates are read (``parse_listing`` reads the rest)."""
    summaries = item.get("summaries") if isinstance(item, dict) else None
    for summary in summaries if isinstance(summaries, list) else ():
        created = summary.get("createdDate") if isinstance(summary, dict) else None
        if isinstance(created, str) and created.isprintable() and len(created) <= ID_LENGTH:
            return created
    return ""


def _b2c_price(offers):
    for index, offer in enumerate(offers):
        amount = obj(offer.get("price"), f"offers[{index}].price").get("amount")
        if offer.get("offerType") == "B2C" and amount not in (None, ""):
            return decimal(amount, f"offers[{index}].price.amount")
    return None
