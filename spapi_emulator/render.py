"""Render the store's objects the way Amazon's APIs shape them."""

from decimal import Decimal

from .common import isoformat
from .corruptions import corrupt
from .marketplaces import MARKETPLACES

INCLUDED_DATA = (
    "BUYER",
    "RECIPIENT",
    "PROCEEDS",
    "EXPENSE",
    "PROMOTION",
    "CANCELLATION",
    "FULFILLMENT",
    "PACKAGES",
    "TAX",
    "PAYMENT",
    "FULFILLMENT_ORDERS",
)


def money(amount, currency):
    return {"amount": f"{Decimal(amount):.2f}", "currencyCode": currency}


def _compact(values):
    return {k: v for k, v in values.items() if v not in ("", None, [], {})}


def item_breakdowns(item):
    """(type, amount, detailed [(subtype, amount)]) of one item's proceeds."""
    rows = [("ITEM", item.item_total, [])]
    if item.shipping_price:
        rows.append(("SHIPPING", item.shipping_price, []))
    if item.gift_wrap_price:
        rows.append(("GIFT_WRAP", item.gift_wrap_price, []))
    if item.tax:
        rows.append(("TAX", item.tax, []))
    if item.promotion_discount or item.shipping_discount:
        detailed = []
        if item.promotion_discount:
            detailed.append(("ITEM", -item.promotion_discount))
        if item.shipping_discount:
            detailed.append(("SHIPPING", -item.shipping_discount))
        rows.append(("DISCOUNT", sum(a for _s, a in detailed), detailed))
    return rows


def order_total(order):
    return sum(
        (amount for item in order.items for _t, amount, _d in item_breakdowns(item)),
        Decimal("0.00"),
    )


def render_address(address):
    if address is None:
        return None
    return _compact(
        {
            "name": address.name,
            "companyName": address.company_name,
            "addressLine1": address.address_line1,
            "addressLine2": address.address_line2,
            "city": address.city,
            "stateOrRegion": address.state_or_region,
            "postalCode": address.postal_code,
            "countryCode": address.country_code,
            "phone": address.phone,
            "addressType": address.address_type,
        }
    )


def render_item(order, item, included):
    currency = order.currency
    data = {
        "orderItemId": item.order_item_id,
        "quantityOrdered": item.quantity,
        "product": _compact(
            {
                "asin": item.asin,
                "title": item.title,
                "sellerSku": item.sku,
                "condition": {"conditionType": "NEW", "conditionSubtype": "NEW"},
                "price": {"unitPrice": money(item.unit_price, currency)},
            }
        ),
    }
    if "PROCEEDS" in included:
        breakdowns = []
        for kind, amount, detailed in item_breakdowns(item):
            row = {"type": kind, "subtotal": money(amount, currency)}
            if detailed:
                row["detailedBreakdowns"] = [
                    {"subtype": sub, "value": money(value, currency)} for sub, value in detailed
                ]
            breakdowns.append(row)
        data["proceeds"] = {
            "proceedsTotal": money(sum(a for _k, a, _d in item_breakdowns(item)), currency),
            "breakdowns": breakdowns,
        }
    if "PROMOTION" in included and item.promotion_ids:
        data["promotion"] = {"breakdowns": [{"promotionId": pid} for pid in item.promotion_ids]}
    if "CANCELLATION" in included and item.cancelled_by:
        data["cancellation"] = {
            "cancellationExecution": {
                "cancelledBy": item.cancelled_by,
                "cancelReason": item.cancel_reason,
            }
        }
    elif "CANCELLATION" in included and order.status == "CANCELLED":
        data["cancellation"] = {
            "cancellationExecution": {"cancelledBy": "BUYER", "cancelReason": "OTHER"}
        }
    if "TAX" in included and item.tax_model:
        # ItemTax.taxCollections: "The tax collection model applied to the item"
        # (MARKETPLACE_FACILITATOR: "Tax is withheld and remitted to the taxing
        # authority by Amazon on behalf of the seller").
        data["tax"] = {
            "taxCollections": [
                {"model": item.tax_model, "responsibleParty": "Amazon Services, Inc."}
            ]
        }
    if "FULFILLMENT" in included:
        fulfillment = {
            "quantityFulfilled": item.quantity_shipped,
            "quantityUnfulfilled": item.quantity - item.quantity_shipped,
        }
        if item.gift_message or item.gift_wrap_level:
            fulfillment["packing"] = {
                "giftOption": _compact(
                    {
                        "giftMessage": item.gift_message,
                        "giftWrapLevel": item.gift_wrap_level,
                    }
                )
            }
        data["fulfillment"] = fulfillment
    return data


