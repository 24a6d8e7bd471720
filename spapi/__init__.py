"""SP-API adapter: the only code of the connector that talks to Amazon.

Pure Python (python-amazon-sp-api and httpx, no Odoo), so it is tested on its
own against the emulator; the Odoo models build one adapter per account.
"""

from .adapter import (
    FEED_FINAL_STATUSES,
    REPORT_FINAL_STATUSES,
    ORDER_INCLUDED_DATA,
    USAGE_PLANS,
    ApiStats,
    MemoryThrottle,
    OrdersPage,
    SpApiAdapter,
    exchange_authorization_code,
)
from .auth import TOKEN_CACHE, TokenCache
from .endpoints import LWA_TOKEN_URL, Endpoint
from .errors import (
    SpApiAuthError,
    SpApiDocumentError,
    SpApiError,
    SpApiNotFoundError,
    SpApiRateLimitWait,
    SpApiRequestError,
    SpApiResponseError,
    SpApiThrottledError,
    SpApiUnavailableError,
)

__all__ = [
    "FEED_FINAL_STATUSES",
    "LWA_TOKEN_URL",
    "ORDER_INCLUDED_DATA",
    "REPORT_FINAL_STATUSES",
    "TOKEN_CACHE",
    "USAGE_PLANS",
    "ApiStats",
    "Endpoint",
    "MemoryThrottle",
    "OrdersPage",
    "SpApiAdapter",
    "SpApiAuthError",
    "SpApiDocumentError",
    "SpApiError",
    "SpApiNotFoundError",
    "SpApiRateLimitWait",
    "SpApiRequestError",
    "SpApiResponseError",
    "SpApiThrottledError",
    "SpApiUnavailableError",
    "TokenCache",
    "exchange_authorization_code",
]
