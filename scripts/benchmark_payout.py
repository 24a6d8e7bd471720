"""Payout reconciliation benchmark (run by scripts/benchmark.sh inside `odoo shell`).

One closed Amazon payout of SAC_BENCH_PAYOUT_TRANSACTIONS transactions (e.g.
"1000,10000"): half are the payments of orders invoiced in Odoo, half
Amazon's fees and charges (storage, advertising, subscription). Measures,
against an in-process emulator on the benchmark's database: reading the
transactions, then booking the payout (one entry, every invoice reconciled):
the time and the SQL queries per transaction, which must not grow with the
number of transactions. Results go in SAC_BENCH_OUT (JSON) under "payout".
"""
# ruff: noqa: F821 - `env` is injected by `odoo shell`; printing is the point

import json
import os
import pathlib
import time
from datetime import UTC, datetime, timedelta

from odoo.addons.sale_amazon_connector.models.amazon_finance_import import FinanceRun
from odoo.addons.sale_amazon_connector.models.flow_run import DateWindow
from odoo.addons.sale_amazon_connector.spapi_emulator import Emulator
from odoo.addons.sale_amazon_connector.spapi_emulator.conformance import find_models_dir

SIZES = [int(n) for n in os.environ.get("SAC_BENCH_PAYOUT_TRANSACTIONS", "1000,10000").split(",")]
OUT = pathlib.Path(os.environ.get("SAC_BENCH_OUT", "benchmark-results.json"))
CLIENT, SECRET = "bench-payout-client", "bench-secret"
DE = "A1PA6795UKMFR9"
CHARGES = ("FBAStorageFee", "AdvertisingFee", "Subscription", "FBAInboundTransportationFee")

emulator = Emulator(
    # Requests checked, answers not: the time measured is the connector's.
    rate_limits=False,
    models_dir=find_models_dir(os.getcwd()),
    check_responses=False,
).start()
store = emulator.store
store.add_app(CLIENT, SECRET)
germany = env["amazon.marketplace"].search([("api_ref", "=", DE)])
euro = env.ref("base.EUR")
euro.active = True
pricelist = env["product.pricelist"].create({"name": "Amazon EUR bench", "currency_id": euro.id})
product = env["product.product"].create(
    {
        "name": "Payout benchmark item",
        "type": "service",
        "invoice_policy": "order",
        "list_price": 10,
    }
)
rows = []
now = datetime.now(UTC)
for size in SIZES:
    SELLER, TOKEN = f"A1BENCHPAY{size}", f"Atzr|bench-payout-{size}"
    store.add_seller(SELLER, [DE], client_id=CLIENT, refresh_token=TOKEN)
    account = env["amazon.account"].create(
        {
            "name": f"Payout benchmark {size}",
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
    orders = size // 2
    buyers = env["res.partner"].create(
        [{"name": f"Buyer {size}-{n}", "amazon_buyer": True} for n in range(min(orders, 500))]
    )
    began = time.perf_counter()
    sales = env["sale.order"].create(
        [
            {
                "partner_id": buyers[n % len(buyers)].id,
                "pricelist_id": pricelist.id,
                "amazon_account_id": account.id,
                "amazon_order_ref": f"302-{size}-{n:06d}",
                "amazon_marketplace_id": germany.id,
                "amazon_channel": "fba",
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "product_uom_qty": 1,
                            "price_unit": 10 + n % 7,
                            "tax_id": [],
                        },
                    )
                ],
            }
            for n in range(orders)
        ]
    )
    sales.action_confirm()
    invoices = sales._create_invoices()
    invoices.action_post()
    print(f"payout {size}: {orders} orders invoiced in {time.perf_counter() - began:.0f} s")
    group_ref = f"FEG-BENCH-{size}"
    start = now - timedelta(days=12)
    group = store.add_event_group(SELLER, group_ref, "EUR", start)
    for n, sale in enumerate(sales):
        store.add_transaction(
            SELLER,
            DE,
            "Shipment",
            posted=start + timedelta(seconds=10 * n + 1),
            order_id=sale.amazon_order_ref,
            group_id=group_ref,
            items=[
                {
                    "sku": "BENCH",
                    "quantity": 1,
                    "breakdowns": [("ProductCharges", str(sale.amount_total))],
                }
            ],
            breakdowns=[("Commission", str(round(-0.15 * sale.amount_total, 2)))],
        )
    for n in range(size - orders):
        store.add_transaction(
            SELLER,
            DE,
            "ServiceFee",
            posted=start + timedelta(seconds=10 * n + 5),
            group_id=group_ref,
            breakdowns=[(CHARGES[n % len(CHARGES)], "-0.50")],
        )
    env.cr.commit()
    account.last_finances_sync = (start + timedelta(days=1)).replace(tzinfo=None)
    Import = env["amazon.finance.import"]
    adapter = account._get_adapter()
    run_account = account.sudo()
    measures = {}
    # 1. The transactions, read while the payout is open.
    queries, began = env.cr.sql_log_count, time.perf_counter()
    run = FinanceRun(account, adapter)
    Import.with_env(run.env)._run_steps(run)
    measures["read"] = (time.perf_counter() - began, env.cr.sql_log_count - queries)
    env.cr.commit()
    # 2. Amazon closes it: read again by its group id, then booked and reconciled.
    group.processing_status, group.transfer_date, group.trace_id = "Closed", now, "BENCH"
    payout = env["amazon.payout"].search([("account_id", "=", account.id)])
    queries, began = env.cr.sql_log_count, time.perf_counter()
    run = FinanceRun(account, adapter)
    window_end = (now - timedelta(minutes=3)).replace(tzinfo=None)
    Import.with_env(run.env)._import_payouts(
        run, DateWindow(window_end - timedelta(days=2), window_end)
    )
    measures["close"] = (time.perf_counter() - began, env.cr.sql_log_count - queries)
    queries, began = env.cr.sql_log_count, time.perf_counter()
    env["amazon.payout.booking"]._book_payouts(run_account, run.result)
    measures["book"] = (time.perf_counter() - began, env.cr.sql_log_count - queries)
    env.cr.commit()
    move = payout.move_id
    open_invoices = invoices.filtered(lambda invoice: invoice.amount_residual)
    row = {
        "transactions": size,
        "orders": orders,
        "state": payout.state,
        "entry_lines": len(move.line_ids),
        "open_invoices": len(open_invoices),
        "calls": adapter.stats.as_dict()["calls"],
    }
    for name, (seconds, count) in measures.items():
        row[f"{name}_seconds"] = round(seconds, 1)
        row[f"{name}_queries_per_transaction"] = round(count / size, 2)
    rows.append(row)
    print("Payout reconciliation:", row)

results = json.loads(OUT.read_text(encoding="utf-8")) if OUT.exists() else {}
results["payout"] = rows
OUT.write_text(json.dumps(results, indent=2), encoding="utf-8")
emulator.stop()