def _window(window):
    earliest, latest = window
    return {"earliestDateTime": isoformat(earliest), "latestDateTime": isoformat(latest)}


def render_order(order, included=()):
    """An Order of the Orders API 2026-01-01 with the requested datasets."""
    included = set(included)
    marketplace = MARKETPLACES[order.marketplace_id]
    currency = order.currency
    data = {
        "orderId": order.order_id,
        "createdTime": isoformat(order.created_time),
        "lastUpdatedTime": isoformat(order.last_updated_time),
        "programs": list(order.programs),
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": marketplace.id,
            "marketplaceName": marketplace.name,
        },
    }
    if order.seller_order_id:
        data["orderAliases"] = [{"aliasId": order.seller_order_id, "aliasType": "SELLER_ORDER_ID"}]
    if "BUYER" in included:
        data["buyer"] = _compact(
            {
                "buyerName": order.buyer_name,
                "buyerEmail": order.buyer_email,
                "buyerCompanyName": order.buyer_company,
                "buyerPurchaseOrderNumber": order.purchase_order_number,
            }
        )
    if "RECIPIENT" in included and order.address is not None:
        data["recipient"] = {"deliveryAddress": render_address(order.address)}
    if "PROCEEDS" in included:
        totals = {}
        for item in order.items:
            for kind, amount, _detailed in item_breakdowns(item):
                totals[kind] = totals.get(kind, Decimal("0.00")) + amount
        data["proceeds"] = {
            "grandTotal": money(order_total(order), currency),
            "breakdowns": [
                {"type": kind, "subtotal": money(amount, currency)}
                for kind, amount in totals.items()
            ],
        }
    if "FULFILLMENT" in included:
        data["fulfillment"] = {
            "fulfillmentStatus": order.status,
            "fulfilledBy": order.fulfilled_by,
            "fulfillmentServiceLevel": order.service_level,
            "shipByWindow": _window(order.ship_by),
            "deliverByWindow": _window(order.deliver_by),
        }
    if "TAX" in included and order.vat_number:
        data["tax"] = {
            "taxRegistrations": [
                _compact(
                    {
                        "entityType": "BUYER",
                        "legalName": order.buyer_company,
                        "taxRegistrationType": "VAT",
                        "taxRegistrationNumber": order.vat_number,
                    }
                )
            ]
        }
    data["orderItems"] = [render_item(order, item, included) for item in order.items]
    if "PACKAGES" in included:
        data["packages"] = [
            _compact(
                {
                    "packageReferenceId": package.package_reference_id,
                    "createdTime": isoformat(package.created_time),
                    "packageStatus": {"status": "SHIPPED"},
                    "carrier": package.carrier_name or package.carrier_code,
                    "shipTime": package.ship_date,
                    "shippingService": package.shipping_method,
                    "trackingNumber": package.tracking_number,
                    "packageItems": [dict(line) for line in package.items],
                }
            )
            for package in order.packages
        ]
    for path, value in order.corruptions:
        corrupt(data, path, value)
    return data


def render_participations(seller):
    return [
        {
            "marketplace": {
                "id": marketplace.id,
                "countryCode": marketplace.country,
                "name": marketplace.name,
                "defaultCurrencyCode": marketplace.currency,
                "defaultLanguageCode": marketplace.language,
                "domainName": "www." + marketplace.domain,
            },
            "participation": {
                "isParticipating": True,
                "hasSuspendedListings": marketplace.id in seller.suspended_marketplace_ids,
            },
            "storeName": seller.store_name,
        }
        for marketplace in (MARKETPLACES[m] for m in seller.marketplace_ids)
    ]


