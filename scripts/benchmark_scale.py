"""Many accounts, one or two workers: Odoo's crons against queue_job (issue #19).

Run by ``SAC_BENCH_ONLY=scale bash scripts/benchmark.sh`` with plain Python
(not ``odoo shell``): for each configuration it copies a template database,
fills an in-process emulator (its rate limits on, at an accelerated speed) with
ACCOUNTS sellers of ORDERS orders each, creates the accounts in an ``odoo
shell``, then starts a real Odoo server (``--workers``, cron threads, and for
queue_job the job runner with a channel capacity) and watches the database
until every order is in, or the time limit passes. Measured per
configuration: seconds, orders per second, 429s Amazon (the emulator)
returned, orders duplicated and lost, and the first sync's fairness: the
seconds until every account has its first page.

Environment: SAC_BENCH_SCALE_ACCOUNTS (20), SAC_BENCH_SCALE_ORDERS (per
account, 100), SAC_BENCH_SCALE_SPEED (rate-limit speed factor, 100),
SAC_BENCH_SCALE_CONFIGS (all: cron-1,cron-2,queue-1,queue-2),
SAC_BENCH_SCALE_TIMEOUT (seconds per configuration, 1800), SAC_BENCH_DB_CRON and
SAC_BENCH_DB_QUEUE (templates), SAC_ADDONS_PATH, PG* and SAC_BENCH_OUT (JSON).
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import psycopg2

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spapi_emulator import Emulator  # noqa: E402
from spapi_emulator.store import Address  # noqa: E402

ACCOUNTS = int(os.environ.get("SAC_BENCH_SCALE_ACCOUNTS", "20"))
ORDERS = int(os.environ.get("SAC_BENCH_SCALE_ORDERS", "100"))
SPEED = float(os.environ.get("SAC_BENCH_SCALE_SPEED", "100"))
CONFIGS = os.environ.get("SAC_BENCH_SCALE_CONFIGS", "cron-1,cron-2,queue-1,queue-2").split(",")
TIMEOUT = float(os.environ.get("SAC_BENCH_SCALE_TIMEOUT", "1800"))
OUT = os.environ.get("SAC_BENCH_OUT", "benchmark-results.json")
PG = {
    "host": os.environ.get("PGHOST", "127.0.0.1"),
    "port": os.environ.get("PGPORT", "5432"),
    "user": os.environ.get("PGUSER", "odoo"),
}
CLIENT, SECRET, APP = "scale-client", "scale-secret", "amzn1.sp.solution.scale"
US = "ATVPDKIKX0DER"

SETUP = """
import json, os
from datetime import timedelta
from odoo import fields
cfg = json.loads(os.environ["SAC_SCALE_CONFIG"])
env.company.write({"amazon_app_ref": cfg["app"], "amazon_lwa_client_id": cfg["client"],
                   "amazon_lwa_client_secret": cfg["secret"]})
env["product.product"].create({"name": "Mug", "default_code": "MUG-01", "is_storable": True})
usd = env.ref("base.USD")
usd.active = True
env["product.pricelist"].create({"name": "Amazon USD", "currency_id": usd.id})
us = env["amazon.marketplace"].search([("api_ref", "=", cfg["marketplace"])])
for n, (seller, token) in enumerate(cfg["sellers"]):
    env["amazon.account"].create({
        "name": "Scale %02d" % n, "signup_marketplace_id": us.id, "environment": "custom",
        "custom_api_url": cfg["url"], "seller_ref": seller, "refresh_token": token,
        "available_marketplace_ids": [(6, 0, us.ids)], "marketplace_ids": [(6, 0, us.ids)],
        "link_date": fields.Datetime.now(),
        "last_orders_sync": fields.Datetime.now() - timedelta(days=2),
    })
# Only the order cron runs, due now: the measure is the orders' import.
crons = env["ir.cron"].search([("cron_name", "like", "Amazon:")])
crons.filtered(lambda c: "synchronize orders" not in c.cron_name).active = False
order_cron = env.ref("sale_amazon_connector.ir_cron_amazon_sync_orders")
order_cron.write({"active": True, "nextcall": fields.Datetime.now(), "interval_number": 1,
                  "interval_type": "minutes"})
if "queue.job" in env:
    # queue_job: the chains of page jobs are queued now, the runner starts them
    # as the server comes up (the cron would only queue them a minute later).
    env["amazon.order.import"]._cron_sync()
env.cr.commit()
print("READY")
"""


def sql(db, query, args=()):
    connection = psycopg2.connect(dbname=db, **PG)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(query, args)
            return cursor.fetchall()
    finally:
        connection.close()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Not ``python -m odoo``: see odoo_server.py.
ODOO = [sys.executable, str(ROOT / "scripts" / "odoo_server.py")]


def odoo(db, *args, env=None, log=None):
    """An Odoo process; its output goes to ``log`` (a file) when given: a
    server's log must never fill a pipe nobody reads (it would block Odoo)."""
    command = [
        *ODOO,
        *args,
        f"--addons-path={os.environ['SAC_ADDONS_PATH']}",
        f"--db_host={PG['host']}",
        f"--db_port={PG['port']}",
        f"--db_user={PG['user']}",
        f"--database={db}",
        "--log-level=warn",
    ]
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=log or subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )


