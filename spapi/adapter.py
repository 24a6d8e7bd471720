"""The one place that talks to Amazon.

``SpApiAdapter`` wraps python-amazon-sp-api's clients with what a connector
needs around every call: LWA tokens, endpoint choice, throttling (client-side
buckets at the usage plan's rate, then backoff with jitter on 429), bounded
retries of network errors and 5xx, lazy pagination, typed errors and call
counts. Nothing here imports Odoo.
"""

import json
import logging
import random
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sp_api.api import (
    FeedsV20210630,
    FinancesV0,
    FinancesV20240619,
    Inventories,
    ListingsItemsV20210801,
    Notifications,
    OrdersV0,
    OrdersV20260101,
    ReportsV2,
    Sellers,
)
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import Marketplaces
from sp_api.base.client import Client
from sp_api.base.credential_provider import CredentialProvider
from sp_api.base.helpers import fill_query_params

from .auth import TOKEN_CACHE, TokenCache, token_client_class
from .errors import (
    SpApiAuthError,
    SpApiDocumentError,
    SpApiError,
    SpApiNotFoundError,
    SpApiRequestError,
    SpApiResponseError,
    SpApiThrottledError,
    SpApiUnavailableError,
)

_logger = logging.getLogger(__name__)
# httpx logs every request at INFO, which Odoo's default log level would print.
logging.getLogger("httpx").setLevel(logging.WARNING)

# TAX brings the VAT id of business buyers.
ORDER_INCLUDED_DATA = (
    "BUYER",
    "RECIPIENT",
    "PROCEEDS",
    "PROMOTION",
    "FULFILLMENT",
    "PACKAGES",
    "TAX",
)

# Default usage plans (requests per second, burst) from Amazon's API models; the
# rate is replaced by x-amzn-RateLimit-Limit when Amazon sends it.
USAGE_PLANS = {
    "getMarketplaceParticipations": (0.016, 15),
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "getListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 5),
    "searchListingsItems": (5.0, 5),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
    "getInventorySummaries": (2.0, 2),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReportDocument": (0.0167, 15),
    "listTransactions": (0.5, 10),
    "listFinancialEventGroups": (0.5, 30),
    # Notifications API: every operation 1 request per second, burst 5.
    **dict.fromkeys(
        (
            "getDestinations",
            "createDestination",
            "deleteDestination",
            "getSubscription",
            "createSubscription",
            "deleteSubscriptionById",
        ),
        (1.0, 5),
    ),
    # Fulfillment Outbound 2020-07-01 (Multi-Channel Fulfillment): 2 a second, burst 30.
    **dict.fromkeys(
        (
            "getFulfillmentPreview",
            "createFulfillmentOrder",
            "getFulfillmentOrder",
            "listAllFulfillmentOrders",
            "cancelFulfillmentOrder",
        ),
        (2.0, 30),
    ),
    # Shipping API v2 (Buy Shipping): 80 a second, burst 100.
    **dict.fromkeys(
        ("getRates", "purchaseShipment", "getShipmentDocuments", "cancelShipment", "getTracking"),
        (80.0, 100),
    ),
}
MCF_ORDERS = "/fba/outbound/2020-07-01/fulfillmentOrders"
# x-amzn-shipping-business-id by the marketplace's country (the header's enum
# in shippingV2.json); elsewhere the header is left out (Amazon's default).
SHIPPING_BUSINESSES = {
    country: f"AmazonShipping_{code}"
    for country, code in {
        "US": "US",
        "IN": "IN",
        "GB": "UK",
        "AE": "UAE",
        "SA": "SA",
        "EG": "EG",
        "IT": "IT",
        "ES": "ES",
        "FR": "FR",
        "JP": "JP",
    }.items()
}
# Report.processingStatus values after which a report never changes: DONE ("The
# report has completed processing"), FATAL ("aborted due to a fatal error") and
# CANCELLED (explicitly, or "an automatic cancellation if there is no data to
# return").
REPORT_FINAL_STATUSES = ("DONE", "FATAL", "CANCELLED")
# Feed.processingStatus values after which a feed never changes: DONE ("Examine
# the contents of the result document"), FATAL ("aborted due to a fatal error.
# Some, none, or all of the operations within the feed may have completed") and
# CANCELLED ("cancelled before it started processing").
# The flat file Amazon documents for cancelling orders ("Order Feed Type
# Values": "Cancels multiple orders at the same time"); mapping/cancellations.py
# writes its rows.
CANCELLATION_FEED_TYPE = "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA"
CANCELLATION_CONTENT_TYPE = "text/tab-separated-values; charset=UTF-8"
FEED_FINAL_STATUSES = ("DONE", "FATAL", "CANCELLED")
# Documents are read whole into memory: these caps keep a worker alive whatever
# a URL serves. The largest documents the connector reads (FBA inventory and
# returns reports of 10,000s of SKUs) are a few MB.
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024  # as transferred (compressed or not)
MAX_DOCUMENT_SIZE = 256 * 1024 * 1024  # once decompressed
DOCUMENT_TIMEOUT = 300.0  # seconds for one whole transfer, however slow
_REGION_MARKETPLACE = {"na": Marketplaces.US, "eu": Marketplaces.DE, "fe": Marketplaces.JP}


@dataclass
class ApiStats:
    """Calls per operation (token requests as ``lwaToken``), 429s, retries, and
    the seconds spent waiting for Amazon's answers (throttling waits excluded)."""

    calls: Counter = field(default_factory=Counter)
    throttled: Counter = field(default_factory=Counter)
    retries: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)

    def as_dict(self):
        return {
            "calls": dict(self.calls),
            "throttled": dict(self.throttled),
            "retries": dict(self.retries),
            "seconds": {name: round(value, 3) for name, value in self.seconds.items()},
        }


@dataclass
class OrdersPage:
    orders: list
    next_token: str | None
    last_updated_before: str | None


