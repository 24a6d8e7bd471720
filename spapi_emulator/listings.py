"""Listings changes: patchListingsItem and the JSON_LISTINGS_FEED messages
share these rules, as they do on Amazon."""

import base64
import re
import uuid
from dataclasses import dataclass, field

from .common import Api, ApiError, invalid, parse_iso8601, route, utcnow
from .corruptions import corrupt
from .render import render_listing

PATCH_OPS = ("add", "replace", "merge", "delete")


def issue(code, message, attribute=None, severity="ERROR"):
    data = {
        "code": code,
        "message": message,
        "severity": severity,
        "categories": ["INVALID_ATTRIBUTE"] if attribute else [],
    }
    if attribute:
        data["attributeNames"] = [attribute]
    return data


def _check_availability(values):
    """Validate a fulfillment_availability attribute value; return issues."""
    if not isinstance(values, list) or not values:
        return [
            issue(
                "90220",
                "'fulfillment_availability' needs at least one value.",
                "fulfillment_availability",
            )
        ]
    problems = []
    for value in values:
        quantity = value.get("quantity") if isinstance(value, dict) else None
        channel = value.get("fulfillment_channel_code") if isinstance(value, dict) else None
        if not channel:
            problems.append(
                issue(
                    "90220",
                    "'fulfillment_channel_code' is required but not supplied.",
                    "fulfillment_availability",
                )
            )
        if quantity is not None and (
            not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0
        ):
            problems.append(
                issue(
                    "99010",
                    f"The value '{quantity}' of 'quantity' is not a whole number of 0 or more.",
                    "fulfillment_availability",
                )
            )
    return problems


def _apply_availability(offer, values, op):
    value = values[0]
    offer.channel = value["fulfillment_channel_code"]
    if "quantity" in value:
        offer.quantity = value["quantity"]
    if "lead_time_to_ship_max_days" in value:
        offer.handling_time = value["lead_time_to_ship_max_days"]
    elif op == "replace":
        # A replace without the lead time drops it back to Amazon's default.
        offer.handling_time = 2


def apply_patches(listing, marketplace_ids, patches):
    """Validate then apply JSON patches to a listing in ``marketplace_ids`` (the
    request's for a patch, the feed's for a feed message). All or nothing:
    returns the issues and changes nothing when there is any."""
    problems = []
    if not isinstance(patches, list) or not patches:
        return [issue("4000001", "The request needs at least one patch.")]
    offers = listing.offers_in(marketplace_ids)
    if not offers:
        listed = ", ".join(listing.marketplace_ids)
        return [
            issue(
                "18000",
                f"The SKU '{listing.sku}' is not listed in marketplace(s) "
                f"{', '.join(marketplace_ids)} (listed in {listed}).",
            )
        ]
    for patch in patches:
        if not isinstance(patch, dict) or patch.get("op") not in PATCH_OPS:
            problems.append(issue("4000001", f"Invalid patch operation: {patch!r}"))
            continue
        path = patch.get("path", "")
        if not path.startswith("/attributes/"):
            problems.append(issue("4000001", f"Invalid patch path: {path!r}"))
            continue
        if path == "/attributes/fulfillment_availability" and patch["op"] != "delete":
            problems.extend(_check_availability(patch.get("value")))
    if problems:
        return problems
    for patch in patches:
        name = patch["path"].split("/", 2)[2]
        if name == "fulfillment_availability":
            for offer in offers.values():
                if patch["op"] == "delete":
                    offer.quantity = 0
                else:
                    _apply_availability(offer, patch["value"], patch["op"])
        elif patch["op"] == "delete":
            listing.attributes.pop(name, None)
        else:
            listing.attributes[name] = patch.get("value")
    listing.last_updated_time = utcnow()
    return []


LISTING_INCLUDED_DATA = (
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
)
LISTINGS_SEARCH_LIMIT = 1000  # searchListingsItems pages through 1000 SKUs at most


def _encode_offset(offset):
    return base64.urlsafe_b64encode(f"listings:{offset}".encode()).decode()


def _decode_offset(token):
    try:
        kind, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        return int(offset) if kind == "listings" and int(offset) >= 0 else None
    except (ValueError, UnicodeDecodeError):
        return None


def _listing_matches(listing, identifiers, identifiers_type, bounds):
    if identifiers:
        values = {
            "SKU": listing.sku,
            "ASIN": listing.asin,
            **listing.identifiers,
        }
        if values.get(identifiers_type) not in identifiers:
            return False
    moments = {
        "createdAfter": (listing.created_time, 1),
        "createdBefore": (listing.created_time, -1),
        "lastUpdatedAfter": (listing.last_updated_time, 1),
        "lastUpdatedBefore": (listing.last_updated_time, -1),
    }
    for name, bound in bounds.items():
        moment, direction = moments[name]
        # "at or after" / "at or before" this time.
        if (moment - bound).total_seconds() * direction < 0:
            return False
    return True


