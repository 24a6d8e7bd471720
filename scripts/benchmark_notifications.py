"""Orders in seconds (issue #36): from Amazon's event to the confirmed sale
order, through the notifications queue, with 1 and 2 readers.

Run by ``SAC_BENCH_ONLY=notifications bash scripts/benchmark.sh`` with plain
Python. An in-process emulator with Amazon's usage plans (getOrder 0.5/s,
burst 30, unless SAC_BENCH_NOTIFY_GETORDER_RATE says the seller has more)
publishes ORDER_CHANGE to a real SQS server (moto's, a process on loopback);
the readers are real Odoo processes (``odoo shell``) running the consumer
with real commits, beside one running the crons as a server's cron thread
does (the order sync polls a backlog getOrder cannot serve). For each
configuration (orders a minute x readers) the emulator makes orders at that
pace for SAC_BENCH_NOTIFY_MINUTES minutes, and this script watches
PostgreSQL: an order's latency is from its event (the emulator publishing)
to the moment its confirmed sale order is visible (committed). Measured:
p50, p95 and max latency, lost and duplicated orders, and Amazon's calls.

Environment: SAC_BENCH_NOTIFY_CONFIGS (10x1,10x2,100x1,100x2: orders a minute
x readers), SAC_BENCH_NOTIFY_MINUTES (2), SAC_BENCH_NOTIFY_GETORDER_RATE
(0.5), SAC_BENCH_DB (the database, with the connector), SAC_ADDONS_PATH,
SAC_MOTO_SERVER, PG* and SAC_BENCH_OUT (JSON).
"""

import json
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

import psycopg2

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spapi_emulator import Emulator  # noqa: E402
from spapi_emulator.sqs_server import (  # noqa: E402
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    SqsOutlet,
    SqsServer,
)
from spapi_emulator.store import Address  # noqa: E402

CONFIGS = os.environ.get("SAC_BENCH_NOTIFY_CONFIGS", "10x1,10x2,100x1,100x2").split(",")
MINUTES = float(os.environ.get("SAC_BENCH_NOTIFY_MINUTES", "2"))
GETORDER_RATE = float(os.environ.get("SAC_BENCH_NOTIFY_GETORDER_RATE", "0.5"))
DB = os.environ.get("SAC_BENCH_DB", "")
OUT = os.environ.get("SAC_BENCH_OUT", "benchmark-results.json")
# After the last order, how long the readers have to bring the rest in.
DRAIN_SECONDS = 600
PG = {
    "host": os.environ.get("PGHOST", "127.0.0.1"),
    "port": os.environ.get("PGPORT", "5432"),
    "user": os.environ.get("PGUSER", "odoo"),
}
CLIENT, SECRET, APP = "notify-client", "notify-secret", "amzn1.sp.solution.notify"
SELLER, TOKEN = "A1NOTIFYBENCH", "Atzr|notify-bench"
DE = "A1PA6795UKMFR9"

SETUP = """
import json, os
from odoo import fields
cfg = json.loads(os.environ["SAC_NOTIFY_CONFIG"])
env.company.write({"amazon_app_ref": cfg["app"], "amazon_lwa_client_id": cfg["client"],
                   "amazon_lwa_client_secret": cfg["secret"],
                   "amazon_sqs_queue_url": cfg["queue_url"], "amazon_sqs_region": cfg["region"],
                   "amazon_sqs_access_key": cfg["key"], "amazon_sqs_secret_key": cfg["secret_key"]})
if not env["product.product"].search([("default_code", "=", "MUG-01")]):
    env["product.product"].create({"name": "Mug", "default_code": "MUG-01", "is_storable": True})
eur = env.ref("base.EUR")
eur.active = True
if not env["product.pricelist"].search([("currency_id", "=", eur.id)]):
    env["product.pricelist"].create({"name": "Amazon EUR", "currency_id": eur.id})
de = env["amazon.marketplace"].search([("api_ref", "=", cfg["marketplace"])])
account = env["amazon.account"].search([("seller_ref", "=", cfg["seller"])]) or env[
    "amazon.account"].create({
    "name": "Notified seller", "signup_marketplace_id": de.id, "environment": "custom",
    "custom_api_url": cfg["url"], "seller_ref": cfg["seller"], "refresh_token": cfg["token"],
    "available_marketplace_ids": [(6, 0, de.ids)], "marketplace_ids": [(6, 0, de.ids)],
})
account.write({"custom_api_url": cfg["url"], "last_orders_sync": fields.Datetime.now()})
account.action_subscribe_notifications()
# The readers are this benchmark's processes; of the crons only the order sync
# runs (in the cron process), woken when Amazon's getOrder plan is spent.
sync = env.ref("sale_amazon_connector.ir_cron_amazon_sync_orders")
(env["ir.cron"].search([]) - sync).active = False
env.cr.commit()
print("ACCOUNT " + json.dumps(account.id))
"""

