"""The emulator's HTTP server: a thin router over one module per Amazon API.

It parses a request, finds its route in the APIs' tables (``APIS``), checks
the request against Amazon's model, authenticates it and applies the usage
plan, dispatches it to the API's operation, and answers in Amazon's shape,
errors included: an error no operation expected is a 500 in Amazon's error
shape and a line in the emulator's log, never a connection closed without an
answer. Speaks Amazon's wire protocol (paths, query parameters, JSON bodies,
error shapes, rate-limit headers), so python-amazon-sp-api talks to it
unchanged but for its base URLs.
"""

import contextlib
import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from .common import ApiError, Call, Route, StoreError, invalid, isoformat
from .conformance import ModelValidator
from .contract import ContractError, RequestContract
from .fba_inventory import FbaInventoryApi
from .fee_invoices import FeeInvoicesApi
from .feeds import FeedsApi, process_feed
from .finances import FinancesApi
from .fulfillment_outbound import FulfillmentOutboundApi
from .listings import ListingsApi
from .notifications import NotificationsApi
from .orders import OrdersApi
from .orders_v0 import OrdersV0Api
from .ratelimits import RateLimiter
from .reports import ReportsApi, process_report
from .sandbox import Sandbox
from .sellers import SellersApi
from .shipping import ShippingApi
from .store import Store

_logger = logging.getLogger("spapi_emulator")

# One line per API: a new API is its module and a line here.
APIS = [
    SellersApi,
    OrdersApi,
    OrdersV0Api,
    ListingsApi,
    FbaInventoryApi,
    FeedsApi,
    FinancesApi,
    FeeInvoicesApi,
    ReportsApi,
    NotificationsApi,
    ShippingApi,
    FulfillmentOutboundApi,
]
ROUTES = [(api, route) for api in APIS for route in api.routes]

FAULT_KINDS = (
    "throttle",
    "server_error",
    "unavailable",
    "timeout",
    "drop",
    "malformed",
    # A hostile server posing as Amazon: the document's pre-signed URL names
    # an internal address (the cloud's metadata service). Not Amazon's
    # behaviour: what the connector must refuse to fetch or upload to.
    "foreign_url",
)
FOREIGN_DOCUMENT_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
# The document operations whose answer names a URL, and their id field.
_DOCUMENT_ID_FIELDS = {
    "createFeedDocument": "feedDocumentId",
    "getFeedDocument": "feedDocumentId",
    "getReportDocument": "reportDocumentId",
}