@dataclass
class Offer:
    """A listing's offer in one marketplace. Amazon sets availability per
    seller, SKU and marketplace: Listings Items' ``fulfillment_availability``
    carries no marketplace of its own, it applies to the request's
    ``marketplaceIds`` (patch) or the feed's (JSON_LISTINGS_FEED), so one SKU can
    be merchant-fulfilled on one marketplace and fulfilled by Amazon on another."""

    channel: str = "DEFAULT"  # DEFAULT (merchant) or AMAZON_NA/AMAZON_EU/...
    quantity: int = 0
    handling_time: int = 2
    issues: list = field(default_factory=list)  # Listings Items Issue objects
    price: str | None = None  # the B2C price, in the marketplace's currency

    @property
    def status(self):
        # ItemSummaryByMarketplace.status: BUYABLE "can be purchased by shoppers",
        # DISCOVERABLE "visible to shoppers". A listing with an enforcement
        # (suppressed) is neither; a merchant listing without stock is not buyable.
        if any(issue.get("enforcements") for issue in self.issues):
            return []
        if self.channel == "DEFAULT" and not self.quantity:
            return ["DISCOVERABLE"]
        return ["BUYABLE", "DISCOVERABLE"]


class Listing:
    """A seller's SKU with its offer in each marketplace where it is listed.
    ``quantity``, ``fulfillment_channel`` and ``handling_time`` read the first
    marketplace's offer and set every marketplace's (tests of one marketplace)."""

    def __init__(
        self,
        seller_id,
        sku,
        marketplace_ids,
        product_type="PRODUCT",
        asin="",
        title="",
        fulfillment_channel="DEFAULT",
        quantity=0,
        handling_time=2,
        channels=None,
        price=None,
        attributes=None,
        identifiers=None,
        created_time=None,
        last_updated_time=None,
    ):
        self.seller_id = seller_id
        self.sku = sku
        self.product_type = product_type
        self.asin = asin
        self.title = title
        self.attributes = dict(attributes or {})
        self.identifiers = dict(identifiers or {})  # e.g. {"EAN": "4006381333931"}
        self.created_time = created_time or utcnow()
        self.last_updated_time = last_updated_time or self.created_time
        # Not Amazon's behaviour, a test's: (path, value) pairs set in the
        # rendered item (as Order.corruptions), breaking what the model promises.
        self.corruptions = []
        # The same, in its patchListingsItem answers.
        self.answer_corruptions = []
        # channels: {marketplace_id: channel} where it differs from fulfillment_channel.
        channels = channels or {}
        self.offers = {
            marketplace_id: Offer(
                channels.get(marketplace_id, fulfillment_channel),
                quantity,
                handling_time,
                price=None if price is None else str(price),
            )
            for marketplace_id in marketplace_ids
        }

    @property
    def marketplace_ids(self):
        return list(self.offers)

    def offers_in(self, marketplace_ids):
        """{marketplace: offer} for those of ``marketplace_ids`` it is listed in."""
        return {m: self.offers[m] for m in marketplace_ids if m in self.offers}

    def _first(self):
        return next(iter(self.offers.values()))

    def _set_all(self, name, value):
        for offer in self.offers.values():
            setattr(offer, name, value)

    quantity = property(lambda self: self._first().quantity)
    quantity = quantity.setter(lambda self, value: self._set_all("quantity", value))
    fulfillment_channel = property(lambda self: self._first().channel)
    fulfillment_channel = fulfillment_channel.setter(
        lambda self, value: self._set_all("channel", value)
    )
    handling_time = property(lambda self: self._first().handling_time)
    handling_time = handling_time.setter(lambda self, value: self._set_all("handling_time", value))


class ListingsStore:
    """The sellers' listings."""

    def __init__(self):
        super().__init__()
        self.listings = {}  # (seller_id, sku) -> Listing

    # --- listings -----------------------------------------------------------------
    def add_listing(self, seller_id, sku, marketplace_ids, **values):
        with self.lock:
            listing = Listing(seller_id, sku, list(marketplace_ids), **values)
            self.listings[(seller_id, sku)] = listing
            return listing

    def get_listing(self, seller_id, sku):
        return self.listings.get((seller_id, sku))


