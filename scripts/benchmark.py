"""Performance and scale benchmark (run by scripts/benchmark.sh inside `odoo shell`).

Drives the real importer and stock pusher against an in-process emulator on a
fresh database, and prints one table. Sizes come from the environment:
SAC_BENCH_ORDERS (e.g. "1000,10000"), SAC_BENCH_FLAT (e.g. "0,10000,100000"),
SAC_BENCH_OFFERS (e.g. 10000). Results also go to SAC_BENCH_OUT (JSON).
"""
# ruff: noqa: F821 - `env` is injected by `odoo shell`; printing is the point

import json
import os
import random
import resource
import time
from datetime import datetime, timedelta, timezone

from odoo.addons.sale_amazon_connector.models.amazon_listing_import import ListingRun
from odoo.addons.sale_amazon_connector.models.amazon_order_import import OrderRun
from odoo.addons.sale_amazon_connector.models.amazon_stock_push import StockRun
from odoo.addons.sale_amazon_connector.spapi import MemoryThrottle
from odoo.addons.sale_amazon_connector.spapi_emulator import Address, Emulator
from odoo.addons.sale_amazon_connector.spapi_emulator.conformance import find_models_dir


def import_orders(account, adapter):
    """The orders flow's run, without the sync log (the benchmark measures the import)."""
    run = OrderRun(account, adapter)
    env["amazon.order.import"].with_env(run.env)._run_steps(run)
    return run.result


ORDER_SIZES = [int(n) for n in os.environ.get("SAC_BENCH_ORDERS", "1000").split(",")]
FLAT_SIZES = [int(n) for n in os.environ.get("SAC_BENCH_FLAT", "0,10000").split(",")]
OFFERS = int(os.environ.get("SAC_BENCH_OFFERS", "10000"))
OUT = os.environ.get("SAC_BENCH_OUT", "benchmark-results.json")
SELLER, CLIENT, SECRET, TOKEN = "A1BENCH", "bench-client", "bench-secret", "Atzr|bench"
US, DE, UK = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1F83G8C2ARO7P"
SKUS = [f"BENCH-{n:04d}" for n in range(200)]
results = {}
rng = random.Random(7)


def now():
    return datetime.now(timezone.utc).replace(microsecond=0)


# Requests checked against Amazon's models, as in the tests (when they are found).
emulator = Emulator(
    # Requests checked, answers not: the time measured is the connector's.
    rate_limits=False,
    models_dir=find_models_dir(os.getcwd()),
    check_responses=False,
).start()
store = emulator.store
store.add_app(CLIENT, SECRET)
store.add_seller(SELLER, [US, DE, UK], client_id=CLIENT, refresh_token=TOKEN)

for code in ("EUR", "USD"):
    env.ref(f"base.{code}").active = True
    env["product.pricelist"].create(
        {"name": f"Bench {code}", "currency_id": env.ref(f"base.{code}").id}
    )
products = env["product.product"].create(
    [{"name": sku, "default_code": sku, "is_storable": True} for sku in SKUS]
)
warehouse = env["stock.warehouse"].search([], limit=1)
for product in products:
    env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 10_000)
marketplaces = env["amazon.marketplace"].search([("api_ref", "in", [US, DE])])
account = env["amazon.account"].create(
    {
        "name": "Benchmark",
        "signup_marketplace_id": marketplaces.filtered(lambda m: m.api_ref == US).id,
        "environment": "custom",
        "custom_api_url": emulator.url,
        "lwa_client_id": CLIENT,
        "lwa_client_secret": SECRET,
        "refresh_token": TOKEN,
        "seller_ref": SELLER,
        "available_marketplace_ids": [(6, 0, marketplaces.ids)],
        "marketplace_ids": [(6, 0, marketplaces.ids)],
    }
)
env.cr.commit()


def seed_orders(count, start, rng):
    """``count`` orders, mixed FBA/FBM, 1 to 5 lines, over two marketplaces."""
    orders = []
    for n in range(count):
        marketplace = US if n % 2 else DE
        fba = n % 3 == 0
        items = [
            {"sku": sku, "title": sku, "quantity": rng.randint(1, 3), "unit_price": "12.50"}
            for sku in rng.sample(SKUS, rng.randint(1, 5))
        ]
        items[0]["shipping_price"] = "4.99"
        orders.append(
            store.add_order(
                SELLER,
                marketplace,
                items,
                fulfilled_by="AMAZON" if fba else "MERCHANT",
                status="SHIPPED" if fba else "UNSHIPPED",
                created_time=start + timedelta(seconds=n),
                buyer_name=f"Buyer {n}",
                buyer_email=f"b{start.timestamp():.0f}-{n}@example.com",
                address=Address(
                    name=f"Buyer {n}",
                    address_line1=f"{n} Main St",
                    city="Town",
                    postal_code="12345",
                    country_code="US" if marketplace == US else "DE",
                ),
            )
        )
    return orders


