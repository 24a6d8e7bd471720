"""Trust (issue #33): what a sales manager may not set, where the company's
credentials may go, and companies that never cross. Each case is tried as the
role that would abuse it, over JSON-RPC where that is the way in."""

import http.server
import json
import socketserver
import threading

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from ..models.amazon_account_adapter import TRUSTED_HOSTS_PARAM
from .common import CLIENT_SECRET, US, AmazonHttpCase, AmazonTestCase
from .test_orders import OrderSyncCase, ago


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A server that is not Amazon: it records what it is sent."""

    def log_message(self, *args):
        pass

    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.server.received.append((self.path, self.rfile.read(length)))
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _record


def start_recorder(host):
    server = socketserver.ThreadingTCPServer((host, 0), _Recorder)
    server.received = []
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@tagged("post_install", "-at_install")
class TestAdminOnlySettings(AmazonHttpCase):
    """Odoo 18 checks a field's groups on write, not on create: the account
    checks its endpoint, credential and link fields itself, on both."""

    def rpc(self, model, method, *args, route="call_kw", **kwargs):
        """call_kw (or call_button) as the web client sends it: (result, error
        message)."""
        response = self.url_open(
            f"/web/dataset/{route}/{model}/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
                }
            ),
            headers={"Content-Type": "application/json"},
        ).json()
        error = response.get("error")
        return response.get("result"), error and error["data"]["message"]

    def test_a_sales_manager_cannot_point_an_account_at_a_server_of_theirs(self):
        recorder = start_recorder("127.0.0.1")
        self.addCleanup(recorder.shutdown)
        attacker_url = f"http://127.0.0.1:{recorder.server_address[1]}"
        self.authenticate(self.sales_manager.login, self.sales_manager.login)
        base = {"name": "Mine", "signup_marketplace_id": self.marketplace[US].id}
        for hostile in (
            {"environment": "custom", "custom_api_url": attacker_url, "refresh_token": "Atzr|x"},
            {"environment": "sandbox"},
            {"custom_api_url": attacker_url},
            {"custom_token_url": f"{attacker_url}/token"},
            {"lwa_client_id": "mine", "lwa_client_secret": "mine"},
            {"refresh_token": "Atzr|chosen"},
            {"seller_ref": "A2SOMEONEELSE"},
            {"consent_nonce": "forged"},
            {"link_date": "2026-12-01 00:00:00"},
        ):
            result, error = self.rpc("amazon.account", "create", dict(base, **hostile))
            self.assertIsNone(result, hostile)
            self.assertIn("Only a settings administrator may set", error, hostile)
        self.assertFalse(self.env["amazon.account"].search([("name", "=", "Mine")]))
        # What a sales manager may do: a production account, linked through
        # Amazon's consent page later.
        created, error = self.rpc("amazon.account", "create", base)
        self.assertFalse(error)
        self.assertEqual(self.env["amazon.account"].browse(created).environment, "production")
        # Nor on write, and nor by copying an account an admin pointed elsewhere.
        for hostile in ({"environment": "custom"}, {"seller_ref": "A2SOMEONEELSE"}):
            _result, error = self.rpc("amazon.account", "write", [self.account.id], hostile)
            self.assertIn("Only a settings administrator may set", error)
        # (copy reads the admin-only fields first: refused there already)
        _result, error = self.rpc("amazon.account", "copy", [self.account.id])
        self.assertIn("administrator", error)
        self.assertEqual(self.account.environment, "custom")
        self.assertEqual(recorder.received, [], "nothing was ever sent to the attacker")

    def test_a_button_never_waits_long_for_amazons_rate_limit(self):
        """A tiny x-amzn-RateLimit-Limit once seen (here: 0.001 requests a second,
        the bucket spent) would have the button sleep for hours; it answers at
        once, and the cron goes on later."""
        self.sell_on(US)
        client_id = self.account._get_credentials()[1]
        key = self.account._rate_limit_key(client_id, self.account._get_endpoint())
        self.addCleanup(self.forget_rate_limits)
        with self.rate_limits_cursor() as cr:
            cr.execute(
                "INSERT INTO amazon_rate_limit (key, operation, rate, burst, tokens, stamp) "
                "VALUES (%s, 'searchOrders', 0.001, 20, -5, EXTRACT(EPOCH FROM clock_timestamp()))",
                (key,),
            )
        self.emulator.reset_calls()
        self.authenticate(self.sales_manager.login, self.sales_manager.login)
        action, error = self.rpc(
            "amazon.account", "action_sync_orders", [self.account.id], route="call_button"
        )
        self.assertFalse(error)
        self.assertIn("rate limit", action["params"]["message"])
        self.assertFalse(self.emulator.calls_for("searchOrders"))

    def test_an_admin_still_sets_them(self):
        self.authenticate("admin", "admin")
        created, error = self.rpc(
            "amazon.account",
            "create",
            {
                "name": "Emulator",
                "signup_marketplace_id": self.marketplace[US].id,
                "environment": "custom",
                "custom_api_url": self.emulator.url,
            },
        )
        self.assertFalse(error)
        self.assertEqual(
            self.env["amazon.account"].browse(created).sudo().custom_api_url, self.emulator.url
        )


@tagged("post_install", "-at_install")
class TestCredentialsStayWithAmazon(AmazonTestCase):
    def test_the_companys_secret_never_goes_to_an_unlisted_host(self):
        """An account pointed (before this release, or by a careless admin) at a
        server that is not on this machine: the company's LWA secret is not
        sent there until an admin lists the host or gives the account its own."""
        recorder = start_recorder("127.0.0.2")
        self.addCleanup(recorder.shutdown)
        self.account.custom_api_url = f"http://127.0.0.2:{recorder.server_address[1]}"
        account = self.account.with_user(self.sales_manager)
        with self.assertRaisesRegex(UserError, "127.0.0.2, which is not Amazon"):
            account.action_check_connection()
        self.assertEqual(recorder.received, [])
        self.env["ir.config_parameter"].set_param(TRUSTED_HOSTS_PARAM, "127.0.0.2")
        account.action_check_connection()  # Amazon's refusal, as a notification
        (path, body), *_ = recorder.received
        self.assertEqual(path, "/auth/o2/token")
        self.assertIn(CLIENT_SECRET.encode(), body, "an admin trusted that host")

    def test_an_account_with_its_own_credentials_goes_where_the_admin_said(self):
        recorder = start_recorder("127.0.0.2")
        self.addCleanup(recorder.shutdown)
        self.account.write(
            {
                "custom_api_url": f"http://127.0.0.2:{recorder.server_address[1]}",
                "lwa_client_id": "own-client",
                "lwa_client_secret": "own-secret",
            }
        )
        self.account.with_user(self.sales_manager).action_check_connection()
        self.assertIn(b"own-secret", recorder.received[0][1])


@tagged("post_install", "-at_install")
class TestCompaniesNeverCross(AmazonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company_a = env.company
        cls.company_b = env["res.company"].create({"name": "Seller B Ltd"})
        cls.manager_b = new_test_user(
            env,
            login="amazon_manager_b",
            groups="sales_team.group_sale_manager,stock.group_stock_user",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.account_b = (
            env["amazon.account"]
            .with_company(cls.company_b)
            .create(
                {
                    "name": "Seller B",
                    "company_id": cls.company_b.id,
                    "signup_marketplace_id": cls.marketplace[US].id,
                }
            )
        )
        cls.location_a = cls.account.location_id
        cls.warehouse_a = cls.account.warehouse_id

    def test_an_account_is_made_of_its_own_companys_records(self):
        self.assertEqual(self.account_b.warehouse_id.company_id, self.company_b)
        self.assertEqual(self.account_b.location_id.company_id, self.company_b)
        self.assertFalse(self.account_b.responsible_id, "the admin does not work for B")

    def test_a_manager_of_b_cannot_use_the_records_of_a(self):
        """Ids of A's records are easy to guess: B's manager writes them on B's
        account, which the flows would then use as the system."""
        journal_a = self.env["account.journal"].search(
            [("company_id", "=", self.company_a.id), ("type", "=", "sale")], limit=1
        )
        team_a = self.env["crm.team"].create({"name": "A's team", "company_id": self.company_a.id})
        user_a = new_test_user(self.env, login="salesman_of_a", company_id=self.company_a.id)
        account = self.account_b.with_user(self.manager_b)
        for field, record in (
            ("location_id", self.location_a),
            ("warehouse_id", self.warehouse_a),
            ("invoice_journal_id", journal_a),
            ("team_id", team_a),
            ("user_id", user_a),
        ):
            with self.subTest(field=field), self.assertRaises(UserError):
                account.write({field: record.id})
        self.assertEqual(self.account_b.location_id.company_id, self.company_b)
        offer = self.env["amazon.offer"].with_user(self.manager_b)
        product_a = self.env["product.product"].create(
            {"name": "A's own product", "company_id": self.company_a.id}
        )
        with self.assertRaises(UserError):
            offer.create({"account_id": self.account_b.id, "sku": "X", "product_id": product_a.id})

    def test_an_account_with_records_stays_in_its_company(self):
        self.env["amazon.offer"].create(
            {
                "account_id": self.account.id,
                "sku": "KEEP-1",
                "product_id": self.env["product.product"].create({"name": "Kept"}).id,
            }
        )
        with self.assertRaisesRegex(UserError, "cannot move to another company"):
            self.account.write({"company_id": self.company_b.id})
        self.assertEqual(self.account.company_id, self.company_a)

    def test_a_flow_refuses_to_run_on_another_companys_records(self):
        """Set before the company checks existed (straight in the database): the
        flow stops before it writes anything, and its log says why."""
        self.env.cr.execute(
            "UPDATE amazon_account SET location_id = %s WHERE id = %s",
            (self.location_a.id, self.account_b.id),
        )
        self.account_b.invalidate_recordset(["location_id"])
        quants = self.env["stock.quant"].search_count([("location_id", "=", self.location_a.id)])
        # Not assertRaises: it would roll the run's log back with the error.
        try:
            self.env["amazon.fba.inventory"]._run(self.account_b)
        except UserError:
            pass
        else:
            self.fail("the reconciliation ran on another company's location")
        log = self.account_b.sync_log_ids[:1]
        self.assertEqual(log.state, "failed")
        self.assertIn("Incompatible companies", log.error)
        self.assertEqual(
            self.env["stock.quant"].search_count([("location_id", "=", self.location_a.id)]),
            quants,
        )


@tagged("post_install", "-at_install")
class TestWhoSeesAmazonOrders(OrderSyncCase):
    def test_salesmen_of_their_own_documents_see_their_accounts_orders_only(self):
        """Odoo shows an order without salesperson to every salesman: imported
        orders take the account's salesperson, else its responsible."""
        self.account.user_id = self.sales_manager
        amazon = self.add_order(US)
        self.sync()
        sale = self.sale_of(amazon)
        self.assertEqual(sale.user_id, self.sales_manager)
        orders = self.env["sale.order"]
        self.assertFalse(orders.with_user(self.salesman).search([("id", "=", sale.id)]))
        self.assertTrue(orders.with_user(self.sales_manager).search([("id", "=", sale.id)]))
        self.account.write({"user_id": False, "responsible_id": self.sales_manager.id})
        again = self.add_order(US, created_time=ago(minutes=3))  # after the last sync
        self.sync()
        self.assertEqual(self.sale_of(again).user_id, self.sales_manager)
