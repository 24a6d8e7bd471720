"""The Listings Items API (spapi_emulator/listings.py)."""

import pytest
from conftest import (
    DE,
    LISTING,
    LISTINGS,
    SELLER_ID,
    US,
    error_of,
    needs_models,
)


def test_listings_take_an_issue_locale_of_the_documented_form(http, emulator):
    emulator.store.add_listing(SELLER_ID, "MUG-01", [DE], quantity=1)
    ok = http.get(LISTING, params={"marketplaceIds": DE, "issueLocale": "fr_FR"})
    assert ok.status_code == 200
    patch = {
        "productType": "PRODUCT",
        "patches": [{"op": "merge", "path": "/attributes/item_name", "value": [{"value": "M"}]}],
    }
    for method, body in (("GET", None), ("PATCH", patch)):
        bad = http.request(
            method, LISTING, params={"marketplaceIds": DE, "issueLocale": "french"}, json=body
        )
        assert bad.status_code == 400
        assert error_of(bad)["details"].startswith("issueLocale")
    assert emulator.store.get_listing(SELLER_ID, "MUG-01").attributes.get("item_name") is None


# --- searchListingsItems (issue #15) ----------------------------------------------------


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"identifiersType": "EAN"}, "identifiers and identifiersType"),
        ({"identifiers": "4006381333931"}, "identifiers and identifiersType"),
        (
            {"identifiers": "X", "identifiersType": "SKU", "variationParentSku": "P"},
            "identifiers and variationParentSku",
        ),
        ({"variationParentSku": "P", "packageHierarchySku": "Q"}, "variationParentSku and"),
        ({"pageToken": "nonsense"}, "pageToken"),
        ({"issueLocale": "french"}, "issueLocale"),
    ],
)
def test_search_listings_refuses_what_amazon_refuses(http, params, detail):
    response = http.get(LISTINGS, params={"marketplaceIds": US, **params})
    assert response.status_code == 400
    assert detail in error_of(response)["details"]


@needs_models
@pytest.mark.parametrize(
    "params",
    [{"pageSize": 21}, {}, {"identifiersType": "BARCODE", "identifiers": "1"}],
)
def test_search_listings_checks_the_model(http, params):
    """pageSize maximum 20, marketplaceIds required, identifiersType's enum."""
    query = {"marketplaceIds": US, **params} if params != {} else {}
    response = http.get(LISTINGS, params=query)
    assert response.status_code == 400


def test_search_listings_pages_through_at_most_1000_skus(http, emulator):
    for n in range(1005):
        emulator.store.add_listing(SELLER_ID, f"SKU-{n:04d}", [US])
    seen, token, pages = [], None, 0
    while True:
        params = {"marketplaceIds": US, "pageSize": 20, "sortBy": "sku", "sortOrder": "ASC"}
        if token:
            params["pageToken"] = token
        body = http.get(LISTINGS, params=params).json()
        assert body["numberOfResults"] == 1005
        seen += [item["sku"] for item in body["items"]]
        pages += 1
        token = (body.get("pagination") or {}).get("nextToken")
        if not token:
            break
    assert (pages, len(seen), len(set(seen))) == (50, 1000, 1000)
    assert seen[:2] == ["SKU-0000", "SKU-0001"]
