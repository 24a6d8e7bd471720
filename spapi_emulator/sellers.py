"""Sellers, apps and their tokens: Login with Amazon (the token endpoint and
the consent page), the Sellers API's marketplace participations, and the
emulator's own health check."""

import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from .common import Api, StoreError, invalid, route
from .marketplaces import MARKETPLACES
from .render import render_participations

ACCESS_TOKEN_LIFETIME = 3600
GRANTLESS_SCOPE = "sellingpartnerapi::notifications"


@dataclass
class App:
    client_id: str  # LWA client id
    client_secret: str
    redirect_uris: list = field(default_factory=list)
    app_id: str = ""  # the SP-API application id (amzn1.sp.solution...) of the consent URL


@dataclass
class Seller:
    seller_id: str
    marketplace_ids: list
    store_name: str = "Emulated Store"
    suspended_marketplace_ids: list = field(default_factory=list)


class SellersStore:
    """The store's apps, sellers and credentials."""

    def __init__(self):
        super().__init__()
        self.apps = {}
        self.sellers = {}
        self.refresh_tokens = {}  # refresh token -> (client_id, seller_id)
        self.access_tokens = {}  # access token -> (seller_id, expires at epoch)
        self.token_origin = {}  # access token -> the refresh token it came from
        self.auth_codes = {}  # code -> (client_id, seller_id, expires at epoch)
        self.consenting_seller_id = None  # who approves the consent page (default: first)

    def add_app(self, client_id, client_secret, redirect_uris=(), app_id=""):
        with self.lock:
            self.apps[client_id] = App(client_id, client_secret, list(redirect_uris), app_id)
            return self.apps[client_id]

    def app_by_application_id(self, application_id):
        return next(
            (a for a in self.apps.values() if application_id in (a.app_id, a.client_id)), None
        )

    def add_seller(
        self,
        seller_id,
        marketplace_ids,
        *,
        client_id=None,
        refresh_token=None,
        store_name="Emulated Store",
    ):
        """Register a seller participating in ``marketplace_ids``; when
        ``client_id`` is given, also authorize that app with ``refresh_token``."""
        unknown = [m for m in marketplace_ids if m not in MARKETPLACES]
        if unknown:
            raise StoreError(f"unknown marketplace ids: {unknown}")
        with self.lock:
            seller = Seller(seller_id, list(marketplace_ids), store_name)
            self.sellers[seller_id] = seller
            if client_id:
                self.authorize(client_id, seller_id, refresh_token)
            return seller

    def authorize(self, client_id, seller_id, refresh_token=None):
        """The seller authorizes the app: returns the LWA refresh token."""
        with self.lock:
            if client_id not in self.apps:
                raise StoreError(f"unknown app {client_id}")
            refresh_token = refresh_token or "Atzr|" + secrets.token_urlsafe(24)
            self.refresh_tokens[refresh_token] = (client_id, seller_id)
            return refresh_token

    def revoke(self, refresh_token):
        """The seller removes the app's authorization: the refresh token and the
        access tokens it gave stop working."""
        with self.lock:
            self.refresh_tokens.pop(refresh_token, None)
            for token, origin in list(self.token_origin.items()):
                if origin == refresh_token:
                    self.access_tokens.pop(token, None)
                    del self.token_origin[token]

    def issue_auth_code(self, client_id, seller_id, lifetime=300):
        """What Seller Central hands the app after the seller consents."""
        with self.lock:
            code = "ANa" + secrets.token_urlsafe(12)
            self.auth_codes[code] = (client_id, seller_id, time.time() + lifetime)
            return code

    def issue_access_token(self, seller_id, refresh_token=None):
        with self.lock:
            token = "Atza|" + secrets.token_urlsafe(24)
            self.access_tokens[token] = (seller_id, time.time() + ACCESS_TOKEN_LIFETIME)
            self.token_origin[token] = refresh_token
            return token

    def expire_access_tokens(self):
        """Every access token issued so far is now expired (tests of refresh)."""
        with self.lock:
            for token, (seller_id, _exp) in list(self.access_tokens.items()):
                self.access_tokens[token] = (seller_id, time.time() - 1)


class SellersApi(Api):
    """LWA's token and consent, the Sellers API, the health check."""

    routes = [
        route("POST", "/auth/o2/token", "lwaToken", "lwa_token", False),
        route("GET", "/apps/authorize/consent", "consent", "consent", False),
        route("GET", "/_emulator/health", "health", "health", False),
        route(
            "GET",
            "/sellers/v1/marketplaceParticipations",
            "getMarketplaceParticipations",
            "participations",
        ),
    ]

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
            elif grant == "client_credentials":
                # A grantless token, for the application's own operations
                # (Notifications API destinations), with the scope they need.
                if form.get("scope") != GRANTLESS_SCOPE:
                    return 400, {
                        "error": "invalid_scope",
                        "error_description": f"Unsupported scope {form.get('scope')!r}",
                    }
                call.body["scope"] = form.get("scope")
                return 200, {
                    "access_token": store.issue_grantless_token(app.client_id),
                    "token_type": "bearer",
                    "expires_in": 3600,
                }
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
