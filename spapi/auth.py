"""Login with Amazon (LWA): access tokens cached until they expire.

python-amazon-sp-api keeps tokens in a fixed-TTL module cache; we need the
token's own ``expires_in``, one cache per token URL (production, sandbox and the
emulator side by side) and a way to drop a token Amazon calls expired, so the
token client below replaces its ``get_auth``.
"""

import hashlib
import threading
import time
from urllib.parse import urlsplit

from sp_api.auth import AccessTokenClient, AccessTokenResponse

# Renew a little before Amazon's expiry so a token never dies in flight.
EXPIRY_MARGIN = 60


class TokenCache:
    """Process-wide: every adapter of one seller shares its access token."""

    def __init__(self):
        self._tokens = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(token_url, client_id, client_secret, refresh_token):
        # The secret is part of the key: a changed secret must be tried on LWA,
        # not hidden behind a token obtained with the old one.
        # A grantless token's "refresh token" is its scope ("grantless:<scope>").
        material = f"{client_secret}\0{refresh_token or ''}"
        return (token_url, client_id, hashlib.sha256(material.encode()).hexdigest())

    def get(self, key):
        with self._lock:
            entry = self._tokens.get(key)
            if entry and entry[1] > time.time():
                return entry[0]
            self._tokens.pop(key, None)
            return None

    def put(self, key, token, expires_in):
        with self._lock:
            lifetime = max(int(expires_in or 3600) - EXPIRY_MARGIN, 1)
            self._tokens[key] = (token, time.time() + lifetime)

    def drop(self, key):
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self):
        with self._lock:
            self._tokens.clear()


TOKEN_CACHE = TokenCache()


def token_client_class(token_url, cache=TOKEN_CACHE, on_request=None):
    """An AccessTokenClient subclass posting to ``token_url`` and caching in
    ``cache``; ``on_request`` is called for each real token request."""
    parts = urlsplit(token_url)

    class LwaTokenClient(AccessTokenClient):
        scheme = f"{parts.scheme}://"
        host = parts.netloc
        path = parts.path or "/auth/o2/token"

        @property
        def cache_key(self):
            return TokenCache.key(
                token_url, self.cred.client_id, self.cred.client_secret, self.cred.refresh_token
            )

        def get_auth(self):
            token = cache.get(self.cache_key)
            if token is None:
                if on_request:
                    on_request()
                data = self._request(token_url, self.data, self.headers)
                token = data["access_token"]
                cache.put(self.cache_key, token, data.get("expires_in"))
            return AccessTokenResponse(access_token=token, token_type="bearer")

        def get_grantless_auth(self, scope="sellingpartnerapi::notifications"):
            # The library's own cache is one per process, keyed by scope alone:
            # an app's grantless token would serve another app or endpoint.
            key = TokenCache.key(
                token_url, self.cred.client_id, self.cred.client_secret, f"grantless:{scope}"
            )
            token = cache.get(key)
            if token is None:
                if on_request:
                    on_request()
                data = self._request(token_url, self.grantless_data(scope), self.headers)
                token = data["access_token"]
                cache.put(key, token, data.get("expires_in"))
            return AccessTokenResponse(access_token=token, token_type="bearer")

        def forget(self):
            cache.drop(self.cache_key)

    return LwaTokenClient
