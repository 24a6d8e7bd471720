"""Buy Shipping benchmark (run by scripts/benchmark.sh inside `odoo shell`).

SAC_BENCH_LABELS (e.g. "50") FBM orders of amazon.de are imported, then each
delivery is validated as a warehouse user does it, with a shipping method of
type Amazon Buy Shipping: rated, bought, the label attached and billed, one
commit per delivery. Measures the time per delivery (rate and buy, against an
in-process emulator without rate limits: the connector's time, Amazon's
answers included), the SQL queries per delivery on the delivery's cursor
(the purchase written down beforehand uses a cursor of its own: two more),
and the calls. Results go in SAC_BENCH_OUT (JSON) under "labels".
"""
# ruff: noqa: F821 - `env` is injected by `odoo shell`; printing is the point

import json
import os
import pathlib
import statistics
import time

from odoo.addons.sale_amazon_connector.spapi_emulator import Address, Emulator
from odoo.addons.sale_amazon_connector.spapi_emulator.conformance import find_models_dir

COUNT = int(os.environ.get("SAC_BENCH_LABELS", "50"))
OUT = pathlib.Path(os.environ.get("SAC_BENCH_OUT", "benchmark-results.json"))
CLIENT, SECRET = "bench-labels-client", "bench-secret"
SELLER, TOKEN = "A1BENCHLABELS", "Atzr|bench-labels"
DE = "A1PA6795UKMFR9"

emulator = Emulator(
    # Requests checked, answers not: the time measured is the connector's.
    rate_limits=False,
    models_dir=find_models_dir(os.getcwd()),
    check_responses=False,
).start()
store = emulator.store
store.add_app(CLIENT, SECRET)
store.add_seller(SELLER, [DE], client_id=CLIENT, refresh_token=TOKEN)
germany = env["amazon.marketplace"].search([("api_ref", "=", DE)])
env.ref("base.EUR").active = True
env["product.pricelist"].create(
    {"name": "Amazon EUR labels", "currency_id": env.ref("base.EUR").id}
)
env.company.partner_id.write(
    {"street": "Lagerstr. 1", "city": "Berlin", "zip": "10115", "country_id": env.ref("base.de").id}
)
env["product.product"].create(
    {"name": "Mug", "default_code": "LABEL-MUG", "is_storable": True, "weight": 0.4}
)
box = env["stock.package.type"].create(
    {"name": "Bench box", "packaging_length": 30, "width": 20, "height": 10}
)
carrier = env["delivery.carrier"].create(
    {
        "name": "Amazon Buy Shipping (benchmark)",
        "delivery_type": "amazon",
        "product_id": env.ref("sale_amazon_connector.product_amazon_shipping").id,
        "amazon_package_type_id": box.id,
    }
)
account = env["amazon.account"].create(
    {
        "name": "Labels benchmark",
        "signup_marketplace_id": germany.id,
        "environment": "custom",
        "custom_api_url": emulator.url,
        "lwa_client_id": CLIENT,
        "lwa_client_secret": SECRET,
        "refresh_token": TOKEN,
        "seller_ref": SELLER,
        "available_marketplace_ids": [(6, 0, germany.ids)],
        "marketplace_ids": [(6, 0, germany.ids)],
    }
)
for n in range(COUNT):
    store.add_order(
        SELLER,
        DE,
        [{"sku": "LABEL-MUG", "title": "Mug", "quantity": 1 + n % 3, "unit_price": "11.90"}],
        buyer_name=f"Buyer {n}",
        buyer_email=f"buyer{n}@marketplace.amazon.example",
        address=Address(
            name=f"Buyer {n}",
            address_line1="Hauptstr. 1",
            city="Berlin",
            postal_code="10115",
            country_code="DE",
        ),
    )
account._sync_orders()
env.cr.commit()
pickings = env["sale.order"].search([("amazon_account_id", "=", account.id)]).picking_ids
clerk = env["res.users"].create(
    {
        "name": "Bench packer",
        "login": "bench_packer",
        "groups_id": [(6, 0, [env.ref("stock.group_stock_user").id])],
    }
)
env.cr.commit()
calls_before = len(emulator.calls)
seconds, queries = [], []
for picking in pickings.with_user(clerk).sorted("id"):
    picking.carrier_id = carrier
    for move in picking.move_ids:
        move.quantity = move.product_uom_qty
        move.picked = True
    env.cr.commit()
    count, began = env.cr.sql_log_count, time.perf_counter()
    picking.button_validate()
    env.cr.commit()
    seconds.append(time.perf_counter() - began)
    queries.append(env.cr.sql_log_count - count)
calls = {}
for call in emulator.calls[calls_before:]:
    calls[call.operation] = calls.get(call.operation, 0) + 1
labels = env["amazon.shipping.label"].search([("account_id", "=", account.id)])
seconds.sort()
row = {
    "deliveries": len(pickings),
    "labels": len(labels),
    "billed": len(labels.filtered("bill_id")),
    "shipped_on_amazon": sum(1 for order in store.orders.values() if order.status == "SHIPPED"),
    "p50_seconds": round(statistics.median(seconds), 3),
    "p95_seconds": round(seconds[int(0.95 * (len(seconds) - 1))], 3),
    "queries_per_delivery": round(statistics.mean(queries), 1),
    "calls": calls,
}
print("Buy Shipping:", row)
results = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
results["labels"] = [row]
OUT.write_text(json.dumps(results, indent=2), encoding="utf-8")
emulator.stop()
