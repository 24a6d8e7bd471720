"""The emulator's seeds and command line (spapi_emulator/seed.py, __main__.py)."""

import json
import socket
import subprocess
import sys
import time

import httpx
import pytest
from conftest import (
    MODELS_DIR,
    REPO,
    SELLER_ID,
    US,
    access_token,
    ago,
    model_validator,
)

from spapi_emulator import MARKETPLACES, Emulator, StoreError
from spapi_emulator.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_FBA,
    DEMO_GERMANY,
    DEMO_MARKETPLACES,
    DEMO_REFRESH_TOKEN,
    DEMO_SELLER_ID,
    seed_demo,
)


def test_seeding_refuses_nonsense(emulator):
    with pytest.raises(StoreError):
        emulator.store.add_order("NOBODY", US, [])
    with pytest.raises(StoreError):
        emulator.store.add_order(SELLER_ID, "XX", [])
    with pytest.raises(StoreError):
        emulator.store.add_order(SELLER_ID, US, [], status="LOST")


def test_demo_seed_covers_three_marketplaces_and_both_channels():
    emu = Emulator()
    seed_demo(emu.store, order_count=300)
    orders = list(emu.store.orders.values())
    assert len(orders) == 300
    assert {o.marketplace_id for o in orders} == set(DEMO_MARKETPLACES)
    assert {o.fulfilled_by for o in orders} == {"AMAZON", "MERCHANT"}
    assert {o.status for o in orders} >= {"SHIPPED", "UNSHIPPED", "CANCELLED", "PENDING"}
    assert {o.currency for o in orders} == {"USD", "EUR", "GBP"}
    assert any(not o.buyer_name for o in orders if o.fulfilled_by == "AMAZON")
    # Amazon's money: a closed payout with sales, fees, a refund and a reserve.
    store = emu.store
    [closed] = [g for g in store.event_groups if g.processing_status == "Closed"]
    kinds = {tx.transaction_type for tx in store.transactions if tx.group_id == closed.group_id}
    assert kinds == {"Shipment", "Refund", "ServiceFee", "Reserve"}
    assert store.event_group_total(closed) > 0
    assert len(store.fee_invoices) == 1
    # Issue #40: partly shipped orders say how much left; FBA stock, returns
    # and offer prices give every screen something true to show.
    partial = [o for o in orders if o.status == "PARTIALLY_SHIPPED"]
    assert partial
    for order in partial:
        shipped = sum(item.quantity_shipped for item in order.items)
        assert 0 < shipped < sum(item.quantity for item in order.items)
    assert {stock.sku for stock in store.fba_stock.values()} == {sku for sku, _c in DEMO_FBA}
    assert all(stock.fulfillable > 0 for stock in store.fba_stock.values())
    assert len(store.returns) == 3
    assert all(
        offer.price for listing in store.listings.values() for offer in listing.offers.values()
    )


def test_marketplace_catalogue_matches_the_library():
    from sp_api.base import Marketplaces  # noqa: PLC0415

    library = {m.marketplace_id for m in Marketplaces}
    assert set(MARKETPLACES) <= library | {"AE08WJ6YKNBMC"}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url, process):
    for _ in range(100):
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            assert process.poll() is None, process.stdout.read()
            time.sleep(0.1)
    raise AssertionError("the emulator did not start")


def test_cli_runs_standalone_with_the_demo_seed():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "spapi_emulator", "--port", str(port), "--seed", "demo"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert _wait_for(f"http://127.0.0.1:{port}/_emulator/health", process).json() == {
            "status": "ok"
        }
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert f"listening on http://127.0.0.1:{port}" in output
    assert "300 order(s)" in output


def test_cli_loads_a_json_seed_file(tmp_path):
    seed = {
        "apps": [{"client_id": "app", "client_secret": "secret"}],
        "sellers": [
            {"seller_id": "S1", "marketplace_ids": [US], "client_id": "app", "refresh_token": "rt"}
        ],
        "orders": [
            {
                "seller_id": "S1",
                "marketplace_id": US,
                "fulfilled_by": "AMAZON",
                "status": "SHIPPED",
                "items": [{"sku": "X", "title": "X", "quantity": 1, "unit_price": "1.00"}],
            }
        ],
        "listings": [{"seller_id": "S1", "sku": "X", "marketplace_ids": [US], "quantity": 3}],
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "spapi_emulator", "--port", str(port), "--seed", str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/_emulator/health", process)
        token = access_token(f"http://127.0.0.1:{port}", "app", "secret", "rt")
        orders = httpx.get(
            f"http://127.0.0.1:{port}/orders/2026-01-01/orders",
            params={"marketplaceIds": US, "lastUpdatedAfter": ago(hours=1)},
            headers={"x-amz-access-token": token},
        ).json()["orders"]
        assert len(orders) == 1
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_demo_seed_serves_every_read_operation():
    """Issue #42: every operation the demo serves has data to show and to be
    tested with: orders, listings, FBA stock, returns reports and their
    documents, transactions, payouts and Amazon's invoices. Each answer is
    checked against Amazon's models, as the emulator fixture's are."""
    emu = Emulator(speed=1000, models_dir=MODELS_DIR)
    seed_demo(emu.store, order_count=60)
    with emu:
        token = access_token(
            emu.url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, refresh_token=DEMO_REFRESH_TOKEN
        )
        http = httpx.Client(base_url=emu.url, headers={"x-amz-access-token": token})
        [us] = [m for m, country in DEMO_MARKETPLACES.items() if country == "US"]
        de = DEMO_GERMANY
        since = ago(days=400)

        def get(path, key, **params):
            response = http.get(path, params=params)
            assert response.status_code == 200, (path, response.text)
            data = response.json()
            for part in key.split("."):
                data = data[part]
            assert data, (path, key)
            return data

        get("/sellers/v1/marketplaceParticipations", "payload")
        orders = get("/orders/2026-01-01/orders", "orders", marketplaceIds=us, createdAfter=since)
        get(f"/orders/2026-01-01/orders/{orders[0]['orderId']}", "order")
        items = get(f"/listings/2021-08-01/items/{DEMO_SELLER_ID}", "items", marketplaceIds=us)
        get(
            f"/listings/2021-08-01/items/{DEMO_SELLER_ID}/{items[0]['sku']}",
            "sku",
            marketplaceIds=us,
        )
        get(
            "/fba/inventory/v1/summaries",
            "payload.inventorySummaries",
            granularityType="Marketplace",
            granularityId=us,
            marketplaceIds=us,
        )
        done = [r for r in emu.store.reports.values() if r.document_id]
        assert done, "a returns report with its document"
        report = get(f"/reports/2021-06-30/reports/{done[0].report_id}", "reportDocumentId")
        document = get(f"/reports/2021-06-30/documents/{report}", "url")
        assert len(httpx.get(document).content) > 0
        get("/finances/2024-06-19/transactions", "payload.transactions", postedAfter=ago(days=30))
        get(
            "/finances/v0/financialEventGroups",
            "payload.FinancialEventGroupList",
            FinancialEventGroupStartedAfter=ago(days=170),
        )
        headers = get("/finances/invoices/2026-06-25/invoices", "invoices", marketplaceId=de)
        get(
            f"/finances/invoices/2026-06-25/invoices/{headers[0]['invoiceNumber']}",
            "invoiceHeader",
            marketplaceId=de,
        )
        http.close()
    validator = model_validator()
    if validator is not None:
        assert validator.check(emu.calls) == []