def import_window(count, seed=None):
    """Import ``count`` fresh orders; (seconds, queries, api stats). With ``seed``,
    the orders have the same shape (channels, lines, quantities) every time."""
    store.orders.clear()
    start = now() - timedelta(hours=3)
    seed_orders(count, start, random.Random(seed) if seed is not None else rng)
    account.last_orders_sync = (start - timedelta(minutes=10)).replace(tzinfo=None)
    env.cr.commit()
    queries = env.cr.sql_log_count
    began = time.perf_counter()
    waits = []
    # Amazon's default plan for searchOrders is 20 calls at once, then one per 180 s: the
    # waits it would impose are recorded, not slept, since they measure Amazon, not us
    # (on this process's own buckets: the shared ones count a wait not slept as owed).
    adapter = account._get_adapter(sleep=waits.append, throttle=MemoryThrottle(waits.append))
    result = import_orders(account, adapter)
    elapsed = time.perf_counter() - began
    assert result.created == count, result
    stats = {**adapter.stats.as_dict(), "throttle_wait_s": round(sum(waits))}
    return elapsed, env.cr.sql_log_count - queries, stats


def floor(count):
    """The same orders created and confirmed straight through the ORM."""
    partner = env["res.partner"].create({"name": "Floor buyer"})
    pricelist = env["product.pricelist"].search([("currency_id.name", "=", "USD")], limit=1)
    began = time.perf_counter()
    for page in range(0, count, 100):
        orders = env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "pricelist_id": pricelist.id,
                    "order_line": [
                        (0, 0, {"product_id": product.id, "product_uom_qty": 1, "price_unit": 12.5})
                        for product in rng.sample(products, rng.randint(1, 5))
                    ],
                }
                for _n in range(min(100, count - page))
            ]
        )
        orders.action_confirm()
        env.cr.commit()
    return time.perf_counter() - began


# Flatness (issue's measure 3) -----------------------------------------------------------
# Measured first, its zero point being the empty database; the measures after it run on
# the grown database, as a large seller's would.
# The database is grown with copies, made in SQL, of one sample of each kind of row an
# import touches: a customer with an email, a product with an internal reference and
# its Amazon offer, an Amazon order of the account with one line and a done stock move.
# Creating 100,000 of each through the ORM would take about an hour on this machine;
# the copies give the same table and index sizes in seconds.
FILL_SEQUENCES = {
    "partner": "res_partner",
    "tmpl": "product_template",
    "product": "product_product",
    "offer": "amazon_offer",
    "sale": "sale_order",
    "line": "sale_order_line",
    "move": "stock_move",
}


def make_samples():
    partner = env["res.partner"].create({"name": "Filler", "email": "filler@example.com"})
    product = env["product.product"].create(
        {"name": "Filler", "default_code": "FILL", "is_storable": True}
    )
    offer = env["amazon.offer"].create(  # no listing: not part of the stock pushes measured below
        {"account_id": account.id, "sku": "FILL", "product_id": product.id}
    )
    sale = env["sale.order"].create(
        {
            "partner_id": partner.id,
            "amazon_account_id": account.id,
            "amazon_order_ref": "FILL",
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
        }
    )
    sale.action_confirm()
    move = sale.order_line.move_ids[:1]
    env.cr.commit()
    return {
        "res_partner": partner.id,
        "product_template": product.product_tmpl_id.id,
        "product_product": product.id,
        "amazon_offer": offer.id,
        "sale_order": sale.id,
        "sale_order_line": sale.order_line.id,
        "stock_move": move.id,
    }


def clone(table, sample_id, id_column, overrides):
    """Insert one copy of row ``sample_id`` of ``table`` per row of bench_fill,
    with the id of bench_fill's ``id_column`` and the ``overrides`` (SQL over f)."""
    env.cr.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s",
        [table],
    )
    existing = {name for (name,) in env.cr.fetchall()}
    overrides = {col: expr for col, expr in overrides.items() if col in existing}
    copied = sorted(existing - {"id"} - set(overrides))
    targets = ", ".join(f'"{col}"' for col in ["id", *copied, *overrides])
    values = ", ".join([f"f.{id_column}", *(f's."{col}"' for col in copied), *overrides.values()])
    env.cr.execute(
        f"INSERT INTO {table} ({targets}) SELECT {values}"
        f" FROM bench_fill f, {table} s WHERE s.id = %s",
        [sample_id],
    )


