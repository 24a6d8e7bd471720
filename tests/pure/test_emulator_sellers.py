"""Login with Amazon, consent and the Sellers API (spapi_emulator/sellers.py)."""

import httpx
import pytest
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    DE,
    REFRESH_TOKEN,
    SELLER_ID,
    access_token,
    ago,
)


def test_consent_page_redirects_with_a_code(emulator):
    response = httpx.get(
        f"{emulator.url}/apps/authorize/consent",
        params={"application_id": CLIENT_ID, "state": "abc", "version": "beta"},
    )
    assert response.status_code == 302
    location = httpx.URL(response.headers["Location"])
    assert location.params["state"] == "abc"
    assert location.params["selling_partner_id"] == SELLER_ID
    assert location.params["spapi_oauth_code"] in emulator.store.auth_codes


# --- Login with Amazon: grant types, client authentication, tokens bound ------------------------
def _token(emulator, **form):
    data = {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **form,
    }
    return httpx.post(f"{emulator.url}/auth/o2/token", data={k: v for k, v in data.items() if v})


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "unsupported_grant_type"),
        ({"client_secret": "guessed"}, 401, "invalid_client"),
        ({"client_id": "amzn1.application-oa2-client.unknown"}, 401, "invalid_client"),
        ({"refresh_token": "Atzr|forged"}, 400, "invalid_grant"),
        ({"grant_type": "authorization_code", "code": "never-issued"}, 400, "invalid_grant"),
    ],
)
def test_lwa_refuses_what_it_should(emulator, form, status, error):
    response = _token(emulator, **form)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_a_refresh_token_is_bound_to_its_app_and_seller(emulator):
    store = emulator.store
    store.add_app("amzn1.application-oa2-client.other", "other-secret")
    # The seller's token, presented by another app, is refused.
    response = _token(
        emulator, client_id="amzn1.application-oa2-client.other", client_secret="other-secret"
    )
    assert response.json()["error"] == "invalid_grant"
    # Another seller's token opens that seller's data only.
    store.add_seller("AOTHERSELLER", [DE], client_id=CLIENT_ID, refresh_token="Atzr|other-seller")
    order = store.add_order(
        SELLER_ID, DE, [{"sku": "A", "title": "A", "quantity": 1, "unit_price": "1.00"}]
    )
    other = access_token(emulator.url, refresh_token="Atzr|other-seller")
    headers = {"x-amz-access-token": other}
    found = httpx.get(f"{emulator.url}/orders/2026-01-01/orders/{order.order_id}", headers=headers)
    assert found.status_code == 404
    listed = httpx.get(
        f"{emulator.url}/orders/2026-01-01/orders",
        params={"marketplaceIds": DE, "createdAfter": ago(hours=3)},
        headers=headers,
    ).json()
    assert listed["orders"] == []
