from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from odoo.tests import tagged
from odoo.tools.misc import hash_sign

from ..models.amazon_account import CONSENT_STATE_SCOPE
from .common import APP_ID, SELLER_ID, AmazonHttpCase

CONSENT_SELLER = "A3CONSENTSELLER"


@tagged("post_install", "-at_install")
class TestConsentFlow(AmazonHttpCase):
    """Amazon's website authorization flow, end to end: the account's button,
    Seller Central's consent page (the emulator's), then our callback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The seller who consents is not the one of cls.account.
        cls.emulator.store.add_seller(CONSENT_SELLER, ["ATVPDKIKX0DER"])
        cls.emulator.store.consenting_seller_id = CONSENT_SELLER

    def setUp(self):
        super().setUp()
        self.admin = self.env.ref("base.user_admin")
        self.new_account = self.env["amazon.account"].create(
            {
                "name": "To link",
                "signup_marketplace_id": self.marketplace["ATVPDKIKX0DER"].id,
                "environment": "custom",
                "custom_api_url": self.emulator.url,
            }
        )
        self.authenticate("admin", "admin")

    def _consent(self):
        """Press 'Link with Amazon' as admin and let the seller consent: returns
        the callback URL (path and query) Amazon redirects the browser to."""
        action = self.new_account.with_user(self.admin).action_link_with_amazon()
        url = urlsplit(action["url"])
        query = parse_qs(url.query)
        self.assertEqual(query["application_id"], [APP_ID])
        self.assertTrue(query["redirect_uri"][0].endswith("/amazon/consent/callback"))
        consent = httpx.get(action["url"])
        self.assertEqual(consent.status_code, 302)
        callback = urlsplit(consent.headers["Location"])
        return f"{callback.path}?{callback.query}", parse_qs(callback.query)

    def _callback(self, path):
        return self.url_open(path, allow_redirects=False)

    def test_good_state_links_the_account(self):
        path, _query = self._consent()
        response = self._callback(path)
        self.assertEqual(response.status_code, 303, response.text[:500])
        self.assertIn(f"/{self.new_account.id}", response.headers["Location"])
        account = self.new_account
        self.assertEqual(account.seller_ref, CONSENT_SELLER)
        self.assertEqual(account.link_state, "linked")
        token = account.sudo().refresh_token
        self.assertTrue(token.startswith("Atzr|"))
        self.assertEqual(self.emulator.store.refresh_tokens[token][1], CONSENT_SELLER)
        self.assertFalse(account.sudo().consent_nonce)
        # The code exchanged for the token, then the token asked for an access
        # token to verify the seller id (issue #33).
        grants = [call.body["grant_type"] for call in self.emulator.calls_for("lwaToken")][-2:]
        self.assertEqual(grants, ["authorization_code", "refresh_token"])
        verified = self.emulator.calls_for("searchListingsItems")[-1]
        self.assertIn(f"/{CONSENT_SELLER}", verified.path)
        # The stored token works.
        self.assertEqual(account.action_check_connection()["params"]["type"], "success")

    def test_forged_state_is_rejected(self):
        path, query = self._consent()
        state = query["state"][0]
        forged = state[:-3] + ("AAA" if not state.endswith("AAA") else "BBB")
        response = self._callback(path.replace(state, forged))
        self.assertEqual(response.status_code, 400)
        self.assertIn("invalid or expired", response.text)
        self.assertFalse(self.new_account.sudo().refresh_token)
        garbage = self._callback("/amazon/consent/callback?state=%%%&spapi_oauth_code=x")
        self.assertEqual(garbage.status_code, 400)

    def test_expired_state_is_rejected(self):
        self.new_account.sudo().consent_nonce = "nonce-1"
        state = hash_sign(
            self.env(su=True),
            CONSENT_STATE_SCOPE,
            {"account": self.new_account.id, "user": self.admin.id, "nonce": "nonce-1"},
            expiration=datetime.now() - timedelta(minutes=1),
        )
        code = self.emulator.store.issue_auth_code(
            "amzn1.application-oa2-client.odoo-tests", SELLER_ID
        )
        response = self._callback(
            f"/amazon/consent/callback?state={state}&spapi_oauth_code={code}"
            f"&selling_partner_id={SELLER_ID}"
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self.new_account.sudo().refresh_token)

    def test_replayed_state_is_rejected(self):
        path, _query = self._consent()
        self.assertEqual(self._callback(path).status_code, 303)
        first_token = self.new_account.sudo().refresh_token
        response = self._callback(path)
        self.assertEqual(response.status_code, 400)
        self.assertIn("already used", response.text)
        self.assertEqual(self.new_account.sudo().refresh_token, first_token)

    def test_state_of_another_user_is_rejected(self):
        path, _query = self._consent()
        self.authenticate(self.sales_manager.login, self.sales_manager.login)
        self.assertEqual(self._callback(path).status_code, 400)
        self.assertFalse(self.new_account.sudo().refresh_token)

    def test_refused_code_is_reported_on_the_account(self):
        path, query = self._consent()
        code = query["spapi_oauth_code"][0]
        self.emulator.store.auth_codes.pop(code)  # Amazon no longer knows it
        response = self._callback(path)
        self.assertEqual(response.status_code, 303)
        self.assertFalse(self.new_account.sudo().refresh_token)
        self.assertIn("Linking with Amazon failed", self.new_account.message_ids[0].body)

    def test_a_forged_seller_id_is_not_saved(self):
        """Issue #33: the callback's selling_partner_id is in the query string;
        one that is not the token's seller (here cls.account's) links nothing."""
        path, _query = self._consent()
        forged = path.replace(
            f"selling_partner_id={CONSENT_SELLER}", f"selling_partner_id={SELLER_ID}"
        )
        self.assertNotEqual(forged, path)
        self.assertEqual(self._callback(forged).status_code, 303)
        self.assertFalse(self.new_account.sudo().refresh_token)
        self.assertFalse(self.new_account.seller_ref)
        self.assertIn("does not confirm", self.new_account.message_ids[0].body)
        # The honest callback (a new consent) links it to the seller who consented.
        path, _query = self._consent()
        self.assertEqual(self._callback(path).status_code, 303)
        self.assertEqual(self.new_account.seller_ref, CONSENT_SELLER)

    def test_seller_linked_twice_is_refused_clearly(self):
        self.emulator.store.consenting_seller_id = SELLER_ID  # cls.account's seller
        self.addCleanup(setattr, self.emulator.store, "consenting_seller_id", CONSENT_SELLER)
        path, _query = self._consent()
        self.assertEqual(self._callback(path).status_code, 303)
        self.assertFalse(self.new_account.sudo().refresh_token)
        self.assertIn("already linked", self.new_account.message_ids[0].body)

    def test_salesman_rpc_never_sees_secrets(self):
        self.authenticate(self.salesman.login, self.salesman.login)
        response = self.url_open(
            "/web/dataset/call_kw/amazon.account/web_search_read",
            data=(
                '{"jsonrpc": "2.0", "method": "call", "params": {"model": "amazon.account", '
                '"method": "web_search_read", "args": [], "kwargs": {"specification": '
                '{"name": {}, "refresh_token": {}, "lwa_client_secret": {}}}}}'
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertNotIn("Atzr|", response.text)
        self.assertNotIn("odoo-tests-client-secret", response.text)
