"""Listings changes: patchListingsItem and the JSON_LISTINGS_FEED messages
share these rules, as they do on Amazon."""

import json

from .store import utcnow

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


def process_listings_feed(store, feed, content):
    """Process a JSON_LISTINGS_FEED document: (processing report, final status).
    A document that is not a listings feed aborts it: FATAL ("The feed was
    aborted due to a fatal error", Feed.processingStatus), with a report that
    says why."""
    try:
        document = json.loads(content)
        messages = document["messages"]
        header = document["header"]
        if header.get("sellerId") != feed.seller_id or header.get("version") != "2.0":
            raise ValueError("header")
    except (ValueError, KeyError, TypeError):
        return _fatal_report(feed), "FATAL"
    return _report(store, feed, messages), "DONE"


def _fatal_report(feed):
    return {
        "header": {
            "sellerId": feed.seller_id,
            "version": "2.0",
            "feedId": feed.feed_id,
        },
        "issues": [
            {
                "code": "100001",
                "severity": "ERROR",
                "message": "The feed document is not a valid JSON_LISTINGS_FEED "
                "(version 2.0 header and messages are required).",
            }
        ],
        "summary": {
            "errors": 1,
            "warnings": 0,
            "messagesProcessed": 0,
            "messagesAccepted": 0,
            "messagesInvalid": 0,
        },
    }


def _report(store, feed, messages):
    report_issues = []
    accepted = invalid = processed = 0
    for message in messages:
        processed += 1
        message_id = message.get("messageId")
        sku = message.get("sku")
        operation = message.get("operationType")
        listing = store.get_listing(feed.seller_id, sku) if sku else None
        if listing is None:
            problems = [
                issue(
                    "18000",
                    f"The SKU '{sku}' does not match any listing of this seller.",
                )
            ]
        elif operation == "PATCH":
            problems = apply_patches(listing, feed.marketplace_ids, message.get("patches"))
        elif operation == "PARTIAL_UPDATE":
            patches = [
                {"op": "merge", "path": f"/attributes/{name}", "value": value}
                for name, value in (message.get("attributes") or {}).items()
            ]
            problems = apply_patches(listing, feed.marketplace_ids, patches)
        elif operation == "DELETE":
            # The feed's marketplaces' offers go; the SKU goes with its last one.
            for marketplace_id in feed.marketplace_ids:
                listing.offers.pop(marketplace_id, None)
            if not listing.offers:
                del store.listings[(feed.seller_id, sku)]
            problems = []
        else:
            problems = [issue("4000001", f"Unsupported operationType {operation!r}.")]
        for problem in problems:
            row = {
                "messageId": message_id,
                "sku": sku,
                "code": problem["code"],
                "severity": problem["severity"],
                "message": problem["message"],
            }
            if problem.get("attributeNames"):
                row["attributeName"] = problem["attributeNames"][0]
            report_issues.append(row)
        if problems:
            invalid += 1
        else:
            accepted += 1
    return {
        "header": {
            "sellerId": feed.seller_id,
            "version": "2.0",
            "feedId": feed.feed_id,
        },
        "issues": report_issues,
        "summary": {
            "errors": sum(1 for i in report_issues if i["severity"] == "ERROR"),
            "warnings": sum(1 for i in report_issues if i["severity"] == "WARNING"),
            "messagesProcessed": processed,
            "messagesAccepted": accepted,
            "messagesInvalid": invalid,
        },
    }
