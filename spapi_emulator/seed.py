"""Seeding: the demo data set and JSON seed files.

A seed file is JSON:

    {
      "apps": [{"client_id": "...", "client_secret": "...", "redirect_uris": ["..."]}],
      "sellers": [{"seller_id": "...", "marketplace_ids": ["..."],
                   "client_id": "...", "refresh_token": "..."}],
      "orders": [{"seller_id": "...", "marketplace_id": "...", "fulfilled_by": "MERCHANT",
                  "status": "UNSHIPPED", "minutes_ago": 30,
                  "items": [{"sku": "...", "title": "...", "quantity": 1, "unit_price": "9.99",
                             "tax": "0.80", "tax_model": "MARKETPLACE_FACILITATOR"}],
                  "buyer_name": "...", "address": {"name": "...", "city": "..."}}],
      "listings": [{"seller_id": "...", "sku": "...", "marketplace_ids": ["..."],
                    "quantity": 5}]
    }
"""

import json
import random
from datetime import timedelta

from .reports import FBA_RETURNS, process_report
from .store import Address, utcnow

# The demo's credentials: printed by the CLI, used by the demo account in Odoo.
DEMO_CLIENT_ID = "amzn1.application-oa2-client.demo"
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_REFRESH_TOKEN = "Atzr|demo-refresh-token"
DEMO_SELLER_ID = "A3DEMOSELLER01"
DEMO_APP_ID = "amzn1.sp.solution.demo"
DEMO_MARKETPLACES = {
    "ATVPDKIKX0DER": "US",  # amazon.com, tax excluded, USD
    "A1PA6795UKMFR9": "DE",  # amazon.de, VAT included, EUR
    "A1F83G8C2ARO7P": "GB",  # amazon.co.uk, VAT included, GBP
}

DEMO_PRODUCTS = [
    # sku, title, price in USD (other currencies scale it)
    ("DEMO-MUG-01", "Ceramic Coffee Mug, 350 ml", 12.90),
    ("DEMO-TEE-M", "Organic Cotton T-Shirt, size M", 19.50),
    ("DEMO-TEE-L", "Organic Cotton T-Shirt, size L", 19.50),
    ("DEMO-BOTTLE", "Insulated Steel Bottle, 750 ml", 24.00),
    ("DEMO-NOTEBOOK", "Dotted Notebook A5", 8.75),
    ("DEMO-PENSET", "Fineliner Pen Set (12 colours)", 14.20),
    ("DEMO-LAMP", "LED Desk Lamp with USB Port", 39.99),
    ("DEMO-BAG", "Canvas Tote Bag", 11.00),
    ("DEMO-CABLE", "USB-C Cable 2 m", 9.49),
    ("DEMO-UNKNOWN-SKU", "A product Odoo does not know yet", 5.00),
]
# Where Amazon fulfils a SKU (FBA); everywhere else the seller ships it (FBM).
# One SKU can be FBA on one marketplace and FBM on the others, as on Amazon.
DEMO_FBA = {
    ("DEMO-MUG-01", "US"),
    ("DEMO-TEE-M", "US"),
    ("DEMO-TEE-L", "US"),
    ("DEMO-BOTTLE", "US"),
    ("DEMO-BOTTLE", "DE"),
    ("DEMO-LAMP", "GB"),
    ("DEMO-CABLE", "DE"),
    ("DEMO-CABLE", "GB"),
}
_FBA_CODES = {"US": "AMAZON_NA", "DE": "AMAZON_EU", "GB": "AMAZON_EU"}
# Listed, never ordered in the demo: the listings import brings their offers.
DEMO_UNSOLD = [
    ("DEMO-GLASS-SET", "Drinking Glasses, set of 6", 18.00),
    ("DEMO-APRON", "Linen Kitchen Apron", 16.50),
]
_PRICE_FACTOR = {"USD": 1.0, "EUR": 0.95, "GBP": 0.8}
_COUNTRY_CURRENCY = {"US": "USD", "DE": "EUR", "GB": "GBP"}
_CITIES = {
    "US": [
        ("Seattle", "WA", "98109"),
        ("Austin", "TX", "73301"),
        ("Denver", "CO", "80202"),
    ],
    "DE": [("Berlin", "", "10115"), ("München", "", "80331"), ("Hamburg", "", "20095")],
    "GB": [
        ("London", "", "SW1A 1AA"),
        ("Leeds", "", "LS1 4AP"),
        ("Bristol", "", "BS1 4DJ"),
    ],
}
_NAMES = [
    "Alex Morgan",
    "Jamie Lee",
    "Kim Schmidt",
    "Sam Taylor",
    "Robin Weber",
    "Chris Evans",
]