class ListingsApi(Api):
    """getListingsItem, searchListingsItems and patchListingsItem (Listings
    Items API 2021-08-01)."""

    routes = [
        route(
            "GET",
            "/listings/2021-08-01/items/(?P<seller_id>[^/]+)/(?P<sku>[^/]+)",
            "getListingsItem",
            "get_listing",
        ),
        route(
            "GET",
            "/listings/2021-08-01/items/(?P<seller_id>[^/]+)",
            "searchListingsItems",
            "search_listings",
        ),
        route(
            "PATCH",
            "/listings/2021-08-01/items/(?P<seller_id>[^/]+)/(?P<sku>[^/]+)",
            "patchListingsItem",
            "patch_listing",
        ),
    ]

    def _listing(self, call, seller_id, sku, params):
        if seller_id != call.seller_id:
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "sellerId does not match the token's seller.",
            )
        self._marketplace_ids(call, params)
        # issueLocale: "A locale for localization of issues. ... Examples: `en_US`,
        # `fr_CA`, `fr_FR`." A language and a country, as in the examples.
        locale = params.get("issueLocale")
        if locale is not None and not re.fullmatch(r"[a-z]{2}_[A-Z]{2}", locale):
            raise invalid(f"issueLocale: {locale!r} is not a locale such as en_US.")
        return self.emulator.store.get_listing(seller_id, sku)

    def op_get_listing(self, call, params, body, seller_id, sku):
        included = self._enum_list(params, "includedData", LISTING_INCLUDED_DATA) or ["summaries"]
        listing = self._listing(call, seller_id, sku, params)
        if listing is None:
            raise ApiError(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace.")
        marketplaces = self._marketplace_ids(call, params)
        if not listing.offers_in(marketplaces):
            raise ApiError(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace.")
        return 200, render_listing(listing, included, marketplaces)

    def op_search_listings(self, call, params, body, seller_id):
        self._listing(call, seller_id, None, params)  # the seller, marketplaces, locale
        marketplaces = self._marketplace_ids(call, params)
        included = self._enum_list(params, "includedData", LISTING_INCLUDED_DATA) or ["summaries"]
        identifiers = [i for i in (params.get("identifiers") or "").split(",") if i]
        # identifiers: "1. This is required when you specify `identifiersType`. 2. You
        # cannot use 'identifiers' if you specify `variationParentSku` or
        # `packageHierarchySku`." identifiersType: "This is required when
        # `identifiers` is provided." variationParentSku / packageHierarchySku: "You
        # cannot use [one] if you include `identifiers` or [the other]."
        if bool(identifiers) != bool(params.get("identifiersType")):
            raise invalid("identifiers and identifiersType go together.")
        exclusive = [
            name
            for name in ("identifiers", "variationParentSku", "packageHierarchySku")
            if params.get(name)
        ]
        if len(exclusive) > 1:
            raise invalid(f"{' and '.join(exclusive)} cannot be used together.")
        bounds = {
            name: parse_iso8601(name, params[name])
            for name in ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
            if params.get(name)
        }
        store = self.emulator.store
        with store.lock:
            found = [
                listing
                for listing in store.listings.values()
                if listing.seller_id == seller_id
                and listing.offers_in(marketplaces)
                and _listing_matches(listing, identifiers, params.get("identifiersType"), bounds)
            ]
        # sortBy: default `lastUpdatedDate`; sortOrder: default `DESC`.
        sort_by = params.get("sortBy") or "lastUpdatedDate"
        keys = {
            "sku": lambda listing: listing.sku,
            "createdDate": lambda listing: listing.created_time,
            "lastUpdatedDate": lambda listing: listing.last_updated_time,
        }
        found.sort(
            key=lambda listing: (keys[sort_by](listing), listing.sku),
            reverse=(params.get("sortOrder") or "DESC") == "DESC",
        )
        # numberOfResults: "The total number of selling partner listings items found
        # for the search criteria (only results up to the page count limit is
        # returned per request regardless of the number found). Note: The maximum
        # number of items (SKUs) that can be returned and paged through is 1000."
        reachable = found[:LISTINGS_SEARCH_LIMIT]
        # pageSize: maximum 20, default 10 (the model).
        size = int(params.get("pageSize") or 10)
        start = 0
        if params.get("pageToken"):
            start = _decode_offset(params["pageToken"])
            if start is None or start >= len(reachable):
                raise invalid("pageToken is not valid.")
        page = reachable[start : start + size]
        if any(listing.corruptions for listing in page):
            call.fault = "corrupted"  # a test's, outside the models on purpose
        result = {
            "numberOfResults": len(found),
            "items": [render_listing(listing, included, marketplaces) for listing in page],
        }
        pagination = {}
        if start + size < len(reachable):
            pagination["nextToken"] = _encode_offset(start + size)
        if start:
            pagination["previousToken"] = _encode_offset(max(start - size, 0))
        if pagination:
            result["pagination"] = pagination
        return 200, result

    def op_patch_listing(self, call, params, body, seller_id, sku):
        listing = self._listing(call, seller_id, sku, params)
        if not isinstance(body, dict) or "productType" not in body or "patches" not in body:
            raise invalid("The body needs productType and patches.")
        submission = str(uuid.uuid4())
        store = self.emulator.store
        if listing is None:
            issues = [
                {
                    "code": "18000",
                    "message": f"The SKU '{sku}' does not match any listing of this seller.",
                    "severity": "ERROR",
                    "categories": [],
                }
            ]
        else:
            with store.lock:
                marketplaces = self._marketplace_ids(call, params)
                issues = apply_patches(listing, marketplaces, body["patches"])
        answer = {
            "sku": sku,
            "status": "INVALID" if issues else "ACCEPTED",
            "submissionId": submission,
            "issues": issues,
        }
        if listing is not None and listing.answer_corruptions:
            call.fault = "corrupted"  # a test's, outside the models on purpose
            for path, value in listing.answer_corruptions:
                corrupt(answer, path, value)
        return 200, answer
