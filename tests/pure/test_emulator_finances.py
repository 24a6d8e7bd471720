"""listTransactions and listFinancialEventGroups (spapi_emulator/finances.py)."""

import json
from datetime import datetime, timedelta, timezone

from conftest import (
    DE,
    SELLER_ID,
    ago,
    error_of,
)


def test_list_transactions_follows_the_model(http, emulator):
    """What listTransactions refuses, as Finances 2024-06-19 says, and what it
    serves: the window's transactions, by order or payout when asked."""
    store = emulator.store
    posted = datetime.now(timezone.utc) - timedelta(days=3)
    sale = store.add_transaction(
        SELLER_ID,
        DE,
        "Shipment",
        posted=posted,
        order_id="302-1",
        group_id="G1",
        items=[{"sku": "MUG", "quantity": 2, "breakdowns": [("ProductCharges", "23.80")]}],
        breakdowns=[("AmazonFees", "-3.57")],
    )
    store.add_transaction(
        SELLER_ID,
        DE,
        "Refund",
        posted=posted + timedelta(days=1),
        order_id="302-1",
        group_id="G2",
        items=[{"sku": "MUG", "quantity": 1, "breakdowns": [("ProductCharges", "-11.90")]}],
    )
    path = "/finances/2024-06-19/transactions"
    refused = [
        ({}, "postedAfter is required"),  # "required if you do not specify a related identifier"
        ({"postedAfter": ago(minutes=1)}, "two minutes"),
        ({"postedAfter": ago(days=5), "postedBefore": ago(minutes=1)}, "two minutes"),
        ({"postedAfter": ago(days=5), "postedBefore": ago(days=6)}, "later than postedAfter"),
        ({"relatedIdentifierName": "ORDER_ID"}, "go together"),
        ({"relatedIdentifierName": "REFUND_ID", "relatedIdentifierValue": "R1"}, "filtering"),
    ]
    for params, word in refused:
        response = http.get(path, params=params)
        assert response.status_code == 400, params
        assert word in json.dumps(error_of(response)), (params, error_of(response))
    window = http.get(path, params={"postedAfter": ago(days=5)}).json()["payload"]
    assert [t["transactionType"] for t in window["transactions"]] == ["Shipment", "Refund"]
    first = window["transactions"][0]
    assert first["totalAmount"] == {"currencyCode": "EUR", "currencyAmount": float(sale.total)}
    assert first["items"][0]["contexts"][0]["sku"] == "MUG"
    by_group = http.get(
        path,
        params={
            "relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID",
            "relatedIdentifierValue": "G2",
        },
    ).json()["payload"]["transactions"]
    assert [t["transactionType"] for t in by_group] == ["Refund"]
    # "If PostedAfter and PostedBefore are more than 180 days apart, the response is empty."
    wide = http.get(path, params={"postedAfter": ago(days=200)}).json()["payload"]
    assert wide["transactions"] == []


def test_list_financial_event_groups_follows_the_model(http, emulator):
    """listFinancialEventGroups (Finances v0): what it refuses, and the payout
    periods it serves, totalled from their transactions, page after page with
    the same arguments."""
    store = emulator.store
    start = datetime.now(timezone.utc) - timedelta(days=20)
    for number in range(3):
        store.add_event_group(
            SELLER_ID,
            f"FEG-{number}",
            "EUR",
            start + timedelta(days=7 * number),
            processing_status="Closed" if number < 2 else "Open",
            fund_transfer_status="Succeeded" if number < 2 else "",
            transfer_date=start + timedelta(days=7 * number + 8) if number < 2 else None,
            end=start + timedelta(days=7 * number + 7) if number < 2 else None,
            trace_id=f"TRACE-{number}" if number < 2 else "",
        )
    store.add_transaction(
        SELLER_ID,
        DE,
        "Shipment",
        posted=start + timedelta(days=1),
        group_id="FEG-0",
        items=[{"sku": "MUG", "quantity": 1, "breakdowns": [("ProductCharges", "11.90")]}],
        breakdowns=[("AmazonFees", "-1.79")],
    )
    path = "/finances/v0/financialEventGroups"
    refused = [
        ({"FinancialEventGroupStartedAfter": ago(minutes=1)}, "two minutes"),
        (
            {
                "FinancialEventGroupStartedAfter": ago(days=30),
                "FinancialEventGroupStartedBefore": ago(minutes=1),
            },
            "two minutes",
        ),
        (
            {
                "FinancialEventGroupStartedAfter": ago(days=5),
                "FinancialEventGroupStartedBefore": ago(days=6),
            },
            "must be after",
        ),
        ({"MaxResultsPerPage": 101}, "MaxResultsPerPage"),  # "maximum": 100
        ({"MaxResultsPerPage": 0}, "MaxResultsPerPage"),
    ]
    for params, word in refused:
        response = http.get(path, params=params)
        assert response.status_code == 400, params
        assert word in json.dumps(error_of(response)), (params, error_of(response))
    query = {"FinancialEventGroupStartedAfter": ago(days=30), "MaxResultsPerPage": 2}
    first = http.get(path, params=query).json()["payload"]
    closed, _second = first["FinancialEventGroupList"]
    assert closed["FinancialEventGroupId"] == "FEG-0"
    assert closed["ProcessingStatus"] == "Closed"
    assert closed["OriginalTotal"] == {"CurrencyCode": "EUR", "CurrencyAmount": 10.11}
    assert closed["TraceId"] == "TRACE-0" and "FundTransferDate" in closed
    # The next page: "include the same arguments as the call that produced the token".
    other = http.get(path, params={"NextToken": first["NextToken"]})
    assert other.status_code == 400
    again = http.get(path, params={**query, "NextToken": first["NextToken"]})
    assert again.status_code == 400, "a token serves once"
    first = http.get(path, params=query).json()["payload"]
    (open_group,) = http.get(path, params={**query, "NextToken": first["NextToken"]}).json()[
        "payload"
    ]["FinancialEventGroupList"]
    # "Only present for closed settlements."
    assert open_group["ProcessingStatus"] == "Open" and "FundTransferDate" not in open_group
    # "more than 180 days apart, no financial event groups are returned"
    wide = http.get(
        path,
        params={
            "FinancialEventGroupStartedAfter": ago(days=200),
            "FinancialEventGroupStartedBefore": ago(days=1),
        },
    ).json()["payload"]
    assert wide["FinancialEventGroupList"] == []
