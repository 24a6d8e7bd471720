"""getInventorySummaries (spapi_emulator/fba_inventory.py)."""

import json
from datetime import timedelta

from conftest import (
    DE,
    SELLER_ID,
    US,
    ago,
    error_of,
)


def test_fba_inventory_summaries_follow_the_model(http, emulator):
    """What getInventorySummaries refuses, as its model says, and what it
    serves: details only when asked, changes since startDateTime only."""
    store = emulator.store
    store.set_fba_stock(SELLER_ID, DE, "OLD", fulfillable=4)
    store.fba_stock[(SELLER_ID, DE, "OLD")].last_updated_time -= timedelta(days=2)
    store.set_fba_stock(SELLER_ID, DE, "NEW", fulfillable=6, reserved=2)
    path = "/fba/inventory/v1/summaries"
    base = {"granularityType": "Marketplace", "granularityId": DE, "marketplaceIds": DE}
    refused = [
        ({**base, "granularityId": US}, "granularityId"),  # "specify the marketplaceId"
        ({k: v for k, v in base.items() if k != "marketplaceIds"}, "marketplaceIds"),
        ({**base, "marketplaceIds": f"{DE},{US}"}, "marketplaceIds"),  # maxItems 1
        ({**base, "granularityType": "Country"}, "granularityType"),
        ({**base, "startDateTime": ago(days=600)}, "18 months"),
        ({**base, "nextToken": "forged"}, "nextToken"),
    ]
    for params, word in refused:
        response = http.get(path, params=params)
        assert response.status_code == 400, params
        assert word in json.dumps(error_of(response)), (params, error_of(response))
    bare = http.get(path, params=base).json()
    assert [s["sellerSku"] for s in bare["payload"]["inventorySummaries"]] == ["NEW", "OLD"]
    assert "inventoryDetails" not in bare["payload"]["inventorySummaries"][0]
    detailed = http.get(path, params={**base, "details": "true"}).json()
    new = detailed["payload"]["inventorySummaries"][0]
    assert new["inventoryDetails"]["fulfillableQuantity"] == 6
    assert new["inventoryDetails"]["reservedQuantity"]["totalReservedQuantity"] == 2
    assert new["totalQuantity"] == 8
    # startDateTime: changed since then only, sellerSku ignored.
    changed = http.get(
        path, params={**base, "startDateTime": ago(days=1), "sellerSku": "OLD"}
    ).json()
    assert [s["sellerSku"] for s in changed["payload"]["inventorySummaries"]] == ["NEW"]


def test_fba_inventory_next_page_repeats_the_query_within_30_seconds(http, emulator):
    for n in range(60):
        emulator.store.set_fba_stock(SELLER_ID, DE, f"S{n:02d}", fulfillable=1)
    path = "/fba/inventory/v1/summaries"
    base = {"granularityType": "Marketplace", "granularityId": DE, "marketplaceIds": DE}
    query = {**base, "startDateTime": ago(days=1)}
    first = http.get(path, params=query).json()
    token = first["pagination"]["nextToken"]
    # "use both startDateTime and nextToken to get the next page"
    response = http.get(path, params={**base, "nextToken": token})
    assert response.status_code == 400
    first = http.get(path, params=query).json()
    emulator.store.fba_pages[first["pagination"]["nextToken"]].issued -= 31
    response = http.get(path, params={**query, "nextToken": first["pagination"]["nextToken"]})
    assert response.status_code == 400  # "expire 30 seconds after being created"
    assert "expired" in json.dumps(error_of(response))
    # In time and with the same query, the next page comes.
    first = http.get(path, params=query).json()
    second = http.get(path, params={**query, "nextToken": first["pagination"]["nextToken"]})
    assert len(second.json()["payload"]["inventorySummaries"]) == 10
