"""Render benchmark results (the JSON written by scripts/benchmark.py) as the
Markdown table kept in BENCHMARKS.md, with each measure set against the target
of the benchmark issue.

    python3 scripts/benchmark_table.py .build/benchmark-results.json
"""

import json
import sys

RATIO_TARGET = 1.5  # connector time / floor time
FLAT_TIME_TARGET = 0.20  # time per order may grow by 20% from the empty database


def _status(ok):
    return "met" if ok else "**not met**"


def _calls(calls):
    return ", ".join(f"{count} `{name}`" for name, count in sorted(calls.items())) or "0 calls"


def _fba_ok(row, rows):
    """One getInventorySummaries call per page of 50 SKUs, and no more queries
    per SKU than the smallest run of the same kind (10% leeway: the fixed
    queries of a run weigh more on fewer SKUs, never less)."""
    pages = -(-row["skus"] // 50)
    same = [r["queries_per_sku"] for r in rows if r["run"] == row["run"]]
    return (
        row["calls"].get("getInventorySummaries", 0) == pages
        and row["queries_per_sku"] <= same[0] * 1.1
    )


def _plan_wait(calls):
    """Seconds Amazon's default plan for listTransactions (0.5/s, burst 10)
    makes a client wait for these calls."""
    return max(calls.get("listTransactions", 0) - 10, 0) * 2


def _payout_flat(row, rows):
    """No more queries per transaction to book than the smallest payout (10%
    leeway, as for the FBA reconciliation)."""
    return row["book_queries_per_transaction"] <= rows[0]["book_queries_per_transaction"] * 1.1


def rows(results):
    """[(measure, result, target, status)] for the results present."""
    out = []
    api = results.get("api")
    if api:
        per_100 = api["calls_per_100_orders"]
        out.append(
            (
                f"1. API calls per 100 orders (window of {api['orders']:,})",
                f"**{per_100:g}** ({_calls(api['calls'])}; +1 LWA token for the run)",
                "≤ 2 + token",
                _status(per_100 <= 2),
            )
        )
        out.append(
            (
                "1. the same with the v0 pattern (list per 100 + item call per order)",
                f"{api['v0_pattern_per_100_orders']:g}",
                "comparison",
                "—",
            )
        )
    for row in results.get("throughput", []):
        out.append(
            (
                f"2. import throughput, {row['orders']:,} orders: connector / floor",
                f"{row['connector_orders_per_s']:g} / {row['floor_orders_per_s']:g} orders/s,"
                f" **ratio {row['ratio']:g}** ({row['queries_per_order']:g} queries/order,"
                f" {row['search_calls']} `searchOrders`)",
                f"≤ {RATIO_TARGET:g}",
                _status(row["ratio"] <= RATIO_TARGET),
            )
        )
    flat = results.get("flatness", [])
    if flat:
        base = flat[0]
        sizes = " / ".join(f"{row['existing_orders']:,}" for row in flat)
        queries = [row["queries_per_order"] for row in flat]
        times = [row["ms_per_order"] for row in flat]
        changes = [t / times[0] - 1 for t in times[1:]]
        growth = max(changes, default=0.0)
        out.append(
            (
                f"3. SQL queries per order with {sizes} orders already there",
                "**" + " / ".join(f"{q:g}" for q in queries) + "**",
                "identical",
                _status(len(set(queries)) == 1),
            )
        )
        out.append(
            (
                f"3. time per order with {sizes} orders already there",
                " / ".join(f"{t:g}" for t in times)
                + " ms ("
                + " / ".join(f"**{change:+.0%}**" for change in changes)
                + f" from {base['existing_orders']:,})",
                f"within {FLAT_TIME_TARGET:.0%}",
                _status(growth <= FLAT_TIME_TARGET),
            )
        )
    stock = results.get("stock", {})
    markets = stock.get("marketplaces", 1)
    expected = {
        "all_changed": (
            f"all {stock.get('listings', 0):,} listings on {markets} marketplaces changed",
            "one feed per marketplace",
            lambda c: c.get("createFeed") == markets,
        ),
        "few_changed": (
            f"6 products changed ({6 * markets} listings)",
            "patches",
            lambda c: c.get("patchListingsItem") == 6 * markets and not c.get("createFeed"),
        ),
        "nothing_changed": ("nothing changed", "zero calls", lambda c: not c),
    }
    for key, (label, target, check) in expected.items():
        if key in stock:
            run = stock[key]
            out.append(
                (
                    f"4. stock push, {label} ({run['sent']:,} sent)",
                    f"**{_calls(run['calls'])}**, {run['seconds']:g} s",
                    target,
                    _status(check(run["calls"])),
                )
            )
    listings = results.get("listings", {})
    for key, label, check in (
        ("first", "from an empty catalogue", lambda r: not r["unreached"]),
        ("again", "nothing new", lambda r: not (r["listings_created"] or r["updated"])),
    ):
        if key in listings:
            run = listings[key]
            out.append(
                (
                    f"7. listings import, {listings['skus']:,} SKUs x {listings['marketplaces']}"
                    f" marketplaces, {label}",
                    f"**{_calls(run['calls'])}**, {run['seconds']:g} s "
                    f"({run.get('api_seconds', 0):g} s of it answering the calls), "
                    f"{run['queries_per_sku']:g} queries/SKU; {run['offers_created']:,} offers "
                    f"({run['to_review']:,} to review), {run['listings_created']:,} listings, "
                    f"{run['updated']:,} updated; Amazon's plan (5 requests/s, kept to by the "
                    f"adapter) alone takes {run['amazon_wait_s']:,} s",
                    "all read" if key == "first" else "no write",
                    _status(check(run)),
                )
            )
    quiet = results.get("quiet")
    if quiet:
        calls = sum(n for name, n in quiet["calls"].items() if name != "lwaToken")
        out.append(
            (
                "5. quiet sync (no new order)",
                f"**{_calls(quiet['calls'])}**, {quiet['seconds']:g} s",
                "1 call",
                _status(calls == 1),
            )
        )
    fba = results.get("fba", [])
    for row in fba:
        out.append(
            (
                f"8. FBA reconciliation, {row['skus']:,} SKUs, {row['run']}",
                f"**{_calls(row['calls'])}**, {row['seconds']:g} s (of which the emulator's "
                f"answers {row['api_seconds']:g} s; Amazon's plan of 2 requests/s alone takes "
                f"{row['amazon_wait_s']:,} s), **{row['queries_per_sku']:g} queries/SKU**, "
                f"{row['adjusted']:,} adjusted",
                "1 call per 50 SKUs; queries/SKU flat",
                _status(_fba_ok(row, fba)),
            )
        )
    ledger = results.get("fba_ledger", [])
    for row in ledger:
        flat = row["queries_per_sku"] <= ledger[0]["queries_per_sku"] * 1.1
        out.append(
            (
                f"11. FBA drift explained by Amazon's ledger, {row['skus']:,} SKUs, "
                f"{row['events']:,} ledger events",
                f"{_calls(row['calls'])}, the run that reads and explains it (its own "
                f"reconciliation included) {row['seconds']:g} s, "
                f"**{row['queries_per_sku']:g} queries/SKU**, {row['lines']:,} lines "
                f"explained event by event, of which {row['unexplained_products']:,} "
                f"products with {row['unexplained_units']:g} units listed unexplained "
                f"(Amazon's count changed with no event), {row['claims']:,} claims open",
                "every line explained or its units listed; queries/SKU flat",
                _status(flat and row["state"] in ("explained", "unexplained")),
            )
        )
    payout = results.get("payout", [])
    for row in payout:
        booked = row["state"] == "booked" and row["open_invoices"] == 0
        out.append(
            (
                f"9. payout of {row['transactions']:,} transactions ({row['orders']:,} "
                "invoiced orders) booked and reconciled",
                f"{_calls(row['calls'])} (Amazon's plan of 0.5 `listTransactions`/s after a "
                f"burst of 10 alone takes {_plan_wait(row['calls'])} s); "
                f"read {row['read_seconds']:g} s ({row['read_queries_per_transaction']:g} "
                f"queries/transaction); closed and read again {row['close_seconds']:g} s "
                f"({row['close_queries_per_transaction']:g}); **booked {row['book_seconds']:g} s, "
                f"{row['book_queries_per_transaction']:g} queries/transaction**, "
                f"{row['entry_lines']:,} entry lines, {row['open_invoices']} invoices left open",
                "one entry, every invoice reconciled; queries/transaction flat",
                _status(booked and _payout_flat(row, payout)),
            )
        )
    for row in results.get("labels", []):
        two_calls = (
            row["calls"].get("getRates")
            == row["calls"].get("purchaseShipment")
            == (row["deliveries"])
        )
        done = row["labels"] == row["billed"] == row["shipped_on_amazon"] == row["deliveries"]
        out.append(
            (
                f"10. Buy Shipping: rate and buy the label of each of {row['deliveries']} "
                "FBM deliveries as a warehouse user validates it",
                f"**p50 {row['p50_seconds']:g} s, p95 {row['p95_seconds']:g} s per delivery**, "
                f"{row['queries_per_delivery']:g} queries/delivery, {_calls(row['calls'])}; "
                f"{row['labels']} labels, {row['billed']} billed, "
                f"{row['shipped_on_amazon']} orders shipped on Amazon",
                "one getRates and one purchaseShipment per parcel; every label billed",
                _status(two_calls and done),
            )
        )
    for row in results.get("throughput", []):
        out.append(
            (
                f"6. peak memory, import of {row['orders']:,} orders",
                f"{row['peak_rss_mb']} MB RSS (Odoo and the in-process emulator)",
                "reported",
                "—",
            )
        )
    return out


def render(results):
    lines = ["| measure | result | target | status |", "| --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows(results)]
    return "\n".join(lines)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print(render(json.load(handle)))