class Faults:
    """Faults queued per operation: the next N calls of it misbehave."""

    def __init__(self):
        self._queue = {}
        self._lock = threading.Lock()
        self.timeout_seconds = 3.0

    def add(self, operation, kind, count=1):
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        with self._lock:
            self._queue.setdefault(operation, []).extend([kind] * count)

    def clear(self):
        with self._lock:
            self._queue.clear()

    def take(self, operation):
        with self._lock:
            queue = self._queue.get(operation)
            return queue.pop(0) if queue else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SPAPIEmulator/1.0"

    # Quiet: tests read the call journal, not the console.
    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # --- plumbing ---------------------------------------------------------------
    @property
    def emulator(self):
        return self.server.emulator

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body=None, headers=None, raw=None, call=None):
        if call is not None:
            call.status = status
            call.response = body if raw is None else raw
            # Checked before it leaves: whoever reads the answer finds the check done.
            self._check_response(call)
        payload = raw if raw is not None else b""
        if body is not None and raw is None:
            payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _check_response(self, call):
        """The answer against Amazon's model (conformance.py): a
        departure is the emulator's bug, logged here and failed by the tests
        (they read ``call.errors``)."""
        validator = self.emulator.responses
        if validator is None:
            return
        try:
            call.errors = validator.call_errors(call)
        except Exception as error:  # a check that fails is a departure too
            call.errors = [f"the answer could not be checked: {error!r}"]
        if call.errors:
            _logger.warning(
                "%s %s answered outside Amazon's model: %s", call.method, call.path, call.errors[:3]
            )

    def _dispatch(self, method):
        url = urlsplit(self.path)
        path = url.path
        query = parse_qs(url.query, keep_blank_values=True)
        params = {key: values[-1] for key, values in query.items()}
        raw_body = self._read_body()
        api, route, match = None, None, None
        for candidate_api, candidate in ROUTES:
            found = candidate.pattern.match(path)
            if found and candidate.method == method:
                api, route, match = candidate_api, candidate, found
                break
        sandbox_operation = sandbox_params = None
        if self.emulator.sandbox is not None and (route is None or route.authenticated):
            sandbox_operation, sandbox_params = self.emulator.sandbox.match(method, path)
            if sandbox_operation is not None:
                route = Route(method, None, sandbox_operation.operation, "sandbox")
        if route is None:
            self._send(404, ApiError(404, "NotFound", "Resource not found.", path).body())
            return
        body = raw_body
        is_json = "json" in (self.headers.get("Content-Type") or "json")
        # Uploaded documents are kept byte for byte, whatever they contain.
        if raw_body and is_json and route.operation != "uploadFeedDocument":
            try:
                body = json.loads(raw_body)
            except ValueError:
                body = raw_body
        call = Call(route.operation, method, path, params, body)
        self.emulator.record(call)
        fault = self.emulator.faults.take(route.operation)
        if fault:
            call.fault = fault
            if self._inject(fault, call, route):
                return
        headers = {}
        try:
            if route.authenticated:
                caller = self._authenticate(call, grantless=route.authenticated == "grantless")
                if not self.emulator.limiter.allow(caller, route.operation):
                    raise ApiError(
                        429,
                        "QuotaExceeded",
                        "You exceeded your quota for the requested resource.",
                    )
                headers["x-amzn-RateLimit-Limit"] = self.emulator.limiter.limit_header(
                    route.operation
                )
            if route.authenticated:
                # Swagger 2.0 repeats a query parameter only for collectionFormat
                # "multi", which none of Amazon's models uses: their lists are "csv"
                # ("A comma-delimited list of ..."), one value. A repeated key would
                # be read as one of its values, silently.
                repeated = sorted(key for key, values in query.items() if len(values) > 1)
                if repeated:
                    raise invalid(
                        f"{repeated[0]}: sent {len(query[repeated[0]])} times; the model "
                        "takes one comma-delimited value."
                    )
            if route.authenticated and self.emulator.contract is not None:
                self._check_contract(call, method, path, query, body)
            if sandbox_operation is not None:
                result = self._sandbox_answer(call, sandbox_operation, sandbox_params, params, body)
            else:
                kwargs = {k: unquote(v) for k, v in match.groupdict().items()}
                operation = getattr(api(self.emulator, self.headers), "op_" + route.handler)
                result = operation(call, params, body, **kwargs)
        except ApiError as error:
            if error.status == 429:
                headers["x-amzn-RateLimit-Limit"] = self.emulator.limiter.limit_header(
                    route.operation
                )
            self._send(error.status, error.body(), headers, call=call)
            return
        except Exception:
            # An error no operation expected (the emulator's own bug, or input
            # it did not foresee): Amazon's answer to its own failures, and the
            # trace in the log; never a connection closed without an answer.
            _logger.exception("%s %s (%s) failed", method, path, route.operation)
            call.fault = call.fault or "unexpected"
            error = ApiError(500, "InternalFailure", "We encountered an internal error.")
            self._send(500, error.body(), headers, call=call)
            return
        status, response = result[0], result[1]
        extra = result[2] if len(result) > 2 else {}
        headers.update(extra)
        if isinstance(response, bytes | str):
            raw = response.encode() if isinstance(response, str) else response
            self._send(status, raw=raw, headers=headers, call=call)
        else:
            self._send(status, response, headers, call=call)

    def _check_contract(self, call, method, path, query, body):
        """The request against its operation in Amazon's model (contract.py)."""
        single = {key: values[-1] if len(values) == 1 else values for key, values in query.items()}
        try:
            _operation, call.unknown_params = self.emulator.contract.check(
                method, path, single, body, dict(self.headers)
            )
        except ContractError as error:
            if error.status == 415:
                raise ApiError(415, "UnsupportedMediaType", error.message, error.param) from None
            raise invalid(f"{error.param}: {error.message}") from None

    def _sandbox_answer(self, call, operation, path_params, params, body):
        call.sandbox = True
        example = self.emulator.sandbox.answer(
            operation, {k: unquote(v) for k, v in path_params.items()}, params, body
        )
        if example is None:
            raise invalid("No sandbox example matches this request.")
        # A 204 example has an empty body; Amazon sends none.
        return example.status, None if example.status == 204 else example.response

    def _inject(self, fault, call, route):
        """Misbehave as asked; return True when the request is answered."""
        if fault == "throttle":
            self._send(
                429,
                ApiError(
                    429,
                    "QuotaExceeded",
                    "You exceeded your quota for the requested resource.",
                ).body(),
                {"x-amzn-RateLimit-Limit": self.emulator.limiter.limit_header(route.operation)},
                call=call,
            )
        elif fault == "server_error":
            self._send(
                500,
                ApiError(
                    500,
                    "InternalFailure",
                    "We encountered an internal error. Please try again.",
                ).body(),
                call=call,
            )
        elif fault == "unavailable":
            self._send(
                503,
                ApiError(503, "ServiceUnavailable", "Service temporarily unavailable.").body(),
                call=call,
            )
        elif fault == "foreign_url" and route.operation in _DOCUMENT_ID_FIELDS:
            status, document_id = 200, call.path.rstrip("/").rsplit("/", 1)[-1]
            if route.operation == "createFeedDocument":
                content_type = (call.body or {}).get("contentType") or "text/plain"
                status = 201
                document_id = self.emulator.store.create_document(content_type).document_id
            self._send(
                status,
                {_DOCUMENT_ID_FIELDS[route.operation]: document_id, "url": FOREIGN_DOCUMENT_URL},
                call=call,
            )
        elif fault == "malformed":
            self._send(200, raw=b'{"orders": [{"orderId": "truncated', call=call)
        elif fault in ("timeout", "drop"):
            if fault == "timeout":
                time.sleep(self.emulator.faults.timeout_seconds)
            # Nothing is processed; the connection closes without an answer.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
        return True

    def _authenticate(self, call, grantless=False):
        """Sets the call's seller (or, for a grantless operation, its
        application) from the access token; returns whose usage plan it spends.
        A grantless operation takes a grantless token only, and the others a
        seller's ("The `createDestination` operation is grantless")."""
        token = self.headers.get("x-amz-access-token")
        store = self.emulator.store
        with store.lock:
            entry = (store.grantless_tokens if grantless else store.access_tokens).get(token)
        if not token or entry is None:
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided is revoked, malformed or invalid.",
            )
        owner, expires = entry
        if expires < time.time():
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided has expired.",
            )
        if grantless:
            call.app_id = owner
            return f"app:{owner}"
        call.seller_id = owner
        return owner