def seed_demo(store, order_count=300, seed=42):
    """A seller on amazon.com, amazon.de and amazon.co.uk with listings and
    ``order_count`` orders over both channels and the usual statuses."""
    rng = random.Random(seed)
    store.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, app_id=DEMO_APP_ID)
    store.add_seller(
        DEMO_SELLER_ID,
        list(DEMO_MARKETPLACES),
        client_id=DEMO_CLIENT_ID,
        refresh_token=DEMO_REFRESH_TOKEN,
        store_name="Demo Store",
    )
    for sku, title, price in DEMO_PRODUCTS + DEMO_UNSOLD:
        channels = {
            marketplace_id: _FBA_CODES[country]
            for marketplace_id, country in DEMO_MARKETPLACES.items()
            if (sku, country) in DEMO_FBA
        }
        listing = store.add_listing(
            DEMO_SELLER_ID,
            sku,
            list(DEMO_MARKETPLACES),
            title=title,
            quantity=10,
            channels=channels,
        )
        # Each marketplace's offer at the price its orders are sold at.
        for marketplace_id, country in DEMO_MARKETPLACES.items():
            currency = _COUNTRY_CURRENCY[country]
            listing.offers[marketplace_id].price = str(round(price * _PRICE_FACTOR[currency], 2))
    now = utcnow()
    for index in range(order_count):
        marketplace_id = rng.choice(list(DEMO_MARKETPLACES))
        fba = rng.random() < 0.4
        status = rng.choice(
            ["SHIPPED", "SHIPPED", "CANCELLED"]
            if fba
            else [
                "UNSHIPPED",
                "UNSHIPPED",
                "PARTIALLY_SHIPPED",
                "SHIPPED",
                "CANCELLED",
                "PENDING",
            ]
        )
        order = _demo_order(store, rng, index, marketplace_id, fba, status, now)
        if status == "PARTIALLY_SHIPPED":
            # Part of it left without the connector (in Seller Central): the
            # first item, or all of the only item but one unit.
            first = order.items[0]
            shipped = first.quantity if len(order.items) > 1 else first.quantity - 1
            if shipped:
                store.ship_elsewhere(order.order_id, {first.sku: shipped}, order.last_updated_time)
            else:  # one unit cannot leave in part
                order.status = "UNSHIPPED"
    seed_demo_fba(store, now)
    seed_demo_reports(store, now)
    seed_demo_money(store, now)
    return store


def _demo_order(store, rng, index, marketplace_id, fba, status, now, live=False):
    """One demo order of the seller: a few of the channel's products, a
    buyer of the country, sometimes gift-wrapped or promoted; placed in the
    week before ``now``, or ``live``, now."""
    country = DEMO_MARKETPLACES[marketplace_id]
    currency = _COUNTRY_CURRENCY[country]
    items = []
    # An order's items share its channel: the SKUs of that channel there.
    offered = [p for p in DEMO_PRODUCTS if ((p[0], country) in DEMO_FBA) == fba]
    count = min(rng.randint(1, 3), len(offered))
    for sku, title, price in rng.sample(offered, count):
        unit = round(price * _PRICE_FACTOR[currency], 2)
        item = {
            "sku": sku,
            "title": title,
            "quantity": rng.randint(1, 3),
            "unit_price": unit,
        }
        if country == "US":
            # Every US state makes Amazon the marketplace facilitator: it
            # charges the buyer's sales tax and remits it, not the seller.
            item["tax"] = round(unit * item["quantity"] * 0.08, 2)
            item["tax_model"] = "MARKETPLACE_FACILITATOR"
        items.append(item)
    items[0]["shipping_price"] = 4.99
    if rng.random() < 0.1:
        items[0]["gift_wrap_price"] = 3.50
        items[0]["gift_wrap_level"] = "Classic"
        items[0]["gift_message"] = "Happy birthday!"
    if rng.random() < 0.15:
        items[0]["promotion_discount"] = 2.00
        items[0]["promotion_ids"] = ["DEMO-PROMO-2026"]
    city, state, postal = rng.choice(_CITIES[country])
    name = rng.choice(_NAMES)
    no_pii = fba and country == "US"  # North-American FBA orders carry no PII
    if live:
        created = updated = now
    else:
        created = now - timedelta(days=6, hours=rng.randint(0, 23)) + timedelta(minutes=index * 25)
        created = min(created, now - timedelta(minutes=30))
        updated = created + timedelta(minutes=5)
    return store.add_order(
        DEMO_SELLER_ID,
        marketplace_id,
        items,
        fulfilled_by="AMAZON" if fba else "MERCHANT",
        status=status,
        created_time=created,
        last_updated_time=updated,
        buyer_name="" if no_pii else name,
        buyer_email="" if no_pii else f"{index}@marketplace.amazon.example",
        address=Address(
            name="" if no_pii else name,
            address_line1="" if no_pii else f"{rng.randint(1, 200)} Main Street",
            city=city,
            state_or_region=state,
            postal_code=postal,
            country_code=country,
        ),
    )