def grow_database(samples, first, last):
    """Copies number ``first`` to ``last`` (inclusive) of every sample row."""
    ids = ", ".join(f"nextval('{table}_id_seq') AS {key}" for key, table in FILL_SEQUENCES.items())
    env.cr.execute("DROP TABLE IF EXISTS bench_fill")
    env.cr.execute(
        f"CREATE TEMP TABLE bench_fill AS SELECT g, {ids} FROM generate_series(%s, %s) g",
        [first, last],
    )
    name = "'Filler ' || f.g"
    code = "'FILL-' || f.g"
    clone(
        "res_partner",
        samples["res_partner"],
        "partner",
        {
            "name": name,
            "complete_name": name,
            "email": "'filler-' || f.g || '@example.com'",
            "email_normalized": "'filler-' || f.g || '@example.com'",
            "commercial_partner_id": "f.partner",
        },
    )
    clone(
        "product_template",
        samples["product_template"],
        "tmpl",
        {
            "name": f"jsonb_build_object('en_US', {name})",
            "default_code": code,
        },
    )
    clone(
        "product_product",
        samples["product_product"],
        "product",
        {
            "product_tmpl_id": "f.tmpl",
            "default_code": code,
        },
    )
    clone(
        "amazon_offer",
        samples["amazon_offer"],
        "offer",
        {
            "product_id": "f.product",
            "sku": code,
        },
    )
    clone(
        "sale_order",
        samples["sale_order"],
        "sale",
        {
            "name": "'FILL/' || f.g",
            "amazon_order_ref": code,
            "partner_id": "f.partner",
            "partner_invoice_id": "f.partner",
            "partner_shipping_id": "f.partner",
        },
    )
    clone(
        "sale_order_line",
        samples["sale_order_line"],
        "line",
        {
            "order_id": "f.sale",
            "product_id": "f.product",
            "order_partner_id": "f.partner",
        },
    )
    clone(
        "stock_move",
        samples["stock_move"],
        "move",
        {
            "product_id": "f.product",
            "sale_line_id": "f.line",
            "partner_id": "f.partner",
            "picking_id": "NULL",
            "state": "'done'",
            "reference": "'FILL/' || f.g",
        },
    )
    env.cr.execute("DROP TABLE bench_fill")
    env.cr.execute("ANALYZE")
    env.cr.commit()
    env.invalidate_all()


def best_of(runs, count):
    """(seconds, queries) of the fastest of ``runs`` imports of ``count`` orders:
    the machine is shared, the slowest runs measure the neighbours."""
    measures = [import_window(count, seed=11)[:2] for _run in range(runs)]
    return min(measures)


results["flatness"] = []
samples = make_samples()
# Warm-up: the first import of the SKUs creates their offers and the quants of the Amazon
# location, as happens once at any seller; the measured windows all find them.
import_window(300, seed=11)
filled = 0
for target in FLAT_SIZES:
    if target > filled:
        began = time.perf_counter()
        grow_database(samples, filled + 1, target)
        print(f"database grown to {target} orders in {time.perf_counter() - began:.0f} s")
        filled = target
    in_database = env["sale.order"].search_count([])
    elapsed, queries = best_of(2, 300)
    row = {
        "existing_orders": target,
        "orders_in_database": in_database,
        "queries_per_order": round(queries / 300, 1),
        "ms_per_order": round(elapsed / 300 * 1000, 1),
    }
    results["flatness"].append(row)
    print("Flatness:", row)

# API efficiency (1) ---------------------------------------------------------------------
elapsed, queries, stats = import_window(1000)
calls = stats["calls"]
results["api"] = {
    "orders": 1000,
    "calls": calls,
    "calls_per_100_orders": round(sum(v for k, v in calls.items() if k != "lwaToken") / 10, 2),
    "v0_pattern_per_100_orders": round((1000 / 100 + 1000) / 10, 2),
}
print("API efficiency:", results["api"])

# Throughput and memory (2, 6) -----------------------------------------------------------
results["throughput"] = []
for size in ORDER_SIZES:
    elapsed, queries, stats = import_window(size)
    # Read before the floor runs (ru_maxrss is the process's peak so far; the emulator
    # runs in the same process, its copy of the orders included).
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    floor_elapsed = floor(size)
    row = {
        "orders": size,
        "connector_orders_per_s": round(size / elapsed, 1),
        "floor_orders_per_s": round(size / floor_elapsed, 1),
        "ratio": round(elapsed / floor_elapsed, 2),
        "queries_per_order": round(queries / size, 1),
        "peak_rss_mb": peak_rss_mb,
        "search_calls": stats["calls"].get("searchOrders", 0),
        "amazon_default_plan_wait_s": stats["throttle_wait_s"],
    }
    results["throughput"].append(row)
    print("Throughput:", row)

