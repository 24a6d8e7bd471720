"""FBA stock reconciliation benchmark (run by scripts/benchmark.sh inside `odoo shell`).

Reconciles SAC_BENCH_FBA_SKUS SKUs (e.g. "1000,10000") that Amazon holds for
one account against an in-process emulator on the benchmark's database:
Amazon's calls, the time, and the SQL queries per SKU, which must not grow
with the number of SKUs. Each size runs twice: from a drifted state (every
product adjusted), then again with nothing changed. Its results are added to
SAC_BENCH_OUT (JSON) under "fba".

Then Amazon's inventory ledger (issue #39): every SKU has events (an FBA
order Odoo never imported, a loss, a find for half, a damaged unit); a
reconciliation asks for the ledger of its period, the next run reads it and
explains every line. Under "fba_ledger": the reading run's time, queries per
SKU (flat: no query per event), the events recorded and the units unexplained.
"""
# ruff: noqa: F821 - `env` is injected by `odoo shell`; printing is the point

import json
import os
import pathlib
import random
import time

from odoo.addons.sale_amazon_connector.models.amazon_fba_inventory import FbaRun
from odoo.addons.sale_amazon_connector.spapi_emulator import Emulator
from odoo.addons.sale_amazon_connector.spapi_emulator.common import utcnow
from odoo.addons.sale_amazon_connector.spapi_emulator.conformance import find_models_dir

SIZES = [int(n) for n in os.environ.get("SAC_BENCH_FBA_SKUS", "1000,10000").split(",")]
OUT = pathlib.Path(os.environ.get("SAC_BENCH_OUT", "benchmark-results.json"))
CLIENT, SECRET = "bench-fba-client", "bench-secret"
DE = "A1PA6795UKMFR9"
rng = random.Random(17)

emulator = Emulator(
    # Requests checked, answers not: the time measured is the connector's.
    rate_limits=False,
    models_dir=find_models_dir(os.getcwd()),
    check_responses=False,
).start()
store = emulator.store
store.add_app(CLIENT, SECRET)
germany = env["amazon.marketplace"].search([("api_ref", "=", DE)])
env.ref("base.EUR").active = True
# The ledger of a reconciliation is asked for at once (Amazon's own lag: 12 hours).
env["ir.config_parameter"].set_param("sale_amazon_connector.fba_ledger_settle_hours", 0)
rows, ledger_rows = [], []


def reconcile(account):
    """One whole reconciliation run, measured: (seconds, queries, adapter, record)."""
    adapter = account._get_adapter()
    queries = env.cr.sql_log_count
    began = time.perf_counter()
    run = FbaRun(account, adapter)
    env["amazon.fba.inventory"].with_env(run.env)._run_steps(run)
    seconds = time.perf_counter() - began
    env.cr.commit()
    return seconds, env.cr.sql_log_count - queries, adapter, run.result.extra["reconciliation"]


for size in SIZES:
    # A seller per size: an account per seller.
    SELLER, TOKEN = f"A1BENCHFBA{size}", f"Atzr|bench-fba-{size}"
    store.add_seller(SELLER, [DE], client_id=CLIENT, refresh_token=TOKEN)
    account = env["amazon.account"].create(
        {
            "name": f"FBA benchmark {size}",
            "signup_marketplace_id": germany.id,
            "environment": "custom",
            "custom_api_url": emulator.url,
            "lwa_client_id": CLIENT,
            "lwa_client_secret": SECRET,
            "refresh_token": TOKEN,
            "seller_ref": SELLER,
            "available_marketplace_ids": [(6, 0, germany.ids)],
            "marketplace_ids": [(6, 0, germany.ids)],
            # Its own Amazon location: the sizes do not share stock.
            "location_id": env["stock.location"]
            .create({"name": f"Amazon FBA bench {size}", "usage": "internal"})
            .id,
        }
    )
    products = env["product.product"].create(
        [{"name": f"FBA {size} {n}", "is_storable": True} for n in range(size)]
    )
    env["amazon.offer"].create(
        [
            {"account_id": account.id, "sku": f"FBA-{size}-{n:05d}", "product_id": p.id}
            for n, p in enumerate(products)
        ]
    )
    # The drifted state: what FBA orders took out of a location nothing filled.
    for product in products:
        env["stock.quant"]._update_available_quantity(
            product, account.location_id, -rng.randint(1, 5)
        )
    for n in range(size):
        store.set_fba_stock(
            SELLER,
            DE,
            f"FBA-{size}-{n:05d}",
            fulfillable=rng.randint(0, 40),
            reserved=rng.randint(0, 3),
            inbound_shipped=rng.randint(0, 10),
            unfulfillable=rng.randint(0, 2),
        )
    env.cr.commit()
    for label in ("drifted", "unchanged"):
        seconds, queries, adapter, record = reconcile(account)
        calls = adapter.stats.as_dict()["calls"]
        row = {
            "skus": size,
            "run": label,
            "seconds": round(seconds, 1),
            # Of which waiting for the in-process emulator's answers (its paging
            # and the check of each response against Amazon's model).
            "api_seconds": round(sum(adapter.stats.seconds.values()), 1),
            # getInventorySummaries' default plan: 2 requests per second, burst 2.
            "amazon_wait_s": round(max(calls.get("getInventorySummaries", 0) - 2, 0) / 2),
            "calls": calls,
            "queries_per_sku": round(queries / size, 2),
            "adjusted": record.adjusted_count,
        }
        rows.append(row)
        print("FBA reconciliation:", row)
    # Amazon's ledger: events of every SKU after the last reconciliation.
    time.sleep(1.1)  # the next period starts after the last reconciliation's second
    moment = utcnow()
    for n in range(size):
        sku = f"FBA-{size}-{n:05d}"
        stock = store.fba_stock[SELLER, DE, sku]
        if stock.fulfillable < 3:
            store.set_fba_stock(SELLER, DE, sku, fulfillable=3)  # unexplained, as it should be
        order = f"302-{size:05d}{n:02d}-{n:07d}"
        store.fba_event(SELLER, DE, sku, "Shipments", -1, reference_id=order, moment=moment)
        store.fba_event(SELLER, DE, sku, "Adjustments", -1, reason="M", moment=moment)
        if n % 2:
            store.fba_event(SELLER, DE, sku, "Adjustments", 1, reason="F", moment=moment)
        store.fba_event(SELLER, DE, sku, "Adjustments", -1, reason="E", moment=moment)
    time.sleep(1.1)
    _seconds, _queries, _adapter, explained = reconcile(account)  # asks for its ledger
    seconds, queries, adapter, _record = reconcile(account)  # reads it, explains
    events = env["amazon.fba.ledger.event"].search_count([("reconciliation_id", "=", explained.id)])
    row = {
        "skus": size,
        "seconds": round(seconds, 1),
        "calls": adapter.stats.as_dict()["calls"],
        "queries_per_sku": round(queries / size, 2),
        "state": explained.ledger_state,
        "events": events,
        "lines": len(explained.line_ids),
        "unexplained_products": explained.unexplained_count,
        "unexplained_units": sum(explained.line_ids.mapped("abs_unexplained")),
        "claims": env["amazon.fba.ledger.event"].search_count(
            [("account_id", "=", account.id), ("claim_state", "=", "open")]
        ),
    }
    ledger_rows.append(row)
    print("FBA ledger:", row)

results = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
results["fba"] = rows
results["fba_ledger"] = ledger_rows
OUT.write_text(json.dumps(results, indent=2), encoding="utf-8")
emulator.stop()