class Emulator:
    """A running emulator: ``with Emulator() as emu: ... emu.url ...``."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        *,
        speed=1.0,
        store=None,
        rate_limits=True,
        sandbox_models=None,
        models_dir=None,
        check_responses=True,
    ):
        self.store = store or Store()
        # Strict mode: every request is checked against Amazon's models first,
        # and every answer after (unless a benchmark asks not to spend on it).
        self.contract = RequestContract.load(models_dir) if models_dir else None
        self.responses = ModelValidator.load(models_dir) if models_dir and check_responses else None
        # Sandbox mode: SP-API requests are answered from the models' examples.
        self.sandbox = Sandbox(sandbox_models) if sandbox_models else None
        self.limiter = RateLimiter(speed=speed, enabled=rate_limits)
        self.faults = Faults()
        self.calls = []
        self._calls_lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._server.emulator = self
        self.host, self.port = self._server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = None

    def start(self):
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="spapi-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- inspection -----------------------------------------------------------------
    def record(self, call):
        with self._calls_lock:
            self.calls.append(call)

    def calls_for(self, operation):
        with self._calls_lock:
            return [c for c in self.calls if c.operation == operation]

    def reset_calls(self):
        with self._calls_lock:
            self.calls.clear()

    def reset(self):
        """Forget calls, faults and rate-limit state (not the store)."""
        self.reset_calls()
        self.faults.clear()
        self.limiter.reset()

    # --- feeds ----------------------------------------------------------------------
    def process_feed(self, feed):
        """Amazon processes feeds in the background; the emulator does it when
        the feed is next looked at (feeds.process_feed)."""
        process_feed(self.store, feed)

    # --- reports --------------------------------------------------------------------
    def process_report(self, report):
        """Amazon writes reports in the background (reports.process_report)."""
        process_report(self.store, report)


__all__ = ["ApiError", "Call", "Emulator", "StoreError", "invalid", "isoformat"]
