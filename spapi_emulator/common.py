"""What every part of the emulator shares: errors in Amazon's shape, times,
money, the requests received, their routes, the server-side page tokens, and
the base of each API's operations (``Api``)."""

import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from .marketplaces import MARKETPLACES

# How long a pre-signed document URL (feeds and reports) stays valid.
DOCUMENT_URL_LIFETIME = timedelta(minutes=5)


class StoreError(Exception):
    """A seeding call that makes no sense (unknown seller, bad status...)."""


def utcnow():
    return datetime.now(timezone.utc).replace(microsecond=0)


def isoformat(moment):
    # strftime's %Y prints year 135 as "135": RFC 3339's date-time has four
    # digits ("date-fullyear = 4DIGIT"), so the year is padded.
    moment = moment.astimezone(timezone.utc)
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%SZ")


def aware(moment):
    """Naive datetimes given to the store are taken as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def money(amount):
    return Decimal(str(amount)).quantize(Decimal("0.01"))


@dataclass
class TokenPages:
    """What a ``nextToken`` stands for, kept on the server side: the request
    that made it (the next one must repeat it) and what is still to serve
    (getInventorySummaries: SKUs; listTransactions: pages)."""

    seller_id: str
    bound_params: dict
    rest: list
    issued: float = field(default_factory=time.monotonic)


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
    app_id: str | None = None  # the LWA client id of a grantless call
    status: int | None = None
    response: object = None
    fault: str | None = None
    sandbox: bool = False
    unknown_params: list = field(default_factory=list)  # query parameters not in the model
    errors: list | None = None  # the answer's departures from the model, once checked
    at: float = field(default_factory=time.time)


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    operation: str
    handler: str
    # True: a seller's token; "grantless": the application's (client_credentials).
    authenticated: bool | str = True


def processing_times(job):
    """processingStartTime / processingEndTime of a feed or a report, once known."""
    times = {}
    if job.processing_start:
        times["processingStartTime"] = isoformat(job.processing_start)
    if job.processing_end:
        times["processingEndTime"] = isoformat(job.processing_end)
    return times


def route(method, path, operation, handler, authenticated=True):
    return Route(method, re.compile(f"^{path}$"), operation, handler, authenticated)


class Api:
    """An Amazon API's operations. The router makes one per request: it reads
    the emulator's state and the request's headers; ``op_<handler>(call,
    params, body, **path_params)`` answers (status, body[, headers]) or raises
    :class:`ApiError`. A subclass lists its ``routes``."""

    routes = []

    def __init__(self, emulator, headers):
        self.emulator = emulator
        self.headers = headers

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
