"""The emulator against Amazon's own API models (../shared/spapi-models).

Besides these tests, the ``emulator`` fixture validates every response of
every test against the models. Without the models (a user's machine), this
module skips with the reason."""

import json
import re

import httpx
import pytest
from conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    MODELS_DIR,
    REFRESH_TOKEN,
    access_token,
    model_validator,
)

from spapi import USAGE_PLANS as ADAPTER_PLANS
from spapi_emulator import USAGE_PLANS as EMULATOR_PLANS
from spapi_emulator import Emulator
from spapi_emulator.conformance import MODEL_FILES
from spapi_emulator.sandbox import HTTP_METHODS, load_operations

pytestmark = pytest.mark.skipif(
    MODELS_DIR is None,
    reason="Amazon's API models are not here (expected in ../shared/spapi-models "
    "or $SAC_SPAPI_MODELS): conformance not checked",
)


def published_plans():
    """operationId -> (rate, burst) from the models' usage-plan tables."""
    plans = {}
    for name in MODEL_FILES:
        model = json.loads((MODELS_DIR / name).read_text())
        for methods in model["paths"].values():
            for method, operation in methods.items():
                if method not in HTTP_METHODS:
                    continue
                found = re.search(
                    r"\|\s*([\d.]+)\s*\|\s*(\d+)\s*\|", operation.get("description", "")
                )
                if found:
                    key = operation["operationId"]
                    if name == "ordersV0.json" and key == "getOrder":
                        key = "getOrderV0"
                    plans[key] = (float(found.group(1)), int(found.group(2)))
    return plans


def test_usage_plans_are_amazons():
    plans = published_plans()
    for table in (EMULATOR_PLANS, ADAPTER_PLANS):
        for operation, plan in table.items():
            assert plans[operation] == plan, operation


def test_the_validator_catches_a_broken_response():
    validator = model_validator()
    good = {"orders": [], "lastUpdatedBefore": "2026-01-01T00:00:00Z"}
    assert validator.response_errors("GET", "/orders/2026-01-01/orders", 200, good) == []
    broken = {"orders": [{"orderId": 12}]}
    errors = validator.response_errors("GET", "/orders/2026-01-01/orders", 200, broken)
    assert any("orderId" in e for e in errors)
    assert any("required" in e for e in errors)


def _request_for(model_operation, example_parameters):
    """(path parameters, query, body) of a sandbox example."""
    path, query, body = {}, {}, None
    places = {p["name"]: p["in"] for p in model_operation.get("parameters", [])}
    for name, value in example_parameters.items():
        place = "body" if name == "body" else places.get(name, "query")
        if place == "path":
            path[name] = value
        elif place == "body":
            body = value
        else:
            query[name] = ",".join(map(str, value)) if isinstance(value, list) else str(value)
    return path, query, body


_SEEN = {}


def sandbox_cases():
    if MODELS_DIR is None:
        return []
    cases = []
    for name in MODEL_FILES:
        model = json.loads((MODELS_DIR / name).read_text())
        for template, methods in model["paths"].items():
            for method, operation in methods.items():
                if method not in HTTP_METHODS:
                    continue
                for status, response in operation["responses"].items():
                    examples = response.get("x-amzn-api-sandbox", {}).get("static", [])
                    for index, example in enumerate(examples):
                        cases.append(
                            pytest.param(
                                method.upper(),
                                template,
                                operation,
                                int(status),
                                example,
                                id=f"{operation['operationId']}-{status}-{index}",
                            )
                        )
    return cases


@pytest.fixture(scope="module")
def sandbox():
    emu = Emulator(sandbox_models=MODELS_DIR, rate_limits=False)
    emu.store.add_app(CLIENT_ID, CLIENT_SECRET)
    emu.store.add_seller(
        "A1SANDBOX", ["ATVPDKIKX0DER"], client_id=CLIENT_ID, refresh_token=REFRESH_TOKEN
    )
    emu.start()
    token = access_token(emu.url)
    yield emu, token
    emu.stop()


def test_sandbox_serves_every_modelled_example_operation():
    operations = {op.operation for op in load_operations(MODELS_DIR)}
    for needed in (
        "searchOrders",
        "getOrder",
        "confirmShipment",
        "getListingsItem",
        "patchListingsItem",
        "createFeed",
        "getFeed",
        "createFeedDocument",
        "getFeedDocument",
        "getMarketplaceParticipations",
    ):
        assert needed in operations


def _replayable(template, operation, status, example, seen):
    """Amazon's models sometimes give one request two answers (same parameters
    under 200 and 400): only the first one can be replayed."""
    key = (template, operation["operationId"], json.dumps(example["request"], sort_keys=True))
    first = seen.setdefault(key, status)
    return first == status


@pytest.mark.parametrize(("method", "template", "operation", "status", "example"), sandbox_cases())
def test_sandbox_examples_replay(sandbox, method, template, operation, status, example):
    emu, token = sandbox
    if not _replayable(template, operation, status, example, _SEEN):
        pytest.skip("Amazon's model gives this same request another answer first")
    request = example.get("request", {})
    parameters = {k: v["value"] for k, v in request.get("parameters", {}).items() if "value" in v}
    path_params, query, body = _request_for(operation, parameters)
    path = template
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", httpx.URL(str(value)).raw_path.decode())
    response = httpx.request(
        method,
        emu.url + path,
        params=query,
        content=json.dumps(body) if body is not None else None,
        headers={"x-amz-access-token": token, "content-type": "application/json"},
    )
    assert response.status_code == status
    if status == 204 or example.get("response") is None:
        assert response.content == b""
    else:
        assert response.json() == example["response"]