def add_demo_order(store, index, rng=None):
    """A new FBM order, placed now (the demo's orders that arrive by
    notification while Odoo runs)."""
    rng = rng or random.Random(index)
    marketplace_id = rng.choice(list(DEMO_MARKETPLACES))
    return _demo_order(store, rng, index, marketplace_id, False, "UNSHIPPED", utcnow(), live=True)


def seed_demo_fba(store, now):
    """What Amazon holds of each FBA SKU (some reserved for orders, one unit
    damaged, some on their way in), and a few customer returns of shipped FBA
    orders, one of them damaged: the FBA screens have something true to show."""
    for index, (sku, country) in enumerate(sorted(DEMO_FBA)):
        marketplace_id = next(m for m, c in DEMO_MARKETPLACES.items() if c == country)
        store.set_fba_stock(
            DEMO_SELLER_ID,
            marketplace_id,
            sku,
            fulfillable=20 + 5 * index,
            reserved=2,
            unfulfillable=1 if index % 3 == 0 else 0,
            inbound_shipped=10 if index % 4 == 0 else 0,
        )
    shipped = [
        order
        for order in sorted(store.orders.values(), key=lambda o: o.order_id)
        if order.fulfilled_by == "AMAZON" and order.status == "SHIPPED"
    ]
    dispositions = ("SELLABLE", "SELLABLE", "CUSTOMER_DAMAGED")
    for order, disposition in zip(shipped[: len(dispositions)], dispositions, strict=True):
        item = order.items[0]
        store.add_return(
            DEMO_SELLER_ID,
            order.marketplace_id,
            order.order_id,
            item.sku,
            1,
            disposition=disposition,
            moment=now - timedelta(days=2),
            license_plate_number=f"LPN{order.order_id[-6:]}",
        )


def seed_demo_reports(store, now):
    """The FBA returns report of the last week in each FBA marketplace, written
    with its document (getReport and getReportDocument have something to
    serve), as a seller who asked for them earlier would find them."""
    countries = {country for _sku, country in DEMO_FBA}
    for marketplace_id, country in DEMO_MARKETPLACES.items():
        if country not in countries:
            continue
        report = store.create_report(
            DEMO_SELLER_ID, FBA_RETURNS, [marketplace_id], now - timedelta(days=7), now
        )
        report.created_time = now - timedelta(hours=1)
        while report.status in ("IN_QUEUE", "IN_PROGRESS"):
            process_report(store, report)


DEMO_GERMANY = "A1PA6795UKMFR9"