def seed(emulator, sellers):
    now = datetime.now(timezone.utc)
    for seller, token in sellers:
        emulator.store.add_seller(seller, [US], client_id=CLIENT, refresh_token=token)
        for n in range(ORDERS):
            emulator.store.add_order(
                seller,
                US,
                [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}],
                created_time=now - timedelta(hours=20) + timedelta(seconds=20 * n),
                buyer_name=f"Buyer {n % 50}",
                buyer_email=f"buyer{n % 50}@marketplace.amazon.example",
                address=Address(
                    name=f"Buyer {n % 50}",
                    address_line1=f"{n} Main St",
                    city="Seattle",
                    postal_code="98101",
                    country_code="US",
                    state_or_region="WA",
                ),
            )


def run(config):
    mode, workers = config.split("-")
    workers = int(workers)
    template = os.environ["SAC_BENCH_DB_QUEUE" if mode == "queue" else "SAC_BENCH_DB_CRON"]
    db = f"{template}_{mode}{workers}"
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-T", template, db], check=True)
    emulator = Emulator(speed=SPEED).start()
    emulator.store.add_app(CLIENT, SECRET, app_id=APP)
    sellers = [(f"A1SCALE{n:03d}", f"Atzr|scale-{n}") for n in range(ACCOUNTS)]
    seed(emulator, sellers)
    config_env = {
        "app": APP,
        "client": CLIENT,
        "secret": SECRET,
        "marketplace": US,
        "url": emulator.url,
        "sellers": sellers,
    }
    setup = odoo(db, "shell", "--no-http", env={"SAC_SCALE_CONFIG": json.dumps(config_env)})
    out, _err = setup.communicate(SETUP, timeout=600)
    assert "READY" in out, out[-3000:]
    expected = ACCOUNTS * ORDERS
    server_args = [f"--http-port={free_port()}", f"--db-filter=^{db}$"]
    server_env = {}
    if mode == "cron":
        # Odoo's crons: one cron job runs in one thread at a time, whatever the
        # number of threads; the workers serve HTTP.
        server_args += [f"--workers={workers}", f"--max-cron-threads={workers}"]
    else:
        # queue_job: the runner hands jobs to the HTTP workers, `workers` at once.
        server_args += [
            f"--workers={workers + 1}",
            "--max-cron-threads=1",
            "--load=base,web,queue_job",
        ]
        server_env["ODOO_QUEUE_JOB_CHANNELS"] = f"root:{workers}"
    began = time.time()
    log_path = pathlib.Path(OUT).with_name(f"benchmark-scale-{config}.log")
    log_file = log_path.open("w")
    server = odoo(db, *server_args, env=server_env, log=log_file)
    first_page = {}
    total = 0
    try:
        while time.time() - began < TIMEOUT:
            time.sleep(0.5)
            counts = dict(
                sql(
                    db,
                    "SELECT amazon_account_id, count(*) FROM sale_order"
                    " WHERE amazon_account_id IS NOT NULL GROUP BY 1",
                )
            )
            for account_id, count in counts.items():
                if count:
                    first_page.setdefault(account_id, time.time())
            total = sum(counts.values())
            if total >= expected:
                break
        finished = time.time()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()
        log = log_path.read_text()
    refs = sql(
        db,
        "SELECT amazon_account_id, amazon_order_ref, count(*) FROM sale_order"
        " WHERE amazon_account_id IS NOT NULL GROUP BY 1, 2",
    )
    imported = {ref for _account, ref, _count in refs}
    amazon = {order.order_id for order in emulator.store.orders.values()}
    calls = [call for call in emulator.calls if call.operation == "searchOrders"]
    # The clock starts at the first call to Amazon, not at the server's start:
    # Odoo's boot and the cron threads' first wake-up are not the import.
    start = calls[0].at if calls else began
    elapsed = finished - start
    result = {
        "config": config,
        "accounts": ACCOUNTS,
        "orders_per_account": ORDERS,
        "speed": SPEED,
        "orders": total,
        "seconds": round(elapsed, 1),
        "orders_per_second": round(total / elapsed, 2) if elapsed else None,
        "searchOrders": len(calls),
        "refused_429": sum(1 for call in calls if call.status == 429),
        "duplicated": sum(count - 1 for _account, _ref, count in refs),
        "lost": len(amazon - imported),
        "first_page_all_accounts_s": (
            round(max(first_page.values()) - start, 1) if len(first_page) == ACCOUNTS else None
        ),
        "server_start_to_first_call_s": round(start - began, 1),
        "accounts_with_a_first_page": len(first_page),
        "errors_in_log": sum(1 for line in log.splitlines() if " ERROR " in line),
    }
    if mode == "queue":
        result["jobs"] = dict(sql(db, "SELECT state, count(*) FROM queue_job GROUP BY 1"))
    emulator.stop()
    subprocess.run(["dropdb", "--if-exists", db], check=False)
    return result


def main():
    results = {}
    path = pathlib.Path(OUT)
    if path.exists():
        results = json.loads(path.read_text())
    scale = results.setdefault("scale", {})
    for config in CONFIGS:
        print(f"[scale] {config}: {ACCOUNTS} accounts x {ORDERS} orders", flush=True)
        scale[config] = run(config)
        print(json.dumps(scale[config]), flush=True)
        path.write_text(json.dumps(results, indent=2))
    for workers in ("2",):
        for mode in ("cron", "queue"):
            one, two = scale.get(f"{mode}-1"), scale.get(f"{mode}-{workers}")
            if one and two and one["orders_per_second"] and two["orders_per_second"]:
                ratio = round(two["orders_per_second"] / one["orders_per_second"], 2)
                scale[f"{mode}_ratio_2_to_1"] = ratio
                print(f"[scale] {mode}: 2 workers / 1 worker = {ratio}")
    path.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
