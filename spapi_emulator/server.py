"""The emulator's HTTP server: LWA tokens, Sellers, Orders, Listings, Feeds, FBA
Inventory, Reports.

Speaks Amazon's wire protocol (paths, query parameters, JSON bodies, error
shapes, rate-limit headers), so python-amazon-sp-api talks to it unchanged but
for its base URLs.
"""

import base64
import contextlib
import gzip
import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from . import fee_invoices
from . import invoices as vat_invoices
from .contract import ContractError, RequestContract
from .finances import render_event_group, render_transaction
from .listings import apply_patches, process_listings_feed
from .marketplaces import MARKETPLACES
from .ratelimits import RateLimiter
from .render import (
    INCLUDED_DATA,
    corrupt,
    render_fba_summary,
    render_listing,
    render_order,
    render_participations,
)
from .reports import REPORT_TYPES, render_report_document, report_rows
from .sandbox import Sandbox
from .store import (
    ORDER_STATUSES,
    OrderPages,
    Store,
    StoreError,
    TokenPages,
    isoformat,
    utcnow,
)

FULFILLED_BY = ("MERCHANT", "AMAZON")
LISTING_INCLUDED_DATA = (
    "summaries",
    "attributes",
    "issues",
    "offers",
    "fulfillmentAvailability",
    "procurement",
    "relationships",
    "productTypes",
)
FEED_TYPES = ("JSON_LISTINGS_FEED", vat_invoices.FEED_TYPE)
PAGINATION_TOKEN_LIFETIME = timedelta(hours=24)
DOCUMENT_URL_LIFETIME = timedelta(minutes=5)
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


class ApiError(Exception):
    """An Amazon-shaped error answer."""

    def __init__(self, status, code, message, details=""):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self):
        error = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"errors": [error]}


def invalid(details, message="Invalid Input"):
    return ApiError(400, "InvalidInput", message, details)


