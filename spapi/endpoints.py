"""Where an account talks to: Amazon's regional endpoints, its sandbox, or a
custom base URL (the emulator)."""

from dataclasses import dataclass
from urllib.parse import urlsplit

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
REGION_HOSTS = {
    "na": "sellingpartnerapi-na.amazon.com",
    "eu": "sellingpartnerapi-eu.amazon.com",
    "fe": "sellingpartnerapi-fe.amazon.com",
}
# Seller Central hosts per region: the website authorization (consent) page of
# marketplaces without a host of their own (amazon.marketplace).
SELLER_CENTRAL_HOSTS = {
    "na": "sellercentral.amazon.com",
    "eu": "sellercentral-europe.amazon.com",
    "fe": "sellercentral.amazon.co.jp",
}
# Where Amazon's pre-signed document URLs (reports, feed documents and their
# results) point: Amazon's S3 ("https://tortuga-prod-na.s3-external-1.amazonaws.com/...")
# and the CloudFront host of the Reports and Feeds models' own examples
# ("url": "https://d34o8swod1owfl.cloudfront.net/Report_47700__GET_MERCHANT_LISTINGS_ALL_DATA_.txt").
AMAZON_DOCUMENT_HOST_SUFFIXES = (".amazonaws.com", ".amazon.com")
AMAZON_DOCUMENT_HOSTS = ("d34o8swod1owfl.cloudfront.net",)
# A custom endpoint (the emulator) on these hosts may receive the company's
# app credentials; any other needs an admin's word (amazon.account).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _origin(parts):
    """(scheme, host, port) of a split URL, the port made explicit."""
    try:
        port = parts.port
    except ValueError:  # a port that is not a number
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port or default)


@dataclass(frozen=True)
class Endpoint:
    """The SP-API base URL and the LWA token URL of one account."""

    api_url: str
    token_url: str = LWA_TOKEN_URL
    # The consent page of a custom endpoint (the emulator); Amazon's is the
    # marketplace's Seller Central (amazon.marketplace).
    consent_url: str = ""
    # Not Amazon's: the emulator, or another server an admin set.
    is_custom: bool = False

    @classmethod
    def production(cls, region):
        return cls(f"https://{REGION_HOSTS[region]}")

    @classmethod
    def sandbox(cls, region):
        return cls(f"https://sandbox.{REGION_HOSTS[region]}")

    @classmethod
    def custom(cls, base_url, token_url=None):
        """A base URL serving the SP-API paths (and, by default, the LWA token
        path /auth/o2/token and the consent page): the emulator."""
        base_url = base_url.rstrip("/")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        return cls(
            base_url,
            token_url or f"{base_url}/auth/o2/token",
            consent_url=f"{base_url}/apps/authorize/consent",
            is_custom=True,
        )

    def hosts(self):
        """The hosts this endpoint sends credentials to (API and LWA)."""
        return {urlsplit(url).hostname for url in (self.api_url, self.token_url)}

    def check_document_url(self, url):
        """Raise ValueError saying why, unless ``url`` is where this endpoint's
        documents live: HTTPS on Amazon's document hosts, or a custom
        endpoint's own scheme and host. Everything else (another host, an
        internal address, plain HTTP) is never fetched nor sent to."""
        parts = urlsplit(url or "")
        host = (parts.hostname or "").lower()
        if self.is_custom:
            own = urlsplit(self.api_url)
            if _origin(parts) == _origin(own):
                return
            raise ValueError(
                f"{parts.netloc or url!r} is not the custom endpoint's own server {own.netloc}"
            )
        if parts.scheme != "https":
            raise ValueError(f"not an HTTPS URL ({parts.scheme or 'no scheme'})")
        if host in AMAZON_DOCUMENT_HOSTS or host.endswith(AMAZON_DOCUMENT_HOST_SUFFIXES):
            return
        raise ValueError(f"{host or url!r} is not one of Amazon's document hosts")
