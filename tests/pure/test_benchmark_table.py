"""The benchmark's table (scripts/benchmark_table.py) sets each measure against
the issue's target."""

import importlib.util

from conftest import REPO

_spec = importlib.util.spec_from_file_location(
    "benchmark_table", REPO / "scripts" / "benchmark_table.py"
)
benchmark_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark_table)

RESULTS = {
    "flatness": [
        {"existing_orders": 0, "queries_per_order": 75.4, "ms_per_order": 100.0},
        {"existing_orders": 100000, "queries_per_order": 75.4, "ms_per_order": 125.0},
    ],
    "api": {
        "orders": 1000,
        "calls": {"searchOrders": 10},
        "calls_per_100_orders": 1.0,
        "v0_pattern_per_100_orders": 101.0,
    },
    "throughput": [
        {
            "orders": 1000,
            "connector_orders_per_s": 5.2,
            "floor_orders_per_s": 5.8,
            "ratio": 1.13,
            "queries_per_order": 74.3,
            "peak_rss_mb": 242,
            "search_calls": 10,
        }
    ],
    "stock": {
        "marketplaces": 3,
        "listings": 30000,
        "all_changed": {"seconds": 9.3, "calls": {"createFeed": 3, "lwaToken": 1}, "sent": 30000},
        "few_changed": {"seconds": 3.2, "calls": {"patchListingsItem": 18}, "sent": 18},
        "nothing_changed": {"seconds": 2.1, "calls": {}, "sent": 0},
    },
    "listings": {
        "skus": 10000,
        "marketplaces": 3,
        "first": {
            "seconds": 60.0,
            "calls": {"searchListingsItems": 1530},
            "queries_per_sku": 4.0,
            "offers_created": 10000,
            "to_review": 2500,
            "listings_created": 30000,
            "updated": 0,
            "unreached": 0,
            "amazon_wait_s": 305,
        },
        "again": {
            "seconds": 30.0,
            "calls": {"searchListingsItems": 1530},
            "queries_per_sku": 1.0,
            "offers_created": 0,
            "to_review": 0,
            "listings_created": 0,
            "updated": 1,
            "unreached": 0,
            "amazon_wait_s": 305,
        },
    },
    "quiet": {"seconds": 0.06, "calls": {"searchOrders": 1, "lwaToken": 1}},
}


def status_of(rows, prefix):
    return [row[3] for row in rows if row[0].startswith(prefix)]


def test_each_measure_against_its_target():
    rows = benchmark_table.rows(RESULTS)
    assert status_of(rows, "1. API") == ["met"]
    assert status_of(rows, "2. import throughput, 1,000") == ["met"]
    # Same queries, but +25% time at 100,000 orders: the time target fails.
    assert status_of(rows, "3.") == ["met", "**not met**"]
    assert status_of(rows, "4.") == ["met", "met", "met"]
    assert "30,000 listings on 3 marketplaces" in benchmark_table.render(RESULTS)
    assert status_of(rows, "5.") == ["met"]
    # The second import updated one listing: not the "no write" it should be.
    assert status_of(rows, "7.") == ["met", "**not met**"]
    table = benchmark_table.render(RESULTS)
    assert "0 / 100,000 orders already there" in table
    assert "+25%" in table


def test_partial_results_render_what_is_there():
    assert benchmark_table.rows({}) == []
    rows = benchmark_table.rows({"quiet": {"seconds": 0.1, "calls": {"searchOrders": 2}}})
    assert rows[0][3] == "**not met**"


def test_fba_reconciliation_rows_check_pages_and_flat_queries():
    def run(skus, queries, pages=None):
        calls = {"getInventorySummaries": pages or -(-skus // 50)}
        return {
            "skus": skus,
            "run": "drifted",
            "seconds": 1.0,
            "api_seconds": 0.1,
            "amazon_wait_s": 0,
            "calls": calls,
            "queries_per_sku": queries,
            "adjusted": skus,
        }

    flat = {"fba": [run(1000, 4.55), run(10000, 4.49)]}
    assert [row[3] for row in benchmark_table.rows(flat)] == ["met", "met"]
    growing = {"fba": [run(1000, 4.55), run(10000, 9.1)]}
    assert benchmark_table.rows(growing)[1][3] == "**not met**"
    chatty = {"fba": [run(1000, 4.55, pages=1000)]}
    assert benchmark_table.rows(chatty)[0][3] == "**not met**"