# Stock push (4), to three marketplaces -----------------------------------------------------
all_marketplaces = env["amazon.marketplace"].search([("api_ref", "in", [US, DE, UK])])
account.write(
    {
        "fbm_stock_sync": True,
        "available_marketplace_ids": [(6, 0, all_marketplaces.ids)],
        "marketplace_ids": [(6, 0, all_marketplaces.ids)],
    }
)
store.listings.clear()
env["amazon.listing"].search([]).unlink()  # the orders' listings: only these are measured
items = env["product.product"].create(
    [{"name": f"Stock {n}", "is_storable": True} for n in range(OFFERS)]
)
offers = env["amazon.offer"].create(
    [
        {
            "account_id": account.id,
            "sku": f"STOCK-{n:05d}",
            "product_id": p.id,
            "listing_ids": [(0, 0, {"marketplace_id": m.id}) for m in all_marketplaces],
        }
        for n, p in enumerate(items)
    ]
)
for offer in offers:
    store.add_listing(SELLER, offer.sku, [US, DE, UK], quantity=5)
env.cr.commit()
results["stock"] = {"marketplaces": 3, "listings": len(offers.listing_ids)}
# 6 products changed: 18 listings, under the 20 that go by patch.
for label, change in (("all_changed", None), ("few_changed", 6), ("nothing_changed", 0)):
    if change:
        for product in items[:change]:
            env["stock.quant"]._update_available_quantity(product, warehouse.lot_stock_id, 3)
    adapter = account._get_adapter()
    began = time.perf_counter()
    run = StockRun(account, adapter)
    env["amazon.stock.push"].with_env(run.env)._run_steps(run)
    pushed = run.result
    results["stock"][label] = {
        "seconds": round(time.perf_counter() - began, 2),
        "calls": adapter.stats.as_dict()["calls"],
        "sent": pushed.extra["sent"],
    }
    env.cr.commit()
    print("Stock push", label, results["stock"][label])

# Listings import (7): OFFERS SKUs on three marketplaces, from an empty catalogue ----------
store.listings.clear()
env["amazon.offer"].search([]).unlink()
known = env["product.product"].create(
    [
        {"name": f"Listed {n}", "default_code": f"LIST-{n:05d}", "is_storable": True}
        for n in range(0, OFFERS, 2)  # half matched by internal reference
    ]
)
started = now()
for n in range(OFFERS):
    listing = store.add_listing(
        SELLER,
        f"LIST-{n:05d}",
        [US, DE, UK],
        quantity=3,
        channels={US: "AMAZON_NA"} if n % 3 == 0 else None,
        identifiers={"EAN": f"40{n:011d}"},
    )
    # Distinct creation times, as a catalogue built over months has.
    listing.created_time = started - timedelta(minutes=OFFERS - n)
for n in range(1, OFFERS, 4):  # a quarter matched by barcode
    known |= env["product.product"].create(
        {"name": f"Barcode {n}", "barcode": f"40{n:011d}", "is_storable": True}
    )
env.cr.commit()
results["listings"] = {"skus": OFFERS, "marketplaces": 3}
for label in ("first", "again"):
    adapter = account._get_adapter()
    queries = env.cr.sql_log_count
    began = time.perf_counter()
    run = ListingRun(account, adapter)
    env["amazon.listing.import"].with_env(run.env)._run_steps(run)
    imported = run.result
    calls = adapter.stats.as_dict()["calls"]
    results["listings"][label] = {
        "seconds": round(time.perf_counter() - began, 1),
        # Of which waiting for the in-process emulator's answers (its filtering,
        # paging and checks of each response against Amazon's model).
        "api_seconds": round(sum(adapter.stats.seconds.values()), 1),
        "calls": calls,
        "queries_per_sku": round((env.cr.sql_log_count - queries) / OFFERS, 1),
        "offers_created": imported.extra["offers_created"],
        "to_review": imported.extra["to_review"],
        "listings_created": imported.created,
        "updated": imported.updated,
        "unreached": imported.extra["unreached"],
        # searchListingsItems' default plan: 5 requests per second, burst 5.
        "amazon_wait_s": round(max(calls.get("searchListingsItems", 0) - 5, 0) / 5),
    }
    env.cr.commit()
    print("Listings import", label, results["listings"][label])

# Quiet sync (5) -------------------------------------------------------------------------
store.orders.clear()
account.last_orders_sync = (now() - timedelta(minutes=20)).replace(tzinfo=None)
adapter = account._get_adapter()
began = time.perf_counter()
import_orders(account, adapter)
results["quiet"] = {
    "seconds": round(time.perf_counter() - began, 3),
    "calls": adapter.stats.as_dict()["calls"],
}
print("Quiet sync:", results["quiet"])

results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
with open(OUT, "w", encoding="utf-8") as handle:
    json.dump(results, handle, indent=2)
print(json.dumps(results, indent=2))
emulator.stop()
