"""The router (spapi_emulator/server.py): authentication, usage plans, every
request checked against Amazon's models, errors in Amazon's shape."""

import httpx
import pytest
from conftest import (
    DE,
    LISTING,
    LISTINGS,
    US,
    ago,
    error_of,
    needs_models,
)


def test_requests_need_a_valid_token(emulator):
    response = httpx.get(f"{emulator.url}/sellers/v1/marketplaceParticipations")
    assert response.status_code == 403
    assert error_of(response)["code"] == "Unauthorized"
    response = httpx.get(
        f"{emulator.url}/sellers/v1/marketplaceParticipations",
        headers={"x-amz-access-token": "Atza|forged"},
    )
    assert response.status_code == 403


def test_rate_limit_answers_429_with_the_limit_header(http, emulator):
    emulator.limiter.speed = 1
    emulator.limiter.set_plan("getMarketplaceParticipations", 0.016, 2)
    statuses = [http.get("/sellers/v1/marketplaceParticipations").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = http.get("/sellers/v1/marketplaceParticipations")
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.016"
    assert error_of(response)["code"] == "QuotaExceeded"


# --- every request checked against Amazon's models (spapi_emulator/contract.py) ------------
PACKAGE = {
    "packageReferenceId": "1",
    "carrierCode": "UPS",
    "trackingNumber": "1Z999",
    "shipDate": "2026-01-01T10:00:00Z",
    "orderItems": [{"orderItemId": "1", "quantity": 1}],
}


def _without(mapping, key):
    return {k: v for k, v in mapping.items() if k != key}


@needs_models
@pytest.mark.parametrize(
    ("method", "path", "params", "body", "named"),
    [
        # searchOrders: types, enums, array limits of the model.
        (
            "GET",
            "/orders/2026-01-01/orders",
            {"marketplaceIds": ",".join([DE] * 51), "lastUpdatedAfter": ago(hours=2)},
            None,
            "marketplaceIds",
        ),
        (
            "GET",
            "/orders/2026-01-01/orders",
            {"marketplaceIds": DE, "lastUpdatedAfter": ago(hours=2), "includedData": "ALL"},
            None,
            "includedData",
        ),
        (
            "GET",
            "/orders/2026-01-01/orders",
            {"marketplaceIds": DE, "createdAfter": ago(hours=2), "maxResultsPerPage": "ten"},
            None,
            "maxResultsPerPage",
        ),
        (
            "GET",
            "/orders/2026-01-01/orders",
            {"marketplaceIds": DE, "createdAfter": ago(hours=2), "fulfillmentStatuses": "LOST"},
            None,
            "fulfillmentStatuses",
        ),
        # getOrder: its includedData.
        ("GET", "/orders/2026-01-01/orders/X", {"includedData": "BUYERS"}, None, "includedData"),
        # confirmShipment: the body's schema.
        (
            "POST",
            "/orders/v0/orders/X/shipmentConfirmation",
            {},
            {"packageDetail": PACKAGE},
            "marketplaceId",
        ),
        (
            "POST",
            "/orders/v0/orders/X/shipmentConfirmation",
            {},
            {"marketplaceId": DE, "packageDetail": _without(PACKAGE, "trackingNumber")},
            "trackingNumber",
        ),
        (
            "POST",
            "/orders/v0/orders/X/shipmentConfirmation",
            {},
            {"marketplaceId": DE, "packageDetail": {**PACKAGE, "shipDate": "01/01/2026"}},
            "packageDetail/shipDate",
        ),
        (
            "POST",
            "/orders/v0/orders/X/shipmentConfirmation",
            {},
            {
                "marketplaceId": DE,
                "packageDetail": {**PACKAGE, "orderItems": [{"orderItemId": "1"}]},
            },
            "quantity",
        ),
        ("POST", "/orders/v0/orders/X/shipmentConfirmation", {}, None, "payload"),
        # Listings Items: marketplaceIds required, productType and patch operations.
        ("GET", LISTING, {}, None, "marketplaceIds"),
        (
            "PATCH",
            LISTING,
            {"marketplaceIds": DE},
            {"patches": [{"op": "merge", "path": "/attributes/x", "value": [{}]}]},
            "productType",
        ),
        (
            "PATCH",
            LISTING,
            {"marketplaceIds": DE},
            {"productType": "PRODUCT", "patches": [{"op": "upsert", "path": "/attributes/x"}]},
            "patches/0/op",
        ),
        # Feeds: the bodies' schemas, and the feed types the emulator processes.
        (
            "POST",
            "/feeds/2021-06-30/feeds",
            {},
            {"feedType": "POST_PRODUCT_DATA", "marketplaceIds": [DE], "inputFeedDocumentId": "1"},
            "feedType",
        ),
        ("POST", "/feeds/2021-06-30/documents", {}, {}, "contentType"),
        (
            "POST",
            "/feeds/2021-06-30/feeds",
            {},
            {"marketplaceIds": [DE], "inputFeedDocumentId": "1"},
            "feedType",
        ),
    ],
)
def test_requests_outside_the_model_are_refused(http, method, path, params, body, named):
    response = http.request(method, path, params=params, json=body)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["code"] == "InvalidInput"
    assert named in error["details"].split(":")[0]


@needs_models
def test_a_body_that_is_not_json_is_an_unsupported_media_type(http):
    response = http.post(
        "/feeds/2021-06-30/documents",
        content=b"contentType=text/xml",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "UnsupportedMediaType"


@needs_models
def test_unknown_parameters_are_reported_on_the_call(http, emulator):
    response = http.get(
        "/orders/2026-01-01/orders",
        params={"marketplaceIds": DE, "lastUpdatedAfter": ago(hours=2), "MarketplaceId": DE},
    )
    assert response.status_code == 200  # Amazon ignores them...
    call = emulator.calls_for("searchOrders")[-1]
    assert call.unknown_params == ["MarketplaceId"]  # ...the conformance check does not
    assert "'MarketplaceId' is not in the model" in call.errors[0]  # the router's own check
    call.unknown_params, call.errors = [], []


def test_a_repeated_query_parameter_is_refused(http):
    """Amazon's lists are one comma-delimited value (collectionFormat csv)."""
    response = http.get(LISTINGS, params=[("marketplaceIds", US), ("marketplaceIds", DE)])
    assert response.status_code == 400
    assert error_of(response)["details"].startswith("marketplaceIds: sent 2 times")