def seed_demo_money(store, now):
    """Amazon's money about the demo's German orders: a closed payout with
    sales, fees (commission, FBA fulfilment, subscription), a refund and a
    reserve; an open one; and Amazon's invoice for the subscription."""
    shipped = [
        order
        for order in store.orders.values()
        if order.seller_id == DEMO_SELLER_ID
        and order.marketplace_id == DEMO_GERMANY
        and order.status == "SHIPPED"
    ][:10]
    store.add_event_group(
        DEMO_SELLER_ID,
        "DEMO-PAYOUT-DE-1",
        "EUR",
        now - timedelta(days=8),
        end=now - timedelta(hours=3),
        processing_status="Closed",
        fund_transfer_status="Succeeded",
        transfer_date=now - timedelta(hours=2),
        trace_id="DEMO-TRACE-0001",
        account_tail="042",
    )
    store.add_event_group(DEMO_SELLER_ID, "DEMO-PAYOUT-DE-2", "EUR", now - timedelta(hours=3))
    posted = now - timedelta(days=1)
    for order in shipped:
        fees = []
        items = []
        for item in order.items:
            charged = item.item_total + item.shipping_price + item.gift_wrap_price
            items.append(
                {
                    "sku": item.sku,
                    "quantity": item.quantity,
                    "breakdowns": [
                        (kind, amount)
                        for kind, amount in (
                            ("ProductCharges", item.item_total),
                            ("ShippingCharges", item.shipping_price),
                            ("GiftWrapCharges", item.gift_wrap_price),
                            ("Promotion", -item.promotion_discount),
                        )
                        if amount
                    ],
                }
            )
            fees.append(("Commission", -(charged * 15 / 100)))
            if order.fulfilled_by == "AMAZON":
                fees.append(("FBAPerUnitFulfillmentFee", -3.10 * item.quantity))
        store.add_transaction(
            DEMO_SELLER_ID,
            DEMO_GERMANY,
            "Shipment",
            order_id=order.order_id,
            group_id="DEMO-PAYOUT-DE-1",
            posted=posted,
            items=items,
            breakdowns=fees,
        )
    if shipped:
        order, item = shipped[0], shipped[0].items[0]
        unit = item.unit_price
        store.add_transaction(
            DEMO_SELLER_ID,
            DEMO_GERMANY,
            "Refund",
            order_id=order.order_id,
            refund_id="DEMO-REFUND-1",
            group_id="DEMO-PAYOUT-DE-1",
            posted=posted + timedelta(hours=6),
            items=[{"sku": item.sku, "quantity": 1, "breakdowns": [("ProductCharges", -unit)]}],
            breakdowns=[
                ("Commission", unit * 12 / 100),
                ("RefundAdministrationFee", -(unit * 3 / 100)),
            ],
        )
    for kind, detail, amount in (
        ("ServiceFee", "Subscription", "-39.00"),
        ("Reserve", "CurrentReserveAmount", "-25.00"),
    ):
        store.add_transaction(
            DEMO_SELLER_ID,
            DEMO_GERMANY,
            kind,
            group_id="DEMO-PAYOUT-DE-1",
            posted=posted,
            breakdowns=[(detail, amount)],
        )
    store.add_fee_invoice(
        DEMO_SELLER_ID,
        DEMO_GERMANY,
        "DE-AEU-DEMO-0001",
        now - timedelta(days=3),
        [
            {
                "description": "Seller subscription fee",
                "amount": "39.00",
                "tax_rate_code": "LU 0",
                "service_charge_type": "OTHER",
            }
        ],
        payee_name="Amazon EU S.a r.l.",
    )


def load_seed_file(store, path):
    """Seed the store from a JSON file (format in this module's docstring)."""
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    for app in data.get("apps", []):
        store.add_app(
            app["client_id"],
            app["client_secret"],
            app.get("redirect_uris", []),
            app.get("app_id", ""),
        )
    for seller in data.get("sellers", []):
        store.add_seller(
            seller["seller_id"],
            seller["marketplace_ids"],
            client_id=seller.get("client_id"),
            refresh_token=seller.get("refresh_token"),
            store_name=seller.get("store_name", "Emulated Store"),
        )
    now = utcnow()
    for order in data.get("orders", []):
        values = dict(order)
        minutes = values.pop("minutes_ago", 10)
        values.setdefault("created_time", now - timedelta(minutes=minutes))
        store.add_order(
            values.pop("seller_id"),
            values.pop("marketplace_id"),
            values.pop("items"),
            **values,
        )
    for listing in data.get("listings", []):
        values = dict(listing)
        store.add_listing(
            values.pop("seller_id"),
            values.pop("sku"),
            values.pop("marketplace_ids"),
            **values,
        )
    return store
