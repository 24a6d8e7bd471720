"""Amazon's invoices to the seller: getInvoiceHeaders and getInvoice
(spapi_emulator/fee_invoices.py)."""

from datetime import datetime, timedelta, timezone

import pytest
from conftest import (
    DE,
    SELLER_ID,
    US,
    ago,
    error_of,
)

# --- Amazon's invoices to the seller: getInvoiceHeaders / getInvoice ---------------------------
INVOICES = "/finances/invoices/2026-06-25/invoices"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, "marketplaceId"),  # "required": true
        ({"marketplaceId": DE, "fromIssueDate": ago(days=10)}, "both"),
        ({"marketplaceId": DE, "toIssueDate": ago(days=1)}, "both"),
        (
            {"marketplaceId": DE, "fromIssueDate": ago(days=100), "toIssueDate": ago(days=9)},
            "90 days",
        ),
        ({"marketplaceId": DE, "fromIssueDate": ago(days=1), "toIssueDate": ago(days=2)}, "before"),
    ],
)
def test_invoice_headers_outside_amazons_rules_are_refused(http, emulator, params, named):
    response = http.get(INVOICES, params=params)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert named in f"{error['message']} {error.get('details', '')}"
    emulator.reset_calls()


def test_invoice_headers_default_to_the_last_90_days_and_pages_keep_their_arguments(http, emulator):
    now = datetime.now(timezone.utc)
    for n, days in enumerate((5, 80, 95)):
        emulator.store.add_fee_invoice(
            SELLER_ID,
            DE,
            f"INV-{n}",
            now - timedelta(days=days),
            [{"description": "Fee", "amount": "1.00"}],
        )
    emulator.store.add_fee_invoice(
        SELLER_ID, US, "INV-US", now - timedelta(days=5), [{"description": "Fee", "amount": "1.00"}]
    )
    data = http.get(INVOICES, params={"marketplaceId": DE}).json()
    assert sorted(i["invoiceNumber"] for i in data["invoices"]) == ["INV-0", "INV-1"]
    assert data["numOfRecords"] == 2 and "nextToken" not in data
    # A token answers only the arguments that made it.
    for n in range(150):
        emulator.store.add_fee_invoice(
            SELLER_ID,
            DE,
            f"BULK-{n}",
            now - timedelta(days=3),
            [{"description": "Fee", "amount": "1.00"}],
        )
    first = http.get(INVOICES, params={"marketplaceId": DE}).json()
    assert len(first["invoices"]) == 100
    changed = http.get(
        INVOICES,
        params={
            "marketplaceId": DE,
            "nextToken": first["nextToken"],
            "invoicesModifiedAfter": ago(days=1),
        },
    )
    assert changed.status_code == 400
    emulator.reset_calls()


def test_an_invoice_is_read_in_its_marketplace_only(http, emulator):
    now = datetime.now(timezone.utc)
    emulator.store.add_fee_invoice(
        SELLER_ID,
        DE,
        "INV-DE",
        now - timedelta(days=2),
        [{"description": "Fee", "amount": "2.00", "tax": "0.38"}],
    )
    data = http.get(f"{INVOICES}/INV-DE", params={"marketplaceId": DE}).json()
    assert data["invoiceHeader"]["invoiceAmount"] == {"currencyCode": "EUR", "currencyAmount": 2.38}
    assert http.get(f"{INVOICES}/INV-DE", params={"marketplaceId": US}).status_code == 404
    assert http.get(f"{INVOICES}/INV-DE").status_code == 400  # marketplaceId is required
    emulator.reset_calls()
