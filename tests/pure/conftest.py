"""Pure-Python tests: they import the addon's Odoo-free packages (the SP-API
adapter ``spapi`` and the emulator ``spapi_emulator``) as top-level packages,
so they run without Odoo."""

import pathlib
import sys
from datetime import datetime, timedelta, timezone

import httpx
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from spapi import Endpoint, SpApiAdapter, TokenCache  # noqa: E402
from spapi_emulator import Emulator  # noqa: E402
from spapi_emulator.conformance import ModelValidator, find_models_dir  # noqa: E402

CLIENT_ID = "amzn1.application-oa2-client.tests"
CLIENT_SECRET = "tests-client-secret-value"
REFRESH_TOKEN = "Atzr|tests-refresh-token-value"
SELLER_ID = "A1TESTSELLER"
US, DE, UK, JP = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A1VC38T7YXB528"

MODELS_DIR = find_models_dir(REPO)
_validator = None


def model_validator():
    global _validator  # noqa: PLW0603 - one parse of the models per session
    if _validator is None and MODELS_DIR is not None:
        _validator = ModelValidator(MODELS_DIR)
    return _validator


@pytest.fixture
def emulator():
    """A running emulator with one app and one seller on US and DE. Amazon's
    usage plans apply, 1000 times faster. After the test, every response it
    gave is checked against Amazon's models (when they are present)."""
    emu = Emulator(speed=1000, models_dir=MODELS_DIR)
    emu.store.add_app(CLIENT_ID, CLIENT_SECRET, ["https://odoo.example/amazon/consent"])
    emu.store.add_seller(SELLER_ID, [US, DE], client_id=CLIENT_ID, refresh_token=REFRESH_TOKEN)
    emu.start()
    yield emu
    emu.stop()
    validator = model_validator()
    if validator is not None:
        problems = validator.check(emu.calls)
        assert not problems, "responses not conforming to Amazon's models:\n" + "\n".join(
            f"{call.method} {call.path} -> {call.status}: {errors[:3]}" for call, errors in problems
        )


def access_token(
    base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH_TOKEN
):
    """An LWA access token from the emulator at ``base_url`` (raw HTTP tests)."""
    import httpx  # noqa: PLC0415

    return httpx.post(
        f"{base_url}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        },
    ).json()["access_token"]


class SleepRecorder:
    """Really sleeps (the emulator refills in real time) and sums the waits."""

    def __init__(self):
        self.waits = []

    def __call__(self, seconds):
        self.waits.append(seconds)
        import time  # noqa: PLC0415

        time.sleep(seconds)

    @property
    def total(self):
        return sum(self.waits)


@pytest.fixture
def sleeps():
    return SleepRecorder()


@pytest.fixture
def make_adapter(emulator, sleeps):
    """Build adapters on the emulator with a private token cache and fast backoff."""
    cache = TokenCache()

    def make(**overrides):
        options = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "endpoint": Endpoint.custom(emulator.url),
            "timeout": 2.0,
            "backoff_base": 0.01,
            "sleep": sleeps,
            "token_cache": cache,
        }
        options.update(overrides)
        return SpApiAdapter(**options)

    return make


@pytest.fixture
def adapter(make_adapter):
    return make_adapter()


def pytest_configure(config):
    # bravado-core (the emulator's model checks) uses jsonschema's deprecated
    # RefResolver; the warnings say nothing about the code under test.
    for module in ("bravado_core", "swagger_spec_validator"):
        config.addinivalue_line("filterwarnings", f"ignore::DeprecationWarning:{module}")


# --- the emulator's own tests (test_emulator_*.py) ---------------------------------------------
def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(**delta):
    return iso(datetime.now(timezone.utc) - timedelta(**delta))


@pytest.fixture
def http(emulator):
    token = access_token(emulator.url)
    client = httpx.Client(base_url=emulator.url, headers={"x-amz-access-token": token})
    yield client
    client.close()


def error_of(response):
    return response.json()["errors"][0]


# The checks driven by Amazon's models need them (shared/spapi-models or
# $SAC_SPAPI_MODELS); without them the emulator serves unchecked requests.
needs_models = pytest.mark.skipif(
    MODELS_DIR is None, reason="Amazon's API models not found (set SAC_SPAPI_MODELS)"
)


LISTING = f"/listings/2021-08-01/items/{SELLER_ID}/MUG-01"
LISTINGS = f"/listings/2021-08-01/items/{SELLER_ID}"


def feed_document(http, content_type="application/json; charset=UTF-8"):
    """A feed document created (createFeedDocument's answer)."""
    return http.post("/feeds/2021-06-30/documents", json={"contentType": content_type}).json()