def render_listing(listing, included, marketplace_ids):
    """A listings item as returned for the request's ``marketplaceIds``: a
    summary, offer and issues per marketplace (they carry its id), and the
    fulfillment availability of each (it carries none: ask one marketplace at a
    time to know which is which)."""
    offers = listing.offers_in(marketplace_ids)
    data = {"sku": listing.sku}
    if "summaries" in included:
        data["summaries"] = [
            {
                **_compact(
                    {
                        "marketplaceId": marketplace_id,
                        "asin": listing.asin,
                        "productType": listing.product_type,
                        "conditionType": "new_new",
                        "itemName": listing.title,
                        "createdDate": isoformat(listing.created_time),
                        "lastUpdatedDate": isoformat(listing.last_updated_time),
                    }
                ),
                "status": offer.status,  # required, even when empty (suppressed)
            }
            for marketplace_id, offer in offers.items()
        ]
    if "attributes" in included:
        attributes = dict(listing.attributes)
        attributes["fulfillment_availability"] = [
            listing_availability(offer) for offer in offers.values()
        ]
        if listing.identifiers:
            attributes["externally_assigned_product_identifier"] = [
                {"type": kind.lower(), "value": value, "marketplace_id": marketplace_id}
                for kind, value in listing.identifiers.items()
                for marketplace_id in list(offers)[:1]
            ]
        data["attributes"] = attributes
    if "offers" in included:
        # ItemOfferByMarketplace: marketplaceId, offerType and price required.
        data["offers"] = [
            {
                "marketplaceId": marketplace_id,
                "offerType": "B2C",
                "price": {
                    "currencyCode": MARKETPLACES[marketplace_id].currency,
                    "amount": offer.price,
                },
            }
            for marketplace_id, offer in offers.items()
            if offer.price is not None
        ]
    if "fulfillmentAvailability" in included:
        data["fulfillmentAvailability"] = [
            {"fulfillmentChannelCode": offer.channel, "quantity": offer.quantity}
            for offer in offers.values()
        ]
    if "issues" in included:
        data["issues"] = [
            {**issue, "marketplaceIds": [marketplace_id]}
            for marketplace_id, offer in offers.items()
            for issue in offer.issues
        ]
    for path, value in listing.corruptions:
        corrupt(data, path, value)
    return data


def listing_availability(offer):
    availability = {
        "fulfillment_channel_code": offer.channel,
        "quantity": offer.quantity,
    }
    if offer.channel == "DEFAULT":
        availability["lead_time_to_ship_max_days"] = offer.handling_time
    return availability


def render_fba_summary(stock, details):
    """An InventorySummary of the FBA Inventory API; ``inventoryDetails``
    "will not appear if the details parameter in the request is false"."""
    summary = _compact(
        {
            "asin": stock.asin,
            "fnSku": stock.fnsku,
            "sellerSku": stock.sku,
            "condition": "NewItem",
            "lastUpdatedTime": isoformat(stock.last_updated_time),
            "productName": stock.product_name,
        }
    )
    summary["totalQuantity"] = stock.total
    if details:
        summary["inventoryDetails"] = {
            "fulfillableQuantity": stock.fulfillable,
            "inboundWorkingQuantity": stock.inbound_working,
            "inboundShippedQuantity": stock.inbound_shipped,
            "inboundReceivingQuantity": stock.inbound_receiving,
            "reservedQuantity": {
                "totalReservedQuantity": stock.reserved,
                "pendingCustomerOrderQuantity": stock.reserved,
                "pendingTransshipmentQuantity": 0,
                "fcProcessingQuantity": 0,
            },
            "researchingQuantity": {"totalResearchingQuantity": stock.researching},
            "unfulfillableQuantity": {
                "totalUnfulfillableQuantity": stock.unfulfillable,
                "customerDamagedQuantity": stock.unfulfillable,
            },
        }
    for path, value in stock.corruptions:
        corrupt(summary, path, value)
    return summary
