"""Typed errors of the SP-API adapter. Callers record them and keep their work:
every one carries the operation, the HTTP status (if any) and Amazon's message."""


class SpApiError(Exception):
    """Base class. ``retryable`` tells whether a later run may succeed unchanged."""

    retryable = False

    def __init__(self, message, *, operation=None, status=None, code=None, details=None):
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.status = status
        self.code = code
        self.details = details

    def __str__(self):
        where = f"{self.operation}: " if self.operation else ""
        status = f" (HTTP {self.status})" if self.status else ""
        details = f" {self.details}" if self.details and self.details != self.message else ""
        return f"{where}{self.message}{details}{status}"


class SpApiAuthError(SpApiError):
    """Credentials refused: bad client id/secret, revoked or invalid refresh
    token, or no access to the resource (a marketplace the seller lacks)."""


class SpApiThrottledError(SpApiError):
    """Still throttled (429) after the bounded retries."""

    retryable = True


class SpApiRateLimitWait(SpApiThrottledError):
    """Nothing was sent: Amazon's usage plan allows the next call only in
    ``retry_after`` seconds, longer than the caller agreed to wait. A cron ends
    the account's turn there; a later run goes on."""

    def __init__(self, message, *, retry_after, **info):
        super().__init__(message, **info)
        self.retry_after = retry_after


class SpApiUnavailableError(SpApiError):
    """Network failure, timeout or 5xx after the bounded retries."""

    retryable = True


class SpApiResponseError(SpApiError):
    """Amazon answered something that is not the JSON the model describes."""

    retryable = True


class SpApiRequestError(SpApiError):
    """Amazon rejected the request itself (400, 404, 409, 413, 415)."""


class SpApiNotFoundError(SpApiRequestError):
    """404: the order, listing or feed does not exist."""


class SpApiDocumentError(SpApiError):
    """A document (report, feed result) refused before or while it was read:
    a URL that is not Amazon's document storage, or more bytes than the caps
    allow, compressed or not. Reading it again would meet the same refusal."""