def parse_iso8601(name, value):
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise invalid(f"{name} is not a valid ISO 8601 date-time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


@dataclass
class Call:
    """One request received, as tests inspect it."""

    operation: str
    method: str
    path: str
    params: dict
    body: object
    seller_id: str | None = None
    status: int | None = None
    response: object = None
    fault: str | None = None
    sandbox: bool = False
    unknown_params: list = field(default_factory=list)  # query parameters not in the model
    at: float = field(default_factory=time.time)


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    operation: str
    handler: str
    authenticated: bool = True


LISTINGS_SEARCH_LIMIT = 1000  # searchListingsItems pages through 1000 SKUs at most
# getInventorySummaries. The page size is not in the model: 50 is what Amazon serves.
FBA_INVENTORY_PAGE_SIZE = 50
FBA_NEXT_TOKEN_LIFETIME = 30  # seconds: "The string token will expire 30 seconds after..."
FBA_INVENTORY_LOOKBACK = timedelta(days=548)  # "no earlier than 18 months prior"
# listTransactions. The page size is not in the model; nextToken comes "when the
# number of results exceeds the specified pageSize value".
TRANSACTIONS_PAGE_SIZE = 100
TRANSACTIONS_LAG = timedelta(minutes=2)  # "more than two minutes before the time of the request"
TRANSACTIONS_MAX_RANGE = timedelta(days=180)  # "more than 180 days apart, the response is empty"
TRANSACTION_FILTERS = ("FINANCIAL_EVENT_GROUP_ID", "ORDER_ID")
# listFinancialEventGroups: the same two-minute and 180-day bounds (Finances v0).
EVENT_GROUPS_LAG = timedelta(minutes=2)
EVENT_GROUPS_MAX_RANGE = timedelta(days=180)


def _encode_offset(offset):
    return base64.urlsafe_b64encode(f"listings:{offset}".encode()).decode()


def _decode_offset(token):
    try:
        kind, offset = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        return int(offset) if kind == "listings" and int(offset) >= 0 else None
    except (ValueError, UnicodeDecodeError):
        return None


def _listing_matches(listing, identifiers, identifiers_type, bounds):
    if identifiers:
        values = {
            "SKU": listing.sku,
            "ASIN": listing.asin,
            **listing.identifiers,
        }
        if values.get(identifiers_type) not in identifiers:
            return False
    moments = {
        "createdAfter": (listing.created_time, 1),
        "createdBefore": (listing.created_time, -1),
        "lastUpdatedAfter": (listing.last_updated_time, 1),
        "lastUpdatedBefore": (listing.last_updated_time, -1),
    }
    for name, bound in bounds.items():
        moment, direction = moments[name]
        # "at or after" / "at or before" this time.
        if (moment - bound).total_seconds() * direction < 0:
            return False
    return True


def _processing_times(job):
    """processingStartTime / processingEndTime of a feed or a report, once known."""
    times = {}
    if job.processing_start:
        times["processingStartTime"] = isoformat(job.processing_start)
    if job.processing_end:
        times["processingEndTime"] = isoformat(job.processing_end)
    return times


def _route(method, path, operation, handler, authenticated=True):
    return Route(method, re.compile(f"^{path}$"), operation, handler, authenticated)


ROUTES = [
    _route("POST", "/auth/o2/token", "lwaToken", "lwa_token", False),
    _route("GET", "/apps/authorize/consent", "consent", "consent", False),
    _route("GET", "/_emulator/health", "health", "health", False),
    _route(
        "GET",
        "/sellers/v1/marketplaceParticipations",
        "getMarketplaceParticipations",
        "participations",
    ),
    _route("GET", "/orders/2026-01-01/orders", "searchOrders", "search_orders"),
    _route("GET", "/orders/2026-01-01/orders/(?P<order_id>[^/]+)", "getOrder", "get_order"),
    _route(
        "POST",
        "/orders/v0/orders/(?P<order_id>[^/]+)/shipmentConfirmation",
        "confirmShipment",
        "confirm_shipment",
    ),
    _route(
        "GET",
        "/listings/2021-08-01/items/(?P<seller_id>[^/]+)/(?P<sku>[^/]+)",
        "getListingsItem",
        "get_listing",
    ),
    _route(
        "GET",
        "/listings/2021-08-01/items/(?P<seller_id>[^/]+)",
        "searchListingsItems",
        "search_listings",
    ),
    _route(
        "PATCH",
        "/listings/2021-08-01/items/(?P<seller_id>[^/]+)/(?P<sku>[^/]+)",
        "patchListingsItem",
        "patch_listing",
    ),
    _route("GET", "/fba/inventory/v1/summaries", "getInventorySummaries", "inventory_summaries"),
    _route("POST", "/feeds/2021-06-30/documents", "createFeedDocument", "create_document"),
    _route(
        "GET",
        "/feeds/2021-06-30/documents/(?P<document_id>[^/]+)",
        "getFeedDocument",
        "get_document",
    ),
    _route("POST", "/feeds/2021-06-30/feeds", "createFeed", "create_feed"),
    _route("GET", "/feeds/2021-06-30/feeds/(?P<feed_id>[^/]+)", "getFeed", "get_feed"),
    _route("GET", "/finances/2024-06-19/transactions", "listTransactions", "list_transactions"),
    _route(
        "GET",
        "/finances/v0/financialEventGroups",
        "listFinancialEventGroups",
        "list_financial_event_groups",
    ),
    _route(
        "GET", "/finances/invoices/2026-06-25/invoices", "getInvoiceHeaders", "get_invoice_headers"
    ),
    _route(
        "GET",
        "/finances/invoices/2026-06-25/invoices/(?P<identifier>[^/]+)",
        "getInvoice",
        "get_invoice",
    ),
    _route("POST", "/reports/2021-06-30/reports", "createReport", "create_report"),
    _route("GET", "/reports/2021-06-30/reports/(?P<report_id>[^/]+)", "getReport", "get_report"),
    _route(
        "GET",
        "/reports/2021-06-30/documents/(?P<document_id>[^/]+)",
        "getReportDocument",
        "get_report_document",
    ),
    # Pre-signed document URLs (S3 on Amazon): no SP-API token, no usage plan.
    _route(
        "PUT",
        "/_documents/(?P<document_id>[^/]+)",
        "uploadFeedDocument",
        "upload_document",
        False,
    ),
    _route(
        "GET",
        "/_documents/(?P<document_id>[^/]+)",
        "downloadDocument",
        "download_document",
        False,
    ),
]


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

    def _dispatch(self, method):
        url = urlsplit(self.path)
        path = url.path
        query = parse_qs(url.query, keep_blank_values=True)
        params = {key: values[-1] for key, values in query.items()}
        raw_body = self._read_body()
        route, match = None, None
        for candidate in ROUTES:
            found = candidate.pattern.match(path)
            if found and candidate.method == method:
                route, match = candidate, found
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
                call.seller_id = self._authenticate()
                if not self.emulator.limiter.allow(call.seller_id, route.operation):
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
                result = getattr(self, "op_" + route.handler)(call, params, body, **kwargs)
        except ApiError as error:
            if error.status == 429:
                headers["x-amzn-RateLimit-Limit"] = self.emulator.limiter.limit_header(
                    route.operation
                )
            self._send(error.status, error.body(), headers, call=call)
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

    def _authenticate(self):
        token = self.headers.get("x-amz-access-token")
        store = self.emulator.store
        with store.lock:
            entry = store.access_tokens.get(token)
        if not token or entry is None:
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided is revoked, malformed or invalid.",
            )
        seller_id, expires = entry
        if expires < time.time():
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "The access token you provided has expired.",
            )
        return seller_id

    def _seller(self, call):
        return self.emulator.store.sellers[call.seller_id]

    def _marketplace_ids(self, call, params, required=True, limit=50):
        ids = [m for m in (params.get("marketplaceIds") or "").split(",") if m]
        if not ids:
            if required:
                raise invalid("marketplaceIds is required.")
            return []
        if len(ids) > limit:
            raise invalid(f"marketplaceIds accepts at most {limit} values.")
        seller = self._seller(call)
        for marketplace_id in ids:
            if marketplace_id not in MARKETPLACES:
                raise invalid(f"Invalid marketplace id: {marketplace_id}.")
            if marketplace_id not in seller.marketplace_ids:
                raise ApiError(
                    403,
                    "Unauthorized",
                    "Access to requested resource is denied.",
                    f"The seller does not participate in marketplace {marketplace_id}.",
                )
        return ids

    @staticmethod
    def _enum_list(params, name, allowed):
        values = [v for v in (params.get(name) or "").split(",") if v]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise invalid(f"Invalid value(s) for {name}: {', '.join(bad)}.")
        return values

    # --- LWA ------------------------------------------------------------------------
    def op_lwa_token(self, call, params, body):
        form = {
            k: v[-1] for k, v in parse_qs(body.decode() if isinstance(body, bytes) else "").items()
        }
        # Never journal secrets: keep the grant type and client id only.
        call.body = {k: form.get(k) for k in ("grant_type", "client_id")}
        store = self.emulator.store
        app = store.apps.get(form.get("client_id"))
        if app is None or app.client_secret != form.get("client_secret"):
            return 401, {
                "error": "invalid_client",
                "error_description": "Client authentication failed",
            }
        grant = form.get("grant_type")
        with store.lock:
            if grant == "refresh_token":
                owner = store.refresh_tokens.get(form.get("refresh_token"))
                if owner is None or owner[0] != app.client_id:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "The request has an invalid grant parameter : "
                        "refresh_token",
                    }
                seller_id = owner[1]
                refresh_token = form["refresh_token"]
            elif grant == "authorization_code":
                entry = store.auth_codes.pop(form.get("code"), None)
                if entry is None or entry[0] != app.client_id or entry[2] < time.time():
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "The authorization code is invalid, expired "
                        "or was already used",
                    }
                seller_id = entry[1]
                refresh_token = store.authorize(app.client_id, seller_id)
            else:
                return 400, {
                    "error": "unsupported_grant_type",
                    "error_description": f"Unsupported grant type {grant!r}",
                }
            access_token = store.issue_access_token(seller_id, refresh_token)
        call.seller_id = seller_id
        return 200, {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "token_type": "bearer",
            "expires_in": 3600,
        }

    def op_consent(self, call, params, body):
        """Seller Central's consent page, approved at once by the emulated seller
        ``store.consenting_seller_id`` (default: the first seller)."""
        store = self.emulator.store
        app = store.app_by_application_id(params.get("application_id"))
        redirect_uri = params.get("redirect_uri") or (app.redirect_uris[:1] or [""])[0]
        if app is None or not redirect_uri:
            raise invalid("Unknown application_id or no redirect_uri.")
        seller_id = store.consenting_seller_id or next(iter(store.sellers), None)
        if seller_id not in store.sellers:
            raise invalid("No such seller.")
        code = store.issue_auth_code(app.client_id, seller_id)
        query = urlencode(
            {
                "state": params.get("state", ""),
                "selling_partner_id": seller_id,
                "spapi_oauth_code": code,
            }
        )
        separator = "&" if "?" in redirect_uri else "?"
        return 302, {}, {"Location": f"{redirect_uri}{separator}{query}"}

    def op_health(self, call, params, body):
        return 200, {"status": "ok"}

    # --- Sellers -----------------------------------------------------------------
    def op_participations(self, call, params, body):
        return 200, {"payload": render_participations(self._seller(call))}

    # --- Orders 2026-01-01 ----------------------------------------------------------
    def op_search_orders(self, call, params, body):
        token = params.get("paginationToken")
        store = self.emulator.store
        if token:
            pages = self._order_pages(call, params, token)
            query = pages.query
        else:
            query = self._order_query(call, params)
            pages = OrderPages(
                seller_id=call.seller_id,
                bound_params=self._bound_params(params),
                query=query,
                order_ids=[order.order_id for order in self._matching_orders(query)],
            )
        # "...with the exception of `maxResultsPerPage` and `includedData`, which can
        # be modified between calls" (Pagination): both are read from this request.
        page_size = self._page_size(params)
        included = self._enum_list(params, "includedData", INCLUDED_DATA)
        with store.lock:
            # A token stays valid until it expires (a client may resend it after a
            # lost answer); expired ones are dropped here.
            for stale in [
                key
                for key, value in store.order_pages.items()
                if utcnow() - value.issued > PAGINATION_TOKEN_LIFETIME
            ]:
                del store.order_pages[stale]
            served, rest = pages.order_ids[:page_size], pages.order_ids[page_size:]
            orders = [store.orders[order_id] for order_id in served]
            if any(order.corruptions for order in orders):
                call.fault = "corrupted"  # a test's, outside the models on purpose
            response = {"orders": [render_order(order, included) for order in orders]}
            if rest:
                next_token = secrets.token_urlsafe(24)
                store.order_pages[next_token] = replace(pages, order_ids=rest)
                response["pagination"] = {"nextToken": next_token}
        if "updatedAfter" in query:
            response["lastUpdatedBefore"] = query["updatedBefore"]
        else:
            response["createdBefore"] = query["createdBefore"]
        return 200, response

    @staticmethod
    def _bound_params(params):
        """The parameters a paginationToken binds: all but the token itself and the
        two that "can be modified between calls"."""
        return {
            name: value
            for name, value in params.items()
            if name not in ("paginationToken", "maxResultsPerPage", "includedData")
        }

    def _order_pages(self, call, params, token):
        """The pages a token stands for, if this request may continue them."""
        store = self.emulator.store
        with store.lock:
            pages = store.order_pages.get(token)
        if pages is None or pages.seller_id != call.seller_id:
            raise invalid("paginationToken is invalid.")
        # Pagination: "The token will expire after 24 hours."
        if utcnow() - pages.issued > PAGINATION_TOKEN_LIFETIME:
            raise invalid("paginationToken has expired (a token is valid for 24 hours).")
        # Pagination: "All other parameters must be provided with the same values that
        # were provided with the request that generated this token, with the exception
        # of `maxResultsPerPage` and `includedData`, which can be modified between calls."
        sent = self._bound_params(params)
        for name in sorted(set(sent) | set(pages.bound_params)):
            if sent.get(name) != pages.bound_params.get(name):
                expected = pages.bound_params.get(name)
                raise invalid(
                    f"{name} must have the value of the request that generated the "
                    f"paginationToken ({'absent' if expected is None else repr(expected)}), "
                    f"got {'nothing' if name not in sent else repr(sent[name])}."
                )
        return pages

    @staticmethod
    def _page_size(params):
        # maxResultsPerPage: "The value must be between 1 and 100. **Default:** 100."
        page_size = params.get("maxResultsPerPage") or "100"
        if not page_size.isdigit() or not 1 <= int(page_size) <= 100:
            raise invalid("maxResultsPerPage must be between 1 and 100.")
        return int(page_size)

    def _order_query(self, call, params):
        created_after = params.get("createdAfter")
        updated_after = params.get("lastUpdatedAfter")
        # createdAfter: "You must provide exactly one of `createdAfter` and
        # `lastUpdatedAfter` in your request. If `createdAfter` is provided, neither
        # `lastUpdatedAfter` nor `lastUpdatedBefore` may be provided." lastUpdatedAfter:
        # "If `lastUpdatedAfter` is provided, neither `createdAfter` nor `createdBefore`
        # may be provided."
        if bool(created_after) == bool(updated_after):
            raise invalid("Exactly one of createdAfter and lastUpdatedAfter is required.")
        if created_after and params.get("lastUpdatedBefore"):
            raise invalid("lastUpdatedBefore cannot be combined with createdAfter.")
        if updated_after and params.get("createdBefore"):
            raise invalid("createdBefore cannot be combined with lastUpdatedAfter.")
        latest = utcnow() - timedelta(minutes=2)
        after_name = "createdAfter" if created_after else "lastUpdatedAfter"
        before_name = "createdBefore" if created_after else "lastUpdatedBefore"
        after = parse_iso8601(after_name, created_after or updated_after)
        before = latest
        # createdBefore / lastUpdatedBefore: "...if provided must be equal to or after
        # the `createdAfter` date and at least two minutes before the time of the request."
        if params.get(before_name):
            before = parse_iso8601(before_name, params[before_name])
            if before > latest:
                raise invalid(f"{before_name} must be at least two minutes before now.")
            if before < after:
                raise invalid(f"{before_name} must be equal to or after {after_name}.")
        if after > latest:
            raise invalid(f"{after_name} must be at least two minutes before now.")
        return {
            "seller": call.seller_id,
            # marketplaceIds is optional in the 2026-01-01 model ("The response
            # includes orders that were placed in marketplaces you include in this
            # list"): without it, the seller's marketplaces.
            "marketplaceIds": self._marketplace_ids(call, params, required=False)
            or list(self._seller(call).marketplace_ids),
            "statuses": self._enum_list(
                params,
                "fulfillmentStatuses",
                (*ORDER_STATUSES, "PENDING_AVAILABILITY", "UNFULFILLABLE"),
            ),
            "fulfilledBy": self._enum_list(params, "fulfilledBy", FULFILLED_BY),
            "createdAfter" if created_after else "updatedAfter": isoformat(after),
            "createdBefore" if created_after else "updatedBefore": isoformat(before),
        }

    def _matching_orders(self, query):
        store = self.emulator.store
        by_update = "updatedAfter" in query
        low = parse_iso8601("after", query["updatedAfter" if by_update else "createdAfter"])
        high = parse_iso8601("before", query["updatedBefore" if by_update else "createdBefore"])
        with store.lock:
            orders = [
                order
                for order in store.orders.values()
                if order.seller_id == query["seller"]
                and order.marketplace_id in query["marketplaceIds"]
                and (not query["statuses"] or order.status in query["statuses"])
                and (not query["fulfilledBy"] or order.fulfilled_by in query["fulfilledBy"])
                and low <= (order.last_updated_time if by_update else order.created_time) <= high
            ]
        key = (lambda o: o.last_updated_time) if by_update else (lambda o: o.created_time)
        return sorted(orders, key=lambda o: (key(o), o.order_id))

    def op_get_order(self, call, params, body, order_id):
        included = self._enum_list(params, "includedData", INCLUDED_DATA)
        order = self.emulator.store.orders.get(order_id)
        if order is None or order.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Order {order_id} not found.")
        if order.corruptions:
            call.fault = "corrupted"  # a test's, outside the models on purpose
        return 200, {"order": render_order(order, included)}

    # --- Orders v0 confirmShipment ---------------------------------------------------
    def op_confirm_shipment(self, call, params, body, order_id):
        store = self.emulator.store
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        order = store.orders.get(order_id)
        if order is None or order.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Order {order_id} not found.")
        # The order is confirmed in its own marketplace (ConfirmShipmentRequest
        # .marketplaceId), one the seller sells in.
        if body.get("marketplaceId") != order.marketplace_id:
            raise invalid("marketplaceId is missing or is not the order's marketplace.")
        package = body.get("packageDetail")
        if not isinstance(package, dict):
            raise invalid("packageDetail is required.")
        missing = [
            name
            for name in (
                "packageReferenceId",
                "carrierCode",
                "trackingNumber",
                "shipDate",
                "orderItems",
            )
            if not package.get(name)
        ]
        if missing:
            raise invalid(f"Missing required field(s): {', '.join(missing)}.")
        # PackageReferenceId: "A seller-supplied identifier that uniquely identifies a
        # package within the scope of an order. Only positive numeric values are
        # supported."
        reference = str(package["packageReferenceId"])
        if not reference.isdigit() or int(reference) <= 0:
            raise invalid("packageReferenceId must be a positive number.")
        # PackageDetail.carrierName: "Carrier name that will deliver the package.
        # Required when `carrierCode` is "Other""
        if package.get("carrierCode") == "Other" and not package.get("carrierName"):
            raise invalid('packageDetail/carrierName is required when carrierCode is "Other".')
        # PackageDetail.shipDate: "Must be in ISO 8601 date/time format."
        parse_iso8601("shipDate", package["shipDate"])
        if order.fulfilled_by != "MERCHANT":
            raise invalid("Shipments of orders fulfilled by Amazon cannot be confirmed.")
        if order.status in ("CANCELLED", "PENDING"):
            raise invalid(f"The order is {order.status} and cannot be shipped.")
        items = {item.order_item_id: item for item in order.items}
        previous = next((p for p in order.packages if p.package_reference_id == reference), None)
        # What left before this package, however it was confirmed (another
        # package, Seller Central, another tool): Amazon's quantityFulfilled,
        # less what a re-sent reference held. ItemFulfillment.quantityUnfulfilled
        # is "The number of units of this item that remain to be processed and
        # shipped": a package ships at most that.
        resent = {}
        for line in previous.items if previous else ():
            resent[line["orderItemId"]] = resent.get(line["orderItemId"], 0) + line["quantity"]
        already = {
            item.order_item_id: item.quantity_shipped - resent.get(item.order_item_id, 0)
            for item in order.items
        }
        for line in package["orderItems"]:
            item = items.get(line.get("orderItemId"))
            quantity = line.get("quantity")
            if item is None:
                raise invalid(f"Unknown orderItemId {line.get('orderItemId')!r}.")
            if not isinstance(quantity, int) or quantity <= 0:
                raise invalid("Each order item needs a positive quantity.")
            # A package ships what is left of the item: what was shipped before
            # (a re-sent reference replaces its own) plus this one never exceeds
            # the quantity ordered.
            if already.get(item.order_item_id, 0) + quantity > item.quantity:
                raise invalid(
                    f"Quantity {quantity} of order item {item.order_item_id} exceeds the "
                    "quantity left to ship."
                )
        store.confirm_shipment(order, package)
        return 204, None

    # --- Listings ---------------------------------------------------------------------
    def _listing(self, call, seller_id, sku, params):
        if seller_id != call.seller_id:
            raise ApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                "sellerId does not match the token's seller.",
            )
        self._marketplace_ids(call, params)
        # issueLocale: "A locale for localization of issues. ... Examples: `en_US`,
        # `fr_CA`, `fr_FR`." A language and a country, as in the examples.
        locale = params.get("issueLocale")
        if locale is not None and not re.fullmatch(r"[a-z]{2}_[A-Z]{2}", locale):
            raise invalid(f"issueLocale: {locale!r} is not a locale such as en_US.")
        return self.emulator.store.get_listing(seller_id, sku)

    def op_get_listing(self, call, params, body, seller_id, sku):
        included = self._enum_list(params, "includedData", LISTING_INCLUDED_DATA) or ["summaries"]
        listing = self._listing(call, seller_id, sku, params)
        if listing is None:
            raise ApiError(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace.")
        marketplaces = self._marketplace_ids(call, params)
        if not listing.offers_in(marketplaces):
            raise ApiError(404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace.")
        return 200, render_listing(listing, included, marketplaces)

    def op_search_listings(self, call, params, body, seller_id):
        self._listing(call, seller_id, None, params)  # the seller, marketplaces, locale
        marketplaces = self._marketplace_ids(call, params)
        included = self._enum_list(params, "includedData", LISTING_INCLUDED_DATA) or ["summaries"]
        identifiers = [i for i in (params.get("identifiers") or "").split(",") if i]
        # identifiers: "1. This is required when you specify `identifiersType`. 2. You
        # cannot use 'identifiers' if you specify `variationParentSku` or
        # `packageHierarchySku`." identifiersType: "This is required when
        # `identifiers` is provided." variationParentSku / packageHierarchySku: "You
        # cannot use [one] if you include `identifiers` or [the other]."
        if bool(identifiers) != bool(params.get("identifiersType")):
            raise invalid("identifiers and identifiersType go together.")
        exclusive = [
            name
            for name in ("identifiers", "variationParentSku", "packageHierarchySku")
            if params.get(name)
        ]
        if len(exclusive) > 1:
            raise invalid(f"{' and '.join(exclusive)} cannot be used together.")
        bounds = {
            name: parse_iso8601(name, params[name])
            for name in ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
            if params.get(name)
        }
        store = self.emulator.store
        with store.lock:
            found = [
                listing
                for listing in store.listings.values()
                if listing.seller_id == seller_id
                and listing.offers_in(marketplaces)
                and _listing_matches(listing, identifiers, params.get("identifiersType"), bounds)
            ]
        # sortBy: default `lastUpdatedDate`; sortOrder: default `DESC`.
        sort_by = params.get("sortBy") or "lastUpdatedDate"
        keys = {
            "sku": lambda listing: listing.sku,
            "createdDate": lambda listing: listing.created_time,
            "lastUpdatedDate": lambda listing: listing.last_updated_time,
        }
        found.sort(
            key=lambda listing: (keys[sort_by](listing), listing.sku),
            reverse=(params.get("sortOrder") or "DESC") == "DESC",
        )
        # numberOfResults: "The total number of selling partner listings items found
        # for the search criteria (only results up to the page count limit is
        # returned per request regardless of the number found). Note: The maximum
        # number of items (SKUs) that can be returned and paged through is 1000."
        reachable = found[:LISTINGS_SEARCH_LIMIT]
        # pageSize: maximum 20, default 10 (the model).
        size = int(params.get("pageSize") or 10)
        start = 0
        if params.get("pageToken"):
            start = _decode_offset(params["pageToken"])
            if start is None or start >= len(reachable):
                raise invalid("pageToken is not valid.")
        page = reachable[start : start + size]
        if any(listing.corruptions for listing in page):
            call.fault = "corrupted"  # a test's, outside the models on purpose
        result = {
            "numberOfResults": len(found),
            "items": [render_listing(listing, included, marketplaces) for listing in page],
        }
        pagination = {}
        if start + size < len(reachable):
            pagination["nextToken"] = _encode_offset(start + size)
        if start:
            pagination["previousToken"] = _encode_offset(max(start - size, 0))
        if pagination:
            result["pagination"] = pagination
        return 200, result

    # --- FBA Inventory ----------------------------------------------------------------
    def op_inventory_summaries(self, call, params, body):
        (marketplace_id,) = self._marketplace_ids(call, params)  # maxItems 1 (the model)
        # granularityId: "When granularityType is Marketplace, specify the marketplaceId."
        if params.get("granularityId") != marketplace_id:
            raise invalid(
                "granularityId must be the marketplaceId when granularityType is Marketplace."
            )
        since = None
        if params.get("startDateTime"):
            since = parse_iso8601("startDateTime", params["startDateTime"])
            # startDateTime: "You must specify a date and time that is no earlier than
            # 18 months prior to the date and time when you call the API."
            if since < utcnow() - FBA_INVENTORY_LOOKBACK:
                raise invalid("startDateTime cannot be earlier than 18 months ago.")
        details = params.get("details") == "true"
        store = self.emulator.store
        token = params.get("nextToken")
        if token:
            with store.lock:
                pages = store.fba_pages.pop(token, None)
            if pages is None or pages.seller_id != call.seller_id:
                raise invalid("nextToken is not valid.")
            # nextToken: "The string token will expire 30 seconds after being created."
            if time.monotonic() - pages.issued > FBA_NEXT_TOKEN_LIFETIME:
                raise invalid("nextToken has expired (a token is valid for 30 seconds).")
            # "To avoid errors, use both startDateTime and nextToken to get the next
            # page": the next page repeats the query that made the token.
            sent = {k: v for k, v in params.items() if k not in ("nextToken", "details")}
            if sent != pages.bound_params:
                raise invalid(
                    "The request for the next page must repeat the first one's parameters."
                )
            skus = pages.rest
        else:
            # When startDateTime is provided: changes after it, sellerSkus and
            # sellerSku ignored; else sellerSkus, else sellerSku, else everything.
            wanted = None
            if since is None and params.get("sellerSkus"):
                wanted = set(params["sellerSkus"].split(","))
            elif since is None and params.get("sellerSku"):
                wanted = {params["sellerSku"]}
            with store.lock:
                skus = sorted(
                    stock.sku
                    for (seller_id, market, _sku), stock in store.fba_stock.items()
                    if seller_id == call.seller_id
                    and market == marketplace_id
                    and (wanted is None or stock.sku in wanted)
                    and (since is None or stock.last_updated_time > since)
                )
        page, rest = skus[:FBA_INVENTORY_PAGE_SIZE], skus[FBA_INVENTORY_PAGE_SIZE:]
        with store.lock:
            if any(
                store.fba_stock[(call.seller_id, marketplace_id, sku)].corruptions for sku in page
            ):
                call.fault = "corrupted"  # a test's, outside the models on purpose
            summaries = [
                render_fba_summary(store.fba_stock[(call.seller_id, marketplace_id, sku)], details)
                for sku in page
            ]
        result = {
            "payload": {
                "granularity": {"granularityType": "Marketplace", "granularityId": marketplace_id},
                "inventorySummaries": summaries,
            }
        }
        if rest:
            next_token = secrets.token_urlsafe(24)
            with store.lock:
                store.fba_pages[next_token] = TokenPages(
                    call.seller_id,
                    {k: v for k, v in params.items() if k not in ("nextToken", "details")},
                    rest,
                )
            result["pagination"] = {"nextToken": next_token}
        return 200, result

    def op_patch_listing(self, call, params, body, seller_id, sku):
        listing = self._listing(call, seller_id, sku, params)
        if not isinstance(body, dict) or "productType" not in body or "patches" not in body:
            raise invalid("The body needs productType and patches.")
        submission = str(uuid.uuid4())
        store = self.emulator.store
        if listing is None:
            issues = [
                {
                    "code": "18000",
                    "message": f"The SKU '{sku}' does not match any listing of this seller.",
                    "severity": "ERROR",
                    "categories": [],
                }
            ]
        else:
            with store.lock:
                marketplaces = self._marketplace_ids(call, params)
                issues = apply_patches(listing, marketplaces, body["patches"])
        answer = {
            "sku": sku,
            "status": "INVALID" if issues else "ACCEPTED",
            "submissionId": submission,
            "issues": issues,
        }
        if listing is not None and listing.answer_corruptions:
            call.fault = "corrupted"  # a test's, outside the models on purpose
            for path, value in listing.answer_corruptions:
                corrupt(answer, path, value)
        return 200, answer

    # --- Feeds --------------------------------------------------------------------------
    def op_create_document(self, call, params, body):
        if not isinstance(body, dict) or not body.get("contentType"):
            raise invalid("contentType is required.")
        document = self.emulator.store.create_document(body["contentType"])
        return 201, {
            "feedDocumentId": document.document_id,
            "url": f"{self.emulator.url}/_documents/{document.document_id}",
        }

    def op_upload_document(self, call, params, body, document_id):
        document = self.emulator.store.documents.get(document_id)
        if document is None:
            raise ApiError(404, "NoSuchKey", "The specified key does not exist.")
        # CreateFeedDocumentResponse.url: "The presigned URL for uploading the feed
        # contents. This URL expires after 5 minutes."
        if utcnow() - document.created_time > DOCUMENT_URL_LIFETIME:
            raise ApiError(403, "AccessDenied", "Request has expired")
        # The URL is signed for the contentType given to createFeedDocument: the
        # upload must send that same Content-Type (Feeds API use case guide, step 2).
        if (self.headers.get("Content-Type") or "") != document.content_type:
            raise ApiError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                f"Content-Type must be {document.content_type!r}.",
            )
        document.content = body
        return 200, b""

    def op_download_document(self, call, params, body, document_id):
        document = self.emulator.store.documents.get(document_id)
        # ReportDocument.url: "A presigned URL for the report document. [...] This
        # URL expires after 5 minutes."
        expires = params.get("expires")
        if expires and time.time() > float(expires):
            raise ApiError(403, "AccessDenied", "Request has expired.")
        if document is None or document.content is None:
            raise ApiError(404, "NoSuchKey", "The specified key does not exist.")
        return 200, document.content

    def op_create_feed(self, call, params, body):
        store = self.emulator.store
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object.")
        if body.get("feedType") not in FEED_TYPES:
            raise invalid(f"Unsupported feedType {body.get('feedType')!r}.")
        marketplace_ids = body.get("marketplaceIds") or []
        self._marketplace_ids(call, {"marketplaceIds": ",".join(marketplace_ids)})
        document = store.documents.get(body.get("inputFeedDocumentId") or "")
        if document is None or document.content is None:
            raise invalid("inputFeedDocumentId does not name an uploaded document.")
        options = body.get("feedOptions") or {}
        if body["feedType"] == vat_invoices.FEED_TYPE:
            refused = vat_invoices.check_create_feed(marketplace_ids, options)
            if refused:
                raise invalid(refused)
        feed = store.create_feed(
            call.seller_id, body["feedType"], marketplace_ids, document.document_id, options
        )
        return 202, {"feedId": feed.feed_id}

    def op_get_feed(self, call, params, body, feed_id):
        store = self.emulator.store
        feed = store.feeds.get(feed_id)
        if feed is None or feed.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Feed {feed_id} not found.")
        self.emulator.process_feed(feed)
        data = {
            "feedId": feed.feed_id,
            "feedType": feed.feed_type,
            "marketplaceIds": feed.marketplace_ids,
            "createdTime": isoformat(feed.created_time),
            "processingStatus": feed.status,
        }
        data.update(_processing_times(feed))
        if feed.result_document_id:
            data["resultFeedDocumentId"] = feed.result_document_id
        return 200, data

    def op_get_document(self, call, params, body, document_id):
        document = self.emulator.store.documents.get(document_id)
        if document is None:
            raise ApiError(404, "NotFound", f"Document {document_id} not found.")
        data = {
            "feedDocumentId": document.document_id,
            "url": f"{self.emulator.url}/_documents/{document.document_id}",
        }
        if document.content and document.content[:2] == b"\x1f\x8b":
            data["compressionAlgorithm"] = "GZIP"
        return 200, data

    # --- Finances 2024-06-19 ----------------------------------------------------------
    def _resumed_pages(self, call, params, token_key, holder):
        """(the request's arguments, the pages its token stands for, or None
        on a first request). "call the operation with this token and include
        the same arguments as the call that produced the token"."""
        token = params.get(token_key)
        bound = {k: v for k, v in params.items() if k != token_key}
        if not token:
            return bound, None
        with self.emulator.store.lock:
            pages = holder.pop(token, None)
        if pages is None or pages.seller_id != call.seller_id:
            raise invalid(f"{token_key} is not valid.")
        if bound != pages.bound_params:
            raise invalid("The next page must repeat the arguments of the first request.")
        return bound, pages.rest

    def _first_page(self, call, bound, pages, holder):
        """(the first of ``pages``, a token standing for the others or None)."""
        page, rest = pages[0], pages[1:]
        if not rest:
            return page, None
        token = secrets.token_urlsafe(24)
        with self.emulator.store.lock:
            holder[token] = TokenPages(call.seller_id, bound, rest)
        return page, token

    def op_list_transactions(self, call, params, body):
        store = self.emulator.store
        bound, rest = self._resumed_pages(call, params, "nextToken", store.transaction_pages)
        if rest is not None:
            return self._transactions_page(call, bound, rest)
        now = utcnow()
        name, value = params.get("relatedIdentifierName"), params.get("relatedIdentifierValue")
        if bool(name) != bool(value):
            raise invalid("relatedIdentifierName and relatedIdentifierValue go together.")
        # "FINANCIAL_EVENT_GROUP_ID and ORDER_ID are the only relatedIdentifier with
        # filtering capabilities at the moment. [...] they cannot be used for
        # filtering purposes."
        if name and name not in TRANSACTION_FILTERS:
            raise invalid(f"relatedIdentifierName {name!r} cannot be used for filtering.")
        # postedAfter: "This field is required if you do not specify a related identifier."
        if not params.get("postedAfter") and not name:
            raise invalid("postedAfter is required without a related identifier.")
        after = (
            parse_iso8601("postedAfter", params["postedAfter"])
            if params.get("postedAfter")
            else None
        )
        # "The date-time must be more than two minutes before the time of the request."
        if after and after > now - TRANSACTIONS_LAG:
            raise invalid("postedAfter must be more than two minutes before the request.")
        # postedBefore: "must be later than PostedAfter and more than two minutes
        # before the request was submitted. [...] Default: Two minutes before the
        # time of the request."
        before = now - TRANSACTIONS_LAG
        if params.get("postedBefore"):
            before = parse_iso8601("postedBefore", params["postedBefore"])
            if before > now - TRANSACTIONS_LAG:
                raise invalid("postedBefore must be more than two minutes before the request.")
            if after and before <= after:
                raise invalid("postedBefore must be later than postedAfter.")
        # "If PostedAfter and PostedBefore are more than 180 days apart, the
        # response is empty."
        if after and before - after > TRANSACTIONS_MAX_RANGE:
            return 200, {"payload": {"transactions": []}}
        with store.lock:
            found = [
                index
                for index, tx in enumerate(store.transactions)
                if tx.seller_id == call.seller_id
                and (after is None or tx.posted >= after)
                and tx.posted < before
                and (
                    not params.get("marketplaceId") or tx.marketplace_id == params["marketplaceId"]
                )
                and (
                    not params.get("transactionStatus") or tx.status == params["transactionStatus"]
                )
                and (
                    not name
                    or (name == "ORDER_ID" and tx.order_id == value)
                    or (name == "FINANCIAL_EVENT_GROUP_ID" and tx.group_id == value)
                )
            ]
        found.sort(key=lambda index: store.transactions[index].posted)
        pages = [
            found[start : start + TRANSACTIONS_PAGE_SIZE]
            for start in range(0, len(found), TRANSACTIONS_PAGE_SIZE)
        ] or [[]]
        if store.transaction_empty_pages and len(pages) > 1:
            pages.insert(-1, [])  # "Note that this operation can return empty pages."
        return self._transactions_page(call, bound, pages)

    # --- Finances v0: the payouts -------------------------------------------------
    def op_list_financial_event_groups(self, call, params, body):
        store = self.emulator.store
        bound, rest = self._resumed_pages(call, params, "NextToken", store.event_group_pages)
        if rest is not None:
            return self._event_groups_page(call, bound, rest)
        now = utcnow()
        after = before = None
        if params.get("FinancialEventGroupStartedAfter"):
            after = parse_iso8601(
                "FinancialEventGroupStartedAfter", params["FinancialEventGroupStartedAfter"]
            )
            # "The date-time must be more than two minutes before you submit the request."
            if after > now - EVENT_GROUPS_LAG:
                raise invalid(
                    "FinancialEventGroupStartedAfter must be more than two minutes "
                    "before the request."
                )
        if params.get("FinancialEventGroupStartedBefore"):
            before = parse_iso8601(
                "FinancialEventGroupStartedBefore", params["FinancialEventGroupStartedBefore"]
            )
            # "The date-time must be after FinancialEventGroupStartedAfter and more
            # than two minutes before the time of request."
            if before > now - EVENT_GROUPS_LAG:
                raise invalid(
                    "FinancialEventGroupStartedBefore must be more than two minutes "
                    "before the request."
                )
            if after and before <= after:
                raise invalid(
                    "FinancialEventGroupStartedBefore must be after "
                    "FinancialEventGroupStartedAfter."
                )
            # "If FinancialEventGroupStartedAfter and FinancialEventGroupStartedBefore
            # are more than 180 days apart, no financial event groups are returned."
            if after and before - after > EVENT_GROUPS_MAX_RANGE:
                return 200, {"payload": {"FinancialEventGroupList": []}}
        # MaxResultsPerPage: "minimum": 1, "maximum": 100, "default": 10 (the
        # model's bounds are checked before this handler).
        size = int(params.get("MaxResultsPerPage") or 10)
        with store.lock:
            found = [
                index
                for index, group in enumerate(store.event_groups)
                if group.seller_id == call.seller_id
                and (after is None or group.start >= after)
                and (before is None or group.start < before)
            ]
        found.sort(key=lambda index: store.event_groups[index].start)
        pages = [found[start : start + size] for start in range(0, len(found), size)] or [[]]
        if store.transaction_empty_pages and len(pages) > 1:
            pages.insert(-1, [])  # "Note that this operation can return empty pages."
        return self._event_groups_page(call, bound, pages)

    def _event_groups_page(self, call, bound, pages):
        store = self.emulator.store
        page, token = self._first_page(call, bound, pages, store.event_group_pages)
        groups = [store.event_groups[i] for i in page]
        rendered = [
            render_event_group(group, store.event_group_total(group), isoformat) for group in groups
        ]
        payload = {"FinancialEventGroupList": rendered}
        if token:
            payload["NextToken"] = token
        return 200, {"payload": payload}

    # --- Finances Invoices 2026-06-25: Amazon's invoices to the seller ---------------
    def _seller_marketplace(self, call, params):
        # marketplaceId: "required": true (the model's check comes first).
        self._marketplace_ids(call, {"marketplaceIds": params.get("marketplaceId", "")})
        return params["marketplaceId"]

    def op_get_invoice_headers(self, call, params, body):
        store = self.emulator.store
        bound, rest = self._resumed_pages(call, params, "nextToken", store.fee_invoice_pages)
        if rest is not None:
            return self._fee_invoices_page(call, bound, rest)
        marketplace_id = self._seller_marketplace(call, params)
        now = utcnow()
        start, end = params.get("fromIssueDate"), params.get("toIssueDate")
        # "Either provide both dates or leave both empty."
        if bool(start) != bool(end):
            raise invalid("Provide both fromIssueDate and toIssueDate, or neither.")
        if start:
            start = parse_iso8601("fromIssueDate", start)
            end = parse_iso8601("toIssueDate", end)
            if end < start:
                raise invalid("toIssueDate is before fromIssueDate.")
            # "The range between fromIssueDate and toIssueDate must not exceed 90 days."
            if end - start > fee_invoices.ISSUE_DATE_RANGE:
                raise invalid("fromIssueDate and toIssueDate must not be more than 90 days apart.")
        else:
            # "fromIssueDate defaults to 90 days before the date of the request",
            # "toIssueDate defaults to the date of the request".
            start, end = now - fee_invoices.ISSUE_DATE_RANGE, now
        modified_after = None
        if params.get("invoicesModifiedAfter"):
            modified_after = parse_iso8601("invoicesModifiedAfter", params["invoicesModifiedAfter"])
        with store.lock:
            found = [
                index
                for index, invoice in enumerate(store.fee_invoices)
                if invoice.seller_id == call.seller_id
                and invoice.marketplace_id == marketplace_id
                and start <= invoice.issued <= end
                and (modified_after is None or invoice.updated > modified_after)
            ]
        found.sort(key=lambda index: store.fee_invoices[index].issued)
        size = fee_invoices.HEADERS_PAGE_SIZE
        pages = [found[i : i + size] for i in range(0, len(found), size)] or [[]]
        if store.transaction_empty_pages and len(pages) > 1:
            pages.insert(-1, [])  # "Note that this operation can return empty pages."
        return self._fee_invoices_page(call, bound, pages)

    def _fee_invoices_page(self, call, bound, pages):
        store = self.emulator.store
        page, token = self._first_page(call, bound, pages, store.fee_invoice_pages)
        invoices = [fee_invoices.render_header(store.fee_invoices[i], isoformat) for i in page]
        if any(store.fee_invoices[i].corruptions for i in page):
            call.fault = "corrupted"  # a test's, outside the models on purpose
        data = {"invoices": invoices, "numOfRecords": len(invoices)}
        if token:
            data["nextToken"] = token
        return 200, data

    def op_get_invoice(self, call, params, body, identifier):
        store = self.emulator.store
        bound, rest = self._resumed_pages(
            call,
            dict(params, identifier=identifier),
            "nextTokenForLineItems",
            store.fee_invoice_item_pages,
        )
        marketplace_id = self._seller_marketplace(call, params)
        invoice = next(
            (
                invoice
                for invoice in store.fee_invoices
                if invoice.seller_id == call.seller_id
                and invoice.marketplace_id == marketplace_id
                and invoice.identifier == identifier
            ),
            None,
        )
        if invoice is None:
            raise ApiError(404, "NotFound", f"Invoice {identifier} not found.")
        if rest is None:
            size = fee_invoices.LINE_ITEMS_PAGE_SIZE
            items = invoice.items
            rest = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
        page, token = self._first_page(call, bound, rest, store.fee_invoice_item_pages)
        if invoice.corruptions:
            call.fault = "corrupted"  # a test's, outside the models on purpose
        data = {
            "invoiceHeader": fee_invoices.render_header(invoice, isoformat),
            "invoiceItems": [fee_invoices.render_item(item, invoice.currency) for item in page],
        }
        if token:
            data["nextTokenForLineItems"] = token
        return 200, data

    def _transactions_page(self, call, bound, pages):
        """The first of ``pages`` (lists of indexes in store.transactions); a
        nextToken stands for the others."""
        store = self.emulator.store
        page, token = self._first_page(call, bound, pages, store.transaction_pages)
        with store.lock:
            transactions = [render_transaction(store.transactions[i], isoformat) for i in page]
            if any(store.transactions[i].corruptions for i in page):
                call.fault = "corrupted"  # a test's, outside the models on purpose
        payload = {"transactions": transactions}
        if token:
            payload["nextToken"] = token
        return 200, {"payload": payload}

    # --- Reports ----------------------------------------------------------------------
    def op_create_report(self, call, params, body):
        store = self.emulator.store
        # The body's schema (reportType, marketplaceIds 1..25) is the contract's.
        report_type = body["reportType"]
        if report_type not in REPORT_TYPES:
            raise invalid(f"Report type {report_type!r} is not supported by the emulator.")
        marketplace_ids = self._marketplace_ids(
            call, {"marketplaceIds": ",".join(body["marketplaceIds"])}, limit=25
        )
        now = utcnow()
        # dataStartTime, dataEndTime: "The default is now. The value must be prior
        # to or equal to the current date and time."
        bounds = {}
        for name in ("dataStartTime", "dataEndTime"):
            moment = parse_iso8601(name, body[name]) if body.get(name) else now
            if moment > now:
                raise invalid(f"{name} must be prior to or equal to the current date and time.")
            bounds[name] = moment
        # "The start of a date and time range": a range starts before it ends.
        if bounds["dataStartTime"] > bounds["dataEndTime"]:
            raise invalid("dataStartTime must be prior to dataEndTime.")
        report = store.create_report(
            call.seller_id,
            report_type,
            marketplace_ids,
            bounds["dataStartTime"],
            bounds["dataEndTime"],
        )
        return 202, {"reportId": report.report_id}

    def op_get_report(self, call, params, body, report_id):
        store = self.emulator.store
        report = store.reports.get(report_id)
        # reportId: "This identifier is unique only in combination with a seller ID."
        if report is None or report.seller_id != call.seller_id:
            raise ApiError(404, "NotFound", f"Report {report_id} not found.")
        self.emulator.process_report(report)
        data = {
            "reportId": report.report_id,
            "reportType": report.report_type,
            "marketplaceIds": report.marketplace_ids,
            "dataStartTime": isoformat(report.data_start),
            "dataEndTime": isoformat(report.data_end),
            "createdTime": isoformat(report.created_time),
            "processingStatus": report.status,
        }
        data.update(_processing_times(report))
        if report.document_id:
            data["reportDocumentId"] = report.document_id
        return 200, data

    def op_get_report_document(self, call, params, body, document_id):
        store = self.emulator.store
        owned = any(
            report.document_id == document_id and report.seller_id == call.seller_id
            for report in store.reports.values()
        )
        if not owned:
            raise ApiError(404, "NotFound", f"Report document {document_id} not found.")
        expires = time.time() + DOCUMENT_URL_LIFETIME.total_seconds()
        return 200, {
            "reportDocumentId": document_id,
            "url": f"{self.emulator.url}/_documents/{document_id}?expires={expires:.0f}",
            "compressionAlgorithm": "GZIP",
        }


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
    ):
        self.store = store or Store()
        # Strict mode: every request is checked against Amazon's models first.
        self.contract = RequestContract.load(models_dir) if models_dir else None
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
        the feed is next looked at, once ``store.feed_processing_delay`` passed."""
        store = self.store
        with store.lock:
            if feed.status != "IN_QUEUE":
                return
            age = (utcnow() - feed.created_time).total_seconds()
            if age < store.feed_processing_delay:
                return
            feed.processing_start = utcnow()
            document = store.documents[feed.input_document_id]
            content = document.content or b""
            if content[:2] == b"\x1f\x8b":
                content = gzip.decompress(content)
            if feed.feed_type == vat_invoices.FEED_TYPE:
                text, status = vat_invoices.process_vat_invoice_feed(
                    store, feed, document.content_type, content, feed.options
                )
                result = store.create_document("text/plain", text)
            else:
                report, status = process_listings_feed(store, feed, content)
                result = store.create_document("application/json", json.dumps(report).encode())
            feed.result_document_id = result.document_id
            feed.processing_end = utcnow()
            # DONE, FATAL and CANCELLED are final: a feed never leaves them.
            feed.status = status

    # --- reports --------------------------------------------------------------------
    def process_report(self, report):
        """Amazon writes reports in the background: the emulator moves a report
        on each time it is looked at, once ``store.report_processing_delay``
        passed: IN_QUEUE, then IN_PROGRESS, then DONE with its document, or
        CANCELLED: "an automatic cancellation if there is no data to return"."""
        store = self.store
        with store.lock:
            age = (utcnow() - report.created_time).total_seconds()
            if report.status == "IN_QUEUE" and age >= store.report_processing_delay:
                report.status = "IN_PROGRESS"
                report.processing_start = utcnow()
            elif report.status == "IN_PROGRESS":
                rows = report_rows(report, store.returns)
                if rows:
                    document = store.create_document(
                        "text/tab-separated-values",
                        render_report_document(report.report_type, rows),
                    )
                    report.document_id = document.document_id
                report.processing_end = utcnow()
                # DONE, FATAL and CANCELLED are final.
                report.status = "DONE" if rows else "CANCELLED"


__all__ = ["ApiError", "Call", "Emulator", "StoreError"]