# What an Odoo server's cron thread does: the crons due or triggered, in turn.
CRON = """
import os, time
from odoo.addons.base.models.ir_cron import ir_cron
deadline = time.monotonic() + float(os.environ["SAC_NOTIFY_SECONDS"])
while time.monotonic() < deadline:
    ir_cron._process_jobs(env.cr.dbname)
    time.sleep(2)
"""

READER = """
import json, os
seconds = float(os.environ["SAC_NOTIFY_SECONDS"])
handled = env["amazon.notification.consumer"]._consume(env.company, seconds)
env.cr.commit()
print("HANDLED " + json.dumps(handled))
"""


def sql(query, args=()):
    connection = psycopg2.connect(dbname=DB, **PG)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(query, args)
            return cursor.fetchall()
    finally:
        connection.close()


def odoo_shell(script, env, log=None):
    command = [
        sys.executable,
        "-m",
        "odoo",
        "shell",
        f"--addons-path={os.environ['SAC_ADDONS_PATH']}",
        f"--db_host={PG['host']}",
        f"--db_port={PG['port']}",
        f"--db_user={PG['user']}",
        f"--database={DB}",
        "--no-http",
        "--log-level=warn",
    ]
    # A long-running process logs to a file: a pipe nobody reads would block it.
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=log or subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **env},
    )
    process.stdin.write(script)
    process.stdin.close()
    return process


def output_line(process, prefix):
    out = process.stdout.read()
    process.wait(timeout=600)
    lines = [line for line in out.splitlines() if line.startswith(prefix)]
    if process.returncode != 0 or not lines:
        raise RuntimeError(out[-3000:])
    return json.loads(lines[-1][len(prefix) :])


def percentile(values, share):
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 2)


