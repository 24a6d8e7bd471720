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


@dataclass(frozen=True)
class Endpoint:
    """The SP-API base URL and the LWA token URL of one account."""

    api_url: str
    token_url: str = LWA_TOKEN_URL
    # The consent page of a custom endpoint (the emulator); Amazon's is the
    # marketplace's Seller Central (amazon.marketplace).
    consent_url: str = ""

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
        )