class _Bucket:
    def __init__(self, rate, burst):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def refill(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now


class MemoryThrottle:
    """Client-side token buckets of one process: wait before sending rather than
    be refused. Several processes calling for the same seller each spend the
    whole plan: give them a shared throttle instead (the adapter's ``throttle``;
    the connector keeps its buckets in PostgreSQL). A throttle has ``wait``,
    ``observe``, ``exhausted`` and ``rate``, all by operation name."""

    def __init__(self, sleep):
        self._buckets = {}
        self._sleep = sleep

    def bucket(self, operation):
        if operation not in self._buckets:
            self._buckets[operation] = _Bucket(*USAGE_PLANS.get(operation, (1.0, 10)))
        return self._buckets[operation]

    def wait(self, operation):
        bucket = self.bucket(operation)
        bucket.refill()
        if bucket.tokens < 1:
            delay = (1 - bucket.tokens) / bucket.rate
            self._sleep(delay)
            bucket.refill()
        bucket.tokens = max(bucket.tokens - 1, 0)

    def observe(self, operation, rate):
        if rate:
            self.bucket(operation).rate = rate

    def exhausted(self, operation):
        self.bucket(operation).tokens = 0

    def rate(self, operation):
        return self.bucket(operation).rate


class _Retry(Exception):
    """Internal: a failure worth retrying, and how to describe it if we give up."""

    def __init__(self, error, rate=None):
        super().__init__(str(error))
        self.error = error
        self.rate = rate


def _rate_from(headers):
    try:
        return float(headers.get("x-amzn-RateLimit-Limit"))
    except (TypeError, ValueError):
        return None


class _CheckedResponses:
    """Mixin for python-amazon-sp-api clients: the library turns a non-JSON body
    into an empty payload and 5xx/429 into generic exceptions; here every answer
    is classified before the library parses it."""

    operation = None  # set per call by the adapter

    def _check_response(self, res, *args, **kwargs):
        status = res.status_code
        rate = _rate_from(res.headers)
        if status >= 400:
            try:
                errors = res.json().get("errors") or [{}]
            except ValueError:
                errors = [{}]
            first = errors[0] if isinstance(errors[0], dict) else {}
            info = {
                "operation": self.operation,
                "status": status,
                "code": first.get("code"),
                "details": first.get("details"),
            }
            message = first.get("message") or res.reason_phrase or "error"
            if status == 429:
                raise _Retry(SpApiThrottledError(message, **info), rate=rate)
            if status >= 500:
                raise _Retry(SpApiUnavailableError(message, **info))
            if status in (401, 403):
                raise SpApiAuthError(message, **info)
            if status == 404:
                raise SpApiNotFoundError(message, **info)
            raise SpApiRequestError(message, **info)
        if res.content and status != 204:
            try:
                res.json()
            except ValueError:
                raise _Retry(
                    SpApiResponseError(
                        "Amazon answered with malformed JSON",
                        operation=self.operation,
                        status=status,
                    )
                ) from None
        response = super()._check_response(res, *args, **kwargs)
        response.rate = rate
        return response


class _Feeds(FeedsV20210630):
    def get_document_info(self, feed_document_id):
        """The document's URL and compression, without downloading it (the
        library's get_feed_document downloads with a client of its own)."""
        return self._request(
            fill_query_params("/feeds/2021-06-30/documents/{}", feed_document_id),
            params={},
            add_marketplace=False,
        )


class _Finances(FinancesV20240619):
    def list_transactions_only(self, **params):
        """listTransactions without the marketplace parameters the library adds
        to every GET (not in the model; Amazon ignores them)."""
        return self._request(
            "/finances/2024-06-19/transactions", params=params, add_marketplace=False
        )


class _FinancesV0(FinancesV0):
    def list_event_groups_only(self, **params):
        """listFinancialEventGroups without the marketplace parameters the
        library adds to every GET (not in the model)."""
        return self._request(
            "/finances/v0/financialEventGroups", params=params, add_marketplace=False
        )


class _FinancesInvoices(Client):
    """Finances Invoices API 2026-06-25 (not in python-amazon-sp-api): Amazon's
    invoices to the seller, on the library's signed, throttled client."""

    def get_invoice_headers(self, **params):
        return self._request(
            "/finances/invoices/2026-06-25/invoices", params=params, add_marketplace=False
        )

    def get_invoice(self, identifier, **params):
        return self._request(
            fill_query_params("/finances/invoices/2026-06-25/invoices/{}", identifier),
            params=params,
            add_marketplace=False,
        )


class _Notifications(Notifications):
    """The Notifications API as its model has it: destinations and
    deleteSubscriptionById on a grantless token ("The `deleteSubscriptionById`
    operation is grantless": the library sends the seller's), subscriptions on
    the seller's; no marketplace parameters (the model has none)."""

    def call(self, method, path, data=None, grantless=False):
        headers = None
        if grantless:
            headers = {
                "user-agent": self.user_agent,
                "x-amz-access-token": self.grantless_auth.access_token,
                "x-amz-date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
                "content-type": "application/json",
            }
        return _send(self, method, path, data, headers)


def _send(client, method, path, payload=None, headers=None):
    """One request on the library's signed, throttled client as the model
    has it: ``payload`` the query of a GET, else the body; no marketplace
    parameters added (the library adds them to every call otherwise)."""
    if method == "GET":
        return client._request(
            path,
            params={"method": "GET", **(payload or {})},
            headers=headers,
            add_marketplace=False,
        )
    return client._request(
        path, data={**(payload or {}), "method": method}, headers=headers, add_marketplace=False
    )


class _Shipping(Client):
    """Shipping API v2's Buy Shipping operations on the library's signed,
    throttled client, with the headers its model names: the shipping
    business of the order's country and, on purchases, the idempotency key
    (python-amazon-sp-api's ShippingV2 sends neither per call)."""

    def call(self, method, path, data=None, params=None, business=None, idempotency_key=None):
        headers = dict(self.headers)
        if business:
            headers["x-amzn-shipping-business-id"] = business
        if idempotency_key:
            headers["x-amzn-IdempotencyKey"] = idempotency_key
        return _send(self, method, path, params if method == "GET" else data, headers)


class _FulfillmentOutbound(Client):
    """Fulfillment Outbound 2020-07-01 (Multi-Channel Fulfillment) as its
    model has it: no marketplace parameters on the calls (the requests carry
    their marketplaceId)."""

    def call(self, method, path, data=None):
        return _send(self, method, path, data)


class _Reports(ReportsV2):
    def get_report_only(self, report_id):
        """getReport without the marketplace parameters the library adds to
        every GET: the model has none (Amazon ignores them)."""
        return self._request(
            fill_query_params("/reports/2021-06-30/reports/{}", report_id),
            params={},
            add_marketplace=False,
        )

    def get_document_info(self, report_document_id):
        """The document's URL and compression, without downloading it."""
        return self._request(
            fill_query_params("/reports/2021-06-30/documents/{}", report_document_id),
            params={},
            add_marketplace=False,
        )


class SpApiAdapter:
    """All SP-API operations the connector uses, for one seller's credentials.

    :param endpoint: an :class:`~.endpoints.Endpoint`
    :param region: ``na``, ``eu`` or ``fe`` (the library wants a marketplace of it)
    :param sleep: injectable for tests; every wait goes through it
    :param throttle: the usage-plan buckets to wait on (default: this process's
        own, a :class:`MemoryThrottle`)
    """

    def __init__(
        self,
        *,
        client_id,
        client_secret,
        refresh_token,
        endpoint,
        region="na",
        timeout=30.0,
        max_throttle_retries=6,
        max_retries=3,
        backoff_base=1.0,
        max_backoff=60.0,
        sleep=time.sleep,
        jitter=random.random,
        token_cache=TOKEN_CACHE,
        throttle=None,
        max_document_bytes=MAX_DOCUMENT_BYTES,
        max_document_size=MAX_DOCUMENT_SIZE,
        document_timeout=DOCUMENT_TIMEOUT,
    ):
        if not (client_id and client_secret):
            raise SpApiAuthError("The LWA client id and client secret are required.")
        self.endpoint = endpoint
        self.region = region
        self.timeout = timeout
        self.max_throttle_retries = max_throttle_retries
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.max_document_bytes = max_document_bytes
        self.max_document_size = max_document_size
        self.document_timeout = document_timeout
        self.stats = ApiStats()
        self._sleep = sleep
        self._jitter = jitter
        self._throttle = throttle or MemoryThrottle(sleep)
        self._refresh_token = refresh_token
        self._credentials = {"lwa_app_id": client_id, "lwa_client_secret": client_secret}
        self._token_cache = token_cache
        self._token_key = TokenCache.key(
            endpoint.token_url, client_id, client_secret, refresh_token
        )
        self._token_class = token_client_class(
            endpoint.token_url, token_cache, on_request=self._count_token
        )
        self._clients = {}

    def __repr__(self):  # never show credentials
        return f"<SpApiAdapter {self.endpoint.api_url}>"

    # --- plumbing -----------------------------------------------------------------
    def _count_token(self):
        self.stats.calls["lwaToken"] += 1

    def _client(self, cls):
        client = self._clients.get(cls)
        if client is None:
            checked = type(cls.__name__, (_CheckedResponses, cls), {})
            client = checked(
                marketplace=_REGION_MARKETPLACE[self.region],
                refresh_token=self._refresh_token,
                credentials=self._credentials,
                auth_token_client_class=self._token_class,
                timeout=self.timeout,
            )
            client.endpoint = self.endpoint.api_url
            self._clients[cls] = client
        return client

    def close(self):
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _backoff(self, attempt):
        delay = min(self.backoff_base * 2**attempt, self.max_backoff)
        return delay * (1 + 0.25 * self._jitter())

    def _call(self, operation, cls, method, *args, **kwargs):
        """Run one operation with throttling, retries and typed errors."""
        client = self._client(cls)
        throttled = failures = 0
        refreshed = False
        while True:
            self._throttle.wait(operation)
            self.stats.calls[operation] += 1
            client.operation = operation
            began = time.monotonic()
            try:
                response = getattr(client, method)(*args, **kwargs)
            except Exception as exc:
                self.stats.seconds[operation] += time.monotonic() - began
                error, kind, rate = self._classify(operation, exc)
                if kind == "expired" and not refreshed:
                    # Amazon refuses the access token: get a new one, once.
                    refreshed = True
                    self._token_cache.drop(self._token_key)
                    continue
                if kind == "throttled" and throttled < self.max_throttle_retries:
                    self.stats.throttled[operation] += 1
                    self._throttle.observe(operation, rate)
                    self._throttle.exhausted(operation)
                    # Wait for the bucket to refill one token, longer each time.
                    rate = self._throttle.rate(operation)
                    delay = min(2**throttled / rate, self.max_backoff)
                    delay *= 1 + 0.1 * self._jitter()
                    throttled += 1
                elif kind == "transient" and failures < self.max_retries:
                    delay = self._backoff(failures)
                    failures += 1
                else:
                    if kind == "throttled":
                        self.stats.throttled[operation] += 1
                    if error is exc:
                        raise
                    raise error from exc
                self.stats.retries[operation] += 1
                _logger.info(
                    "SP-API %s: %s, retrying in %.2fs", operation, type(error).__name__, delay
                )
                self._sleep(delay)
                continue
            self.stats.seconds[operation] += time.monotonic() - began
            self._throttle.observe(operation, getattr(response, "rate", None))
            return response

    @staticmethod
    def _classify(operation, exc):
        """(typed error, retry kind or None, rate limit) for a failed attempt."""
        if isinstance(exc, _Retry):
            kind = "throttled" if isinstance(exc.error, SpApiThrottledError) else "transient"
            return exc.error, kind, exc.rate
        if isinstance(exc, SpApiAuthError):
            # The access token expired or was revoked: worth one new token.
            stale = "token" in f"{exc.message} {exc.details}".lower()
            return exc, "expired" if stale else None, None
        if isinstance(exc, httpx.TransportError):
            error = SpApiUnavailableError(
                f"Amazon could not be reached: {type(exc).__name__}",
                operation=operation,
                details=str(exc) or None,
            )
            return error, "transient", None
        if isinstance(exc, AuthorizationError):
            # Login with Amazon answered an error: 5xx and 429 are worth a retry.
            info = {"operation": operation, "status": exc.status_code, "code": exc.error_code}
            if exc.status_code and (exc.status_code >= 500 or exc.status_code == 429):
                return SpApiUnavailableError("Login with Amazon failed", **info), "transient", None
            message = f"Login with Amazon refused the credentials: {exc.message or exc.error_code}"
            return SpApiAuthError(message, **info), None, None
        if isinstance(exc, json.JSONDecodeError):
            # Only the token endpoint's answer is parsed outside _CheckedResponses.
            error = SpApiResponseError(
                "Login with Amazon answered with malformed JSON", operation=operation
            )
            return error, "transient", None
        return exc, None, None

    # --- Sellers ----------------------------------------------------------------------
    def get_marketplace_participations(self):
        """[{"marketplace": {...}, "participation": {...}, "storeName": ...}]"""
        response = self._call(
            "getMarketplaceParticipations", Sellers, "get_marketplace_participation"
        )
        return response.payload

    # --- Orders -----------------------------------------------------------------------
    def iter_order_pages(
        self,
        *,
        marketplace_ids,
        last_updated_after=None,
        last_updated_before=None,
        created_after=None,
        created_before=None,
        fulfilled_by=None,
        fulfillment_statuses=None,
        included_data=ORDER_INCLUDED_DATA,
        page_size=100,
        pagination_token=None,
    ):
        """Pages of searchOrders (Orders API 2026-01-01), fetched lazily: the
        next page is requested only when the caller asks for it."""
        params = {"marketplaceIds": list(marketplace_ids), "maxResultsPerPage": page_size}
        optional = {
            "lastUpdatedAfter": last_updated_after,
            "lastUpdatedBefore": last_updated_before,
            "createdAfter": created_after,
            "createdBefore": created_before,
            "fulfilledBy": fulfilled_by,
            "fulfillmentStatuses": fulfillment_statuses,
            "includedData": included_data,
        }
        params.update({k: v for k, v in optional.items() if v})
        token = pagination_token
        while True:
            # Amazon binds a token to its query: "All other parameters must be
            # provided with the same values that were provided with the request that
            # generated this token" (Orders 2026-01-01, Pagination). So every page
            # repeats the whole query, and a resumed run must pass the same window.
            query = {**params, "paginationToken": token} if token else dict(params)
            response = self._call("searchOrders", OrdersV20260101, "search_orders", **query)
            payload = response.payload or {}
            # The library moves "pagination" out of the payload into next_token.
            token = response.next_token
            yield OrdersPage(
                orders=payload.get("orders") or [],
                next_token=token,
                last_updated_before=payload.get("lastUpdatedBefore"),
            )
            if not token:
                return

    def get_order(self, order_id, included_data=ORDER_INCLUDED_DATA):
        response = self._call(
            "getOrder",
            OrdersV20260101,
            "get_order",
            order_id,
            includedData=list(included_data),
        )
        return response.payload["order"]

    def confirm_shipment(self, order_id, marketplace_id, package_detail):
        """Orders v0 confirmShipment; ``package_detail`` as Amazon's PackageDetail
        (packageReferenceId, carrierCode, carrierName, shippingMethod,
        trackingNumber, shipDate, orderItems)."""
        self._call(
            "confirmShipment",
            OrdersV0,
            "confirm_shipment",
            order_id,
            marketplaceId=marketplace_id,
            packageDetail=package_detail,
        )

    # --- Buy Shipping (Shipping API v2) ---------------------------------------------------
    def _shipping(self, operation, method, path, country=None, **kwargs):
        business = SHIPPING_BUSINESSES.get(country)
        response = self._call(
            operation, _Shipping, "call", method, path, business=business, **kwargs
        )
        return response.payload

    def get_rates(self, request, country=None):
        """getRates: ``request`` is a GetRatesRequest; the payload (requestToken,
        rates, ineligibleRates)."""
        return self._shipping(
            "getRates", "POST", "/shipping/v2/shipments/rates", country, data=request
        )

    def purchase_shipment(
        self, request_token, rate_id, document_specification, idempotency_key, country=None
    ):
        """purchaseShipment; ``idempotency_key`` makes a retry (ours after a
        network error, or after a crash) return the first purchase, never a
        second label."""
        body = {
            "requestToken": request_token,
            "rateId": rate_id,
            "requestedDocumentSpecification": document_specification,
        }
        return self._shipping(
            "purchaseShipment",
            "POST",
            "/shipping/v2/shipments",
            country,
            data=body,
            idempotency_key=idempotency_key,
        )

    def get_shipment_documents(self, shipment_id, package_ref, document_format=None, country=None):
        params = {"packageClientReferenceId": package_ref}
        if document_format:
            params["format"] = document_format
        path = fill_query_params("/shipping/v2/shipments/{}/documents", shipment_id)
        return self._shipping("getShipmentDocuments", "GET", path, country, params=params)

    def cancel_shipment(self, shipment_id, country=None):
        path = fill_query_params("/shipping/v2/shipments/{}/cancel", shipment_id)
        return self._shipping("cancelShipment", "PUT", path, country)

    def get_tracking(self, tracking_id, carrier_id, country=None):
        params = {"trackingId": tracking_id, "carrierId": carrier_id}
        return self._shipping("getTracking", "GET", "/shipping/v2/tracking", country, params=params)

    # --- Multi-Channel Fulfillment (Fulfillment Outbound 2020-07-01) ------------------
    def _mcf(self, operation, method, path, data=None):
        return self._call(operation, _FulfillmentOutbound, "call", method, path, data).payload

    def get_fulfillment_preview(self, request):
        """getFulfillmentPreview: ``request`` a GetFulfillmentPreviewRequest;
        the payload (fulfillmentPreviews)."""
        return self._mcf("getFulfillmentPreview", "POST", MCF_ORDERS + "/preview", request)

    def create_fulfillment_order(self, request):
        """createFulfillmentOrder. True when Amazon took it now, False when it
        already held an order under this sellerFulfillmentOrderId ("must be
        unique for each fulfillment order that a seller creates": a retry
        after a crash between the creation and its record is refused, and the
        order Amazon holds is what was sent). Other refusals are raised."""
        try:
            self._mcf("createFulfillmentOrder", "POST", MCF_ORDERS, request)
            return True
        except SpApiRequestError as refused:
            try:
                self.get_fulfillment_order(request["sellerFulfillmentOrderId"])
            except SpApiNotFoundError:
                raise refused from None
            return False

    def get_fulfillment_order(self, order_ref):
        path = fill_query_params(MCF_ORDERS + "/{}", order_ref)
        return self._mcf("getFulfillmentOrder", "GET", path)

    def list_all_fulfillment_orders(self, since):
        """The seller's fulfillment orders "last updated after (or at)"
        ``since`` (an aware datetime), all pages."""
        query = {"queryStartDate": since.astimezone(UTC).isoformat(timespec="seconds")}
        orders, token = [], None
        while True:
            payload = self._mcf(
                "listAllFulfillmentOrders",
                "GET",
                MCF_ORDERS,
                {"nextToken": token} if token else query,
            )
            orders += (payload or {}).get("fulfillmentOrders") or []
            token = (payload or {}).get("nextToken")
            if not token:
                return {"fulfillmentOrders": orders}

    def cancel_fulfillment_order(self, order_ref):
        path = fill_query_params(MCF_ORDERS + "/{}/cancel", order_ref)
        return self._mcf("cancelFulfillmentOrder", "PUT", path)

    # --- Listings -----------------------------------------------------------------------
    def get_listings_item(self, seller_id, sku, marketplace_ids, included_data=("summaries",)):
        response = self._call(
            "getListingsItem",
            ListingsItemsV20210801,
            "get_listings_item",
            seller_id,
            sku,
            marketplaceIds=",".join(marketplace_ids),
            includedData=list(included_data),
        )
        return response.payload

    def iter_listings_pages(
        self, seller_id, marketplace_ids, included_data=("summaries",), page_size=20, **filters
    ):
        """The seller's listings items, a page at a time (lazily): dicts with
        ``items``, ``number_of_results`` and ``next_token``. ``filters``:
        searchListingsItems' other parameters (lastUpdatedAfter, identifiers...),
        repeated on every page. Amazon pages through 1000 SKUs of a search at
        most: a larger catalogue is read in narrower searches (by date)."""
        # Lists go as one comma-delimited value, as the model says ("csv"): the
        # client joins includedData itself but would repeat the other keys (so
        # do getListingsItem and patchListingsItem).
        query = {
            "marketplaceIds": ",".join(marketplace_ids),
            "includedData": list(included_data),
            "pageSize": page_size,
            **{k: ",".join(v) if isinstance(v, list | tuple) else v for k, v in filters.items()},
        }
        token = None
        while True:
            params = dict(query, pageToken=token) if token else query
            response = self._call(
                "searchListingsItems",
                ListingsItemsV20210801,
                "search_listings_items",
                seller_id,
                **params,
            )
            payload = response.payload or {}
            # The client takes "pagination" out of the body: its token is here.
            token = response.next_token
            yield {
                "items": payload.get("items") or [],
                "number_of_results": payload.get("numberOfResults", 0),
                "next_token": token,
            }
            if not token:
                return

    def patch_listings_item(self, seller_id, sku, marketplace_ids, product_type, patches):
        """Returns Amazon's submission response (status ACCEPTED or INVALID, issues)."""
        response = self._call(
            "patchListingsItem",
            ListingsItemsV20210801,
            "patch_listings_item",
            seller_id,
            sku,
            marketplaceIds=",".join(marketplace_ids),
            body={"productType": product_type, "patches": list(patches)},
        )
        return response.payload

    # --- FBA Inventory ---------------------------------------------------------------------
    def iter_fba_inventory_pages(self, marketplace_id, details=True, **filters):
        """What Amazon holds for the seller in one marketplace's fulfilment
        network, a page of InventorySummary dicts at a time (lazily).
        ``filters``: startDateTime, sellerSkus (at most 50) or sellerSku.
        Every page repeats the first one's parameters with its nextToken:
        "use both startDateTime and nextToken to get the next page", and a
        token "will expire 30 seconds after being created" (read the pages
        without pausing in between)."""
        query = {
            "granularityType": "Marketplace",
            # "When granularityType is Marketplace, specify the marketplaceId."
            "granularityId": marketplace_id,
            "marketplaceIds": marketplace_id,
            "details": "true" if details else "false",
            **{k: ",".join(v) if isinstance(v, list | tuple) else v for k, v in filters.items()},
        }
        token = None
        while True:
            params = dict(query, nextToken=token) if token else query
            response = self._call(
                "getInventorySummaries",
                Inventories,
                "get_inventory_summary_marketplace",
                **params,
            )
            payload = response.payload or {}
            token = response.next_token
            yield payload.get("inventorySummaries") or []
            if not token:
                return

    # --- Feeds -----------------------------------------------------------------------------
    def create_feed_document(self, content_type="application/json; charset=UTF-8"):
        response = self._call(
            "createFeedDocument", _Feeds, "create_feed_document", None, content_type
        )
        return response.payload

    def upload_feed_document(self, url, content, content_type="application/json; charset=UTF-8"):
        """PUT the document to its pre-signed URL (no SP-API token there)."""
        self._transfer("uploadFeedDocument", "PUT", url, content, content_type)

    def create_feed(self, feed_type, marketplace_ids, feed_document_id, feed_options=None):
        extra = {"feedOptions": dict(feed_options)} if feed_options else {}
        response = self._call(
            "createFeed",
            _Feeds,
            "create_feed",
            feed_type,
            feed_document_id,
            marketplaceIds=list(marketplace_ids),
            **extra,
        )
        return response.payload["feedId"]

    def get_feed(self, feed_id):
        return self._call("getFeed", _Feeds, "get_feed", feed_id).payload

    def get_feed_document(self, feed_document_id):
        """The document's content, decompressed, as bytes."""
        info = self._call("getFeedDocument", _Feeds, "get_document_info", feed_document_id)
        content = self._transfer("downloadFeedDocument", "GET", info.payload["url"])
        if info.payload.get("compressionAlgorithm") == "GZIP":
            content = self._gunzip("downloadFeedDocument", content)
        return content

    def submit_json_listings_feed(self, seller_id, marketplace_ids, messages):
        """Upload a JSON_LISTINGS_FEED with ``messages`` and create the feed;
        returns the feed id."""
        document = {
            "header": {"sellerId": seller_id, "version": "2.0", "issueLocale": "en_US"},
            "messages": list(messages),
        }
        info = self.create_feed_document()
        self.upload_feed_document(info["url"], json.dumps(document).encode())
        return self.create_feed("JSON_LISTINGS_FEED", marketplace_ids, info["feedDocumentId"])

    def get_feed_result(self, feed_id):
        """(feed, processing report as bytes or None). The report comes once the
        feed reached a final status (``FEED_FINAL_STATUSES``) with a result
        document: DONE, and FATAL when Amazon wrote why; CANCELLED feeds have none."""
        feed = self.get_feed(feed_id)
        if feed.get("processingStatus") not in FEED_FINAL_STATUSES or not feed.get(
            "resultFeedDocumentId"
        ):
            return feed, None
        return feed, self.get_feed_document(feed["resultFeedDocumentId"])

    def get_feed_report(self, feed_id):
        """(feed, JSON processing report or None), as ``get_feed_result``."""
        feed, content = self.get_feed_result(feed_id)
        return feed, None if content is None else json.loads(content)

    def submit_vat_invoice(self, marketplace_id, pdf, feed_options):
        """Upload one invoice or credit note (its PDF) with its ``feedOptions``
        as an UPLOAD_VAT_INVOICE feed; returns the feed id. What Amazon makes
        of it is in the feed's processing report (``get_feed_result``)."""
        document_ref = self.upload_vat_invoice_document(pdf)
        return self.create_vat_invoice_feed(marketplace_id, document_ref, feed_options)

    def upload_vat_invoice_document(self, pdf):
        """The PDF as a feed document; returns its id (nothing is sent to the
        buyer's order until ``create_vat_invoice_feed``)."""
        info = self.create_feed_document("application/pdf")
        self.upload_feed_document(info["url"], pdf, "application/pdf")
        return info["feedDocumentId"]

    def create_vat_invoice_feed(self, marketplace_id, document_ref, feed_options):
        return self.create_feed("UPLOAD_VAT_INVOICE", [marketplace_id], document_ref, feed_options)

    def submit_order_cancellations(self, marketplace_id, content):
        """Upload a flat-file order cancellation (mapping/cancellations.py)
        and create its feed in ``marketplace_id``; returns the feed id. What
        Amazon made of each row is in the processing report
        (``get_feed_result``)."""
        info = self.create_feed_document(CANCELLATION_CONTENT_TYPE)
        self.upload_feed_document(info["url"], content, CANCELLATION_CONTENT_TYPE)
        return self.create_feed(CANCELLATION_FEED_TYPE, [marketplace_id], info["feedDocumentId"])

    # --- Finances ---------------------------------------------------------------------------
    def iter_transactions(self, posted_after=None, posted_before=None, related=None, status=None):
        """The seller's transactions (Finances 2024-06-19), a page of
        Transaction dicts at a time (lazily; a page may be empty: "this
        operation can return empty pages"). ``posted_after`` / ``posted_before``
        (aware datetimes, "more than two minutes before the time of the
        request") or ``related`` = (FINANCIAL_EVENT_GROUP_ID or ORDER_ID, value).
        No marketplaceId: "If you want to retrieve MFN orders in the US store,
        do not supply the marketplaceId parameter" (the caller filters)."""
        query = {}
        for name, moment in (("postedAfter", posted_after), ("postedBefore", posted_before)):
            if moment is not None:
                query[name] = moment.astimezone(UTC).isoformat(timespec="seconds")
        if related:
            query["relatedIdentifierName"], query["relatedIdentifierValue"] = related
        if status:
            query["transactionStatus"] = status
        token = None
        while True:
            # The next page: "include the same arguments as the call that produced the token".
            params = dict(query, nextToken=token) if token else query
            response = self._call("listTransactions", _Finances, "list_transactions_only", **params)
            payload = response.payload or {}
            token = payload.get("nextToken") or response.next_token
            yield payload.get("transactions") or []
            if not token:
                return

    def iter_event_groups(self, started_after, started_before=None):
        """The seller's financial event groups (Finances v0), the payouts: a
        page of FinancialEventGroup dicts at a time, lazily (a page may be
        empty). ``started_after`` / ``started_before``: aware datetimes "more
        than two minutes before" the request, less than 180 days apart."""
        query = {
            "FinancialEventGroupStartedAfter": started_after.astimezone(UTC).isoformat(
                timespec="seconds"
            ),
            "MaxResultsPerPage": 100,  # "maximum": 100
        }
        if started_before is not None:
            query["FinancialEventGroupStartedBefore"] = started_before.astimezone(UTC).isoformat(
                timespec="seconds"
            )
        token = None
        while True:
            # "include the same arguments as the call that produced the token"
            params = dict(query, NextToken=token) if token else query
            response = self._call(
                "listFinancialEventGroups", _FinancesV0, "list_event_groups_only", **params
            )
            payload = response.payload or {}
            token = payload.get("NextToken") or response.next_token
            yield payload.get("FinancialEventGroupList") or []
            if not token:
                return

    # --- Amazon's invoices to the seller (Finances Invoices 2026-06-25) -------------------
    def iter_fee_invoice_headers(self, marketplace_id, issued_after, issued_before):
        """Amazon's invoices issued in ``marketplace_id`` between two aware
        datetimes ("must not exceed 90 days" apart: the caller splits longer
        windows), a page of InvoiceHeader dicts at a time (a page may be empty)."""
        query = {
            "marketplaceId": marketplace_id,
            "fromIssueDate": issued_after.astimezone(UTC).isoformat(timespec="seconds"),
            "toIssueDate": issued_before.astimezone(UTC).isoformat(timespec="seconds"),
        }
        token = None
        while True:
            # "call the operation with this token and include the same arguments"
            params = dict(query, nextToken=token) if token else query
            response = self._call(
                "getInvoiceHeaders", _FinancesInvoices, "get_invoice_headers", **params
            )
            payload = response.payload or {}
            # The library keeps a top-level nextToken apart from the payload.
            token = payload.get("nextToken") or response.next_token
            yield payload.get("invoices") or []
            if not token:
                return

    def get_fee_invoice(self, marketplace_id, identifier):
        """(InvoiceHeader, every InvoiceItem): the line items come by pages of
        600, each asked "with this token, including the same request parameters"."""
        query = {"marketplaceId": marketplace_id}
        header, items, token = None, [], None
        while True:
            params = dict(query, nextTokenForLineItems=token) if token else query
            payload = self._call(
                "getInvoice", _FinancesInvoices, "get_invoice", identifier, **params
            ).payload
            payload = payload or {}
            header = header or payload.get("invoiceHeader")
            items.extend(payload.get("invoiceItems") or [])
            token = payload.get("nextTokenForLineItems")
            if not token:
                return header, items

    # --- Reports ---------------------------------------------------------------------------
    def create_report(self, report_type, marketplace_ids, data_start=None, data_end=None):
        """Ask Amazon to write a report; returns its reportId. ``data_start`` and
        ``data_end`` (aware datetimes) must not be in the future: "The value must
        be prior to or equal to the current date and time"."""
        body = {"reportType": report_type, "marketplaceIds": list(marketplace_ids)}
        for name, moment in (("dataStartTime", data_start), ("dataEndTime", data_end)):
            if moment is not None:
                body[name] = moment.astimezone(UTC).isoformat(timespec="seconds")
        return self._call("createReport", _Reports, "create_report", **body).payload["reportId"]

    def get_report(self, report_id):
        return self._call("getReport", _Reports, "get_report_only", report_id).payload

    def get_report_document(self, report_document_id):
        """The document's text, decompressed. Amazon writes flat files in UTF-8
        or, for older report types and some marketplaces, in Windows-1252."""
        info = self._call(
            "getReportDocument", _Reports, "get_document_info", report_document_id
        ).payload
        # The URL "expires after 5 minutes": fetched at once.
        content = self._transfer("downloadReportDocument", "GET", info["url"])
        if info.get("compressionAlgorithm") == "GZIP":
            content = self._gunzip("downloadReportDocument", content)
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return content.decode("cp1252", errors="replace")

    def read_report(self, report_id):
        """(report, document text or None). The text comes once the report is
        DONE; a CANCELLED report has none (nothing to report), nor a FATAL one."""
        report = self.get_report(report_id)
        if report.get("processingStatus") != "DONE" or not report.get("reportDocumentId"):
            return report, None
        return report, self.get_report_document(report["reportDocumentId"])

    # --- Notifications ----------------------------------------------------------------------
    def _notifications(self, operation, method, path, data=None, grantless=False):
        return self._call(
            operation, _Notifications, "call", method, path, data, grantless=grantless
        ).payload

    def get_destinations(self):
        """The application's destinations (grantless)."""
        return (
            self._notifications(
                "getDestinations", "GET", "/notifications/v1/destinations", grantless=True
            )
            or []
        )

    def create_destination(self, name, sqs_arn):
        """A destination for the SQS queue ``sqs_arn`` (grantless); returns it."""
        body = {"name": name, "resourceSpecification": {"sqs": {"arn": sqs_arn}}}
        return self._notifications(
            "createDestination", "POST", "/notifications/v1/destinations", body, grantless=True
        )

    def delete_destination(self, destination_id):
        self._notifications(
            "deleteDestination",
            "DELETE",
            fill_query_params("/notifications/v1/destinations/{}", destination_id),
            grantless=True,
        )

    def create_subscription(
        self, notification_type, destination_id, payload_version, processing_directive=None
    ):
        """The seller's subscription to ``notification_type``; returns it."""
        body = {"destinationId": destination_id, "payloadVersion": payload_version}
        if processing_directive:
            body["processingDirective"] = processing_directive
        return self._notifications(
            "createSubscription",
            "POST",
            fill_query_params("/notifications/v1/subscriptions/{}", notification_type),
            body,
        )

    def get_subscription(self, notification_type, payload_version=None):
        """The seller's subscription to ``notification_type``, None when there is none."""
        params = {"payloadVersion": payload_version} if payload_version else None
        try:
            return self._notifications(
                "getSubscription",
                "GET",
                fill_query_params("/notifications/v1/subscriptions/{}", notification_type),
                params,
            )
        except SpApiNotFoundError:
            return None

    def delete_subscription(self, notification_type, subscription_id):
        """Notifications stop for it (grantless)."""
        self._notifications(
            "deleteSubscriptionById",
            "DELETE",
            fill_query_params(
                "/notifications/v1/subscriptions/{}/{}", notification_type, subscription_id
            ),
            grantless=True,
        )

    def _transfer(self, operation, method, url, content=None, content_type=None):
        """Document transfers to pre-signed URLs: retried like API calls, only
        to where the endpoint's documents live (no credential goes there, but a
        document may hold buyers' data, and a URL could name an internal host),
        read with a byte cap under an overall deadline."""
        try:
            self.endpoint.check_document_url(url)
        except ValueError as why:
            raise SpApiDocumentError(f"document URL refused: {why}", operation=operation) from None
        headers = {"Content-Type": content_type} if content_type else {}
        for attempt in range(self.max_retries + 1):
            self.stats.calls[operation] += 1
            try:
                # Redirects are not followed: they could lead anywhere.
                with (
                    httpx.Client(timeout=self.timeout, follow_redirects=False) as http,
                    http.stream(method, url, content=content, headers=headers) as response,
                ):
                    if response.status_code < 300:
                        return self._read_capped(operation, response)
                if response.status_code < 500:
                    break
                error = SpApiUnavailableError(
                    "document storage failed", operation=operation, status=response.status_code
                )
            except httpx.TransportError as exc:
                error = SpApiUnavailableError(
                    f"document storage could not be reached: {type(exc).__name__}",
                    operation=operation,
                )
            if attempt == self.max_retries:
                raise error
            self.stats.retries[operation] += 1
            self._sleep(self._backoff(attempt))
        raise SpApiRequestError(
            "document storage refused the transfer",
            operation=operation,
            status=response.status_code,
        )

    def _read_capped(self, operation, response):
        """The body of ``response``, refused past ``max_document_bytes`` or once
        ``document_timeout`` seconds have passed (httpx's timeout bounds each
        read, not a server that trickles bytes for ever)."""
        cap = self.max_document_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise SpApiDocumentError(
                f"document refused: {int(declared)} bytes announced, more than {cap}",
                operation=operation,
            )
        deadline = time.monotonic() + self.document_timeout
        body = bytearray()
        for chunk in response.iter_raw():
            body += chunk
            if len(body) > cap:
                raise SpApiDocumentError(
                    f"document refused: more than {cap} bytes", operation=operation
                )
            if time.monotonic() > deadline:
                raise SpApiDocumentError(
                    f"document refused: not read within {self.document_timeout:.0f} s",
                    operation=operation,
                )
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding == "gzip":
            return self._gunzip(operation, bytes(body))
        if encoding not in ("", "identity"):
            raise SpApiDocumentError(
                f"document refused: unknown content encoding {encoding!r}", operation=operation
            )
        return bytes(body)

    def _gunzip(self, operation, content):
        """``content`` decompressed, refused past ``max_document_size`` bytes
        (a small gzip can expand a thousandfold). Every gzip member is read, as
        gzip.decompress does."""
        cap = self.max_document_size
        out = bytearray()
        data = content
        try:
            while data:
                inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                while data:
                    # A MiB at a time: never much more in memory than the cap.
                    out += inflater.decompress(data, min(cap + 1 - len(out), 1 << 20))
                    if len(out) > cap:
                        raise SpApiDocumentError(
                            f"document refused: more than {cap} bytes once decompressed",
                            operation=operation,
                        )
                    data = inflater.unconsumed_tail
                    if inflater.eof:
                        break
                if not inflater.eof:
                    raise SpApiDocumentError(
                        "document refused: the gzip data ends early", operation=operation
                    )
                data = inflater.unused_data
        except zlib.error as exc:
            raise SpApiDocumentError(
                f"document refused: not valid gzip data ({exc})", operation=operation
            ) from None
        return bytes(out)


def exchange_authorization_code(endpoint, client_id, client_secret, code, token_cache=TOKEN_CACHE):
    """LWA ``authorization_code`` grant of the website authorization flow:
    returns the seller's refresh token."""
    credentials = CredentialProvider(
        credentials={"lwa_app_id": client_id, "lwa_client_secret": client_secret}
    ).credentials
    token_client = token_client_class(endpoint.token_url, token_cache)(credentials=credentials)
    try:
        data = token_client.authorize_auth_code(code)
    except AuthorizationError as exc:
        raise SpApiAuthError(
            f"Login with Amazon refused the authorization code: {exc.message or exc.error_code}",
            operation="lwaToken",
            status=exc.status_code,
            code=exc.error_code,
        ) from None
    except httpx.TransportError as exc:
        raise SpApiUnavailableError(
            f"Login with Amazon could not be reached: {type(exc).__name__}",
            operation="lwaToken",
        ) from exc
    except ValueError as exc:
        raise SpApiResponseError(
            "Login with Amazon answered with malformed JSON", operation="lwaToken"
        ) from exc
    if not data.get("refresh_token"):
        raise SpApiResponseError(
            "Login with Amazon returned no refresh token", operation="lwaToken"
        )
    return data["refresh_token"]


__all__ = [
    "FEED_FINAL_STATUSES",
    "ORDER_INCLUDED_DATA",
    "USAGE_PLANS",
    "ApiStats",
    "OrdersPage",
    "SpApiAdapter",
    "SpApiError",
    "exchange_authorization_code",
]