def run(emulator, account_id, per_minute, readers):
    """One configuration: orders at ``per_minute`` for MINUTES, ``readers``
    consumers; returns its figures."""
    emulator.reset_calls()
    seconds = MINUTES * 60
    total = max(1, round(per_minute * MINUTES))
    events = {}  # order ref -> when Amazon published it
    seen = {}  # order ref -> when its confirmed sale order was visible
    budget = seconds + DRAIN_SECONDS
    # The processes' logs, kept beside the results.
    log_path = pathlib.Path(OUT).with_name(f"notifications-{per_minute:g}x{readers}.log")
    log = log_path.open("w+")
    seconds_env = {"SAC_NOTIFY_SECONDS": str(budget)}
    processes = [odoo_shell(READER, seconds_env, log) for _reader in range(readers)]
    processes.append(odoo_shell(CRON, seconds_env, log))
    time.sleep(8)  # the readers' Odoo starts

    def make_orders():
        start = time.monotonic()
        for n in range(total):
            wait = start + n * 60.0 / per_minute - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            order = emulator.store.add_order(
                SELLER,
                DE,
                [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}],
                created_time=datetime.now(timezone.utc),  # placed now: the event
                buyer_name=f"Buyer {n % 50}",
                buyer_email=f"buyer{n % 50}@marketplace.amazon.example",
                address=Address(
                    name=f"Buyer {n % 50}",
                    address_line1="Hauptstr. 1",
                    city="Berlin",
                    postal_code="10115",
                    country_code="DE",
                ),
            )
            events[order.order_id] = time.time()

    maker = threading.Thread(target=make_orders)
    maker.start()
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        pending = [ref for ref in list(events) if ref not in seen]
        if pending:
            rows = sql(
                "SELECT amazon_order_ref FROM sale_order WHERE state = 'sale'"
                " AND amazon_order_ref = ANY(%s)",
                (pending,),
            )
            now = time.time()
            for (ref,) in rows:
                seen.setdefault(ref, now)
        if not maker.is_alive() and len(seen) == total:
            break
        time.sleep(0.25)
    maker.join()
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    log.seek(0)
    # Tracebacks of the SIGTERM that ends the processes are not errors.
    errors = sum(1 for line in log if " ERROR " in line)
    log.close()
    latencies = [seen[ref] - events[ref] for ref in seen]
    counts = sql(
        "SELECT count(*) FROM sale_order WHERE amazon_order_ref = ANY(%s)"
        " GROUP BY amazon_order_ref",
        (list(events),),
    )
    return {
        "orders": total,
        "readers": readers,
        "orders_per_minute": per_minute,
        "p50_s": percentile(latencies, 0.5),
        "p95_s": percentile(latencies, 0.95),
        "max_s": round(max(latencies), 2) if latencies else None,
        "mean_s": round(statistics.mean(latencies), 2) if latencies else None,
        "lost": total - len(seen),
        "duplicated": sum(count - 1 for (count,) in counts),
        "getOrder_calls": len(emulator.calls_for("getOrder")),
        "getOrder_throttled": sum(1 for c in emulator.calls_for("getOrder") if c.status == 429),
        "searchOrders_calls": len(emulator.calls_for("searchOrders")),
        "errors_in_logs": errors,
        "log": str(log_path),
        "account": account_id,
    }


def main():
    if not DB:
        raise SystemExit("SAC_BENCH_DB is not set")
    results = {}
    path = pathlib.Path(OUT)
    if path.exists():
        results = json.loads(path.read_text())
    section = results.setdefault("notifications", {})
    section["getOrder_plan"] = {"rate_per_s": GETORDER_RATE, "burst": 30}
    with SqsServer() as sqs:
        queue_url, _arn = sqs.create_queue("benchmark")
        emulator = Emulator(speed=1).start()
        emulator.limiter.set_plan("getOrder", GETORDER_RATE, 30)
        emulator.store.add_app(CLIENT, SECRET, app_id=APP)
        emulator.store.add_seller(SELLER, [DE], client_id=CLIENT, refresh_token=TOKEN)
        emulator.store.outlet = SqsOutlet(sqs.url)
        config = {
            "app": APP,
            "client": CLIENT,
            "secret": SECRET,
            "url": emulator.url,
            "seller": SELLER,
            "token": TOKEN,
            "marketplace": DE,
            "queue_url": queue_url,
            "region": REGION,
            "key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
        }
        setup = odoo_shell(SETUP, {"SAC_NOTIFY_CONFIG": json.dumps(config)})
        account_id = output_line(setup, "ACCOUNT ")
        try:
            for name in CONFIGS:
                per_minute, readers = (float(part) for part in name.split("x"))
                print(f"[notifications] {name}: {per_minute:g}/min, {readers:g} reader(s)")
                emulator.limiter.reset()  # each configuration starts with Amazon's burst
                section[name] = run(emulator, account_id, per_minute, int(readers))
                print(json.dumps(section[name]), flush=True)
                path.write_text(json.dumps(results, indent=2))
        finally:
            emulator.stop()
    # Polling, for the same latency, would ask searchOrders every 30 s: 120
    # calls an hour per account, where Amazon's plan (0.0056/s) gives 20 after
    # its burst, and sees no order younger than 2 minutes. The order cron
    # polls every 15 minutes (4 calls an hour); while notifications are
    # healthy, once an hour.
    section["searchOrders_per_hour"] = {
        "polling_every_15_min": 4,
        "polling_for_30_s_latency": 120,
        "with_notifications": 1,
    }
    path.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
