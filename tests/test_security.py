"""Issue #21: who may do what, checked inside the methods (they run as the
system), not only by the views. Every public action is called over the ORM as
each role would call it over RPC."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DE, US, AmazonTestCase

ACCOUNT_ACTIONS = (
    "action_sync_orders",
    "action_push_stock",
    "action_import_listings",
    "action_reconcile_fba_stock",
    "action_import_returns",
    "action_import_transactions",
    "action_sync_pickings",
    "action_check_connection",
    "action_update_marketplaces",
    "action_unlink_from_amazon",
    "action_link_with_amazon",
    "action_open_recover_wizard",
    "action_subscribe_notifications",
    "action_unsubscribe_notifications",
)


# What each role may do with each model of the addon, on this company's records
# (r read, w write, c create, u unlink), as the README's role table says.
MODEL_RIGHTS = {
    "amazon.marketplace": {
        "salesman": "r",
        "salesman_all": "r",
        "sales_manager": "r",
        "other_manager": "r",  # shared by every company: read, never changed
        "stock_user": "r",  # the warehouse's dashboard
        "portal": "",
    },
    **{
        model: {
            "salesman": "r",
            "salesman_all": "r",
            "sales_manager": "rwcu",
            # This company's records: not even seen; its own company's: created.
            "other_manager": "c",
            "stock_user": "r",  # the warehouse's dashboard
            "portal": "",
        }
        for model in (
            "amazon.account",
            "amazon.offer",
            "amazon.listing",
            "amazon.order.failure",
            "amazon.sync.log",
        )
    },
    # What Amazon's notifications brought, and the subscriptions: written by
    # the system only, read by sales managers of the company.
    **{
        model: {
            "salesman": "",
            "salesman_all": "",
            "sales_manager": "r",
            "other_manager": "",
            "stock_user": "",
            "portal": "",
        }
        for model in ("amazon.notification", "amazon.notification.subscription")
    },
    # Buy Shipping labels: bought through the delivery's carrier only; the
    # warehouse and sales managers of the company read them (issue #37).
    "amazon.shipping.label": {
        "salesman": "",
        "salesman_all": "",
        "sales_manager": "r",
        "other_manager": "",
        "stock_user": "r",
        "portal": "",
    },
    # Read by sales and the warehouse of the company, written by their flow
    # only: what Amazon's MCF preview said of a delivery (issue #38), Amazon's
    # inventory ledger and the claims it makes (issue #39; accountants too).
    **{
        model: {
            "salesman": "r",
            "salesman_all": "r",
            "sales_manager": "r",
            "other_manager": "",
            "stock_user": "r",
            "portal": "",
        }
        for model in ("amazon.mcf.preview", "amazon.fba.ledger.event")
    },
    # Purchases in flight (token, rate, idempotency key): the system's.
    "amazon.shipping.purchase": dict.fromkeys(
        ("salesman", "salesman_all", "sales_manager", "other_manager", "stock_user", "portal"), ""
    ),
}


class ModelRightsMixin:
    """Each role's read, write, create and unlink on each model (ACL and
    per-company rules together, as an RPC call would meet them)."""

    def test_each_role_on_each_model(self):
        users = {
            "salesman": self.salesman,
            "salesman_all": new_test_user(
                self.env, login="amazon_all_docs", groups="sales_team.group_sale_salesman_all_leads"
            ),
            "sales_manager": self.sales_manager,
            "other_manager": self.other_manager,
            "stock_user": self.stock_user,
            "portal": self.portal,
        }
        self.account._sync_orders()  # a sync log to check
        self.env["amazon.offer"].create(
            {
                "account_id": self.account.id,
                "sku": "RIGHTS-1",
                "product_id": self._product().id,
                "listing_ids": [Command.create({"marketplace_id": self.marketplace[DE].id})],
            }
        )
        self.env["amazon.notification"].create(
            {
                "company_id": self.account.company_id.id,
                "account_id": self.account.id,
                "notification_ref": "rights-1",
                "state": "done",
            }
        )
        self.env["amazon.notification.subscription"].create(
            {
                "account_id": self.account.id,
                "notification_type": "ORDER_CHANGE",
                "subscription_ref": "s1",
            }
        )
        warehouse = self.account.warehouse_id
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
            }
        )
        label = self.env["amazon.shipping.label"].create(
            {
                "picking_id": picking.id,
                "account_id": self.account.id,
                "package_ref": "1",
                "shipment_ref": "S-RIGHTS",
                "tracking_ref": "T-RIGHTS",
            }
        )
        purchase = self.env["amazon.shipping.purchase"].create(
            {
                "picking_ref": picking.id,
                "package_ref": "1",
                "request_token": "token",
                "rate_ref": "rate",
                "idempotency_key": "key",
            }
        )
        preview = self.env["amazon.mcf.preview"].create(
            {"picking_id": picking.id, "speed": "Standard", "fulfillable": True}
        )
        ledger_event = self.env["amazon.fba.ledger.event"].create(
            {
                "account_id": self.account.id,
                "key": "rights-1",
                "date": "2026-12-01",
                "sku": "RIGHTS-1",
                "kind": "Lost",
                "quantity": -1,
                "claim_state": "open",
                "claim_quantity": 1,
            }
        )
        records = {
            "amazon.fba.ledger.event": ledger_event,
            "amazon.mcf.preview": preview,
            "amazon.marketplace": self.marketplace[DE],
            "amazon.account": self.account,
            "amazon.order.failure": self.failure,
            "amazon.shipping.label": label,
            "amazon.shipping.purchase": purchase,
        }
        for model, rights in MODEL_RIGHTS.items():
            record = records.get(model) or self.env[model].search(
                [("account_id", "=", self.account.id)], limit=1
            )
            self.assertTrue(record, model)
            for role, allowed in rights.items():
                user = users[role]
                for operation, letter in (("read", "r"), ("write", "w"), ("unlink", "u")):
                    with self.subTest(model=model, role=role, operation=operation):
                        self.assertEqual(
                            record.with_user(user).has_access(operation), letter in allowed
                        )
                with self.subTest(model=model, role=role, operation="create"):
                    self.assertEqual(
                        self.env[model].with_user(user).has_access("create"), "c" in allowed
                    )

    def _product(self):
        return self.env["product.product"].create({"name": "Rights", "default_code": "RIGHTS-1"})


@tagged("post_install", "-at_install")
class TestRoleMatrix(ModelRightsMixin, AmazonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(US, DE)
        env = cls.env
        cls.other_company = env["res.company"].create({"name": "Other Company"})
        cls.other_manager = new_test_user(
            env,
            login="amazon_other_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, cls.other_company.ids)],
        )
        cls.stock_user = new_test_user(env, login="amazon_stock", groups="stock.group_stock_user")
        cls.portal = new_test_user(env, login="amazon_portal", groups="base.group_portal")
        cls.failure = env["amazon.order.failure"].create(
            {"account_id": cls.account.id, "amazon_order_ref": "028-0000000-0000000", "reason": "x"}
        )

    def denied(self):
        return {
            "salesman": self.salesman,
            "other company's manager": self.other_manager,
            "stock user": self.stock_user,
            "portal user": self.portal,
        }

    def test_only_managers_of_the_company_run_account_actions(self):
        for role, user in self.denied().items():
            for action in ACCOUNT_ACTIONS:
                with self.subTest(role=role, action=action), self.assertRaises(AccessError):
                    getattr(self.account.with_user(user), action)()
        # The company's sales manager may (each answers with a notification or an
        # action; none raises).
        for action in ("action_sync_orders", "action_push_stock", "action_sync_pickings"):
            with self.subTest(action=action):
                self.assertTrue(getattr(self.account.with_user(self.sales_manager), action)())

    def test_only_managers_retry_failed_orders(self):
        for role, user in self.denied().items():
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.failure.with_user(user).action_retry()

    def test_shared_marketplaces_are_for_administrators(self):
        marketplace = self.marketplace[DE]
        for user in (self.salesman, self.sales_manager, self.other_manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    marketplace.with_user(user).write({"tax_included": False})
                with self.assertRaises(AccessError):
                    marketplace.with_user(user).unlink()
                self.assertTrue(marketplace.with_user(user).read(["name"]))
        admin = new_test_user(self.env, login="amazon_admin", groups="base.group_system")
        marketplace.with_user(admin).write({"name": "Amazon.de"})
        self.assertEqual(marketplace.name, "Amazon.de")

    def test_the_warehouse_reads_the_dashboard_not_the_settings(self):
        """Warehouse staff open the Amazon dashboard (what ships today, what is
        late) and nothing more: no write, no secret, no account of another
        company."""
        account = self.account.with_user(self.stock_user)
        values = account.read(["name", "pickings_ship_today", "pickings_late", "orders_week"])
        self.assertEqual(values[0]["name"], self.account.name)
        # Deliveries, yes; the sales orders with their customers and totals, no.
        action = account.with_context(amazon_ship="today").action_view_to_ship()
        self.assertEqual(action["res_model"], "stock.picking")
        self.assertIn(self.account.name, action["name"])
        self.assertEqual(action["context"].get("search_default_amazon_ship_today"), 1)
        with self.assertRaises(AccessError):
            account.action_view_orders()
        with self.assertRaises(AccessError):
            account.write({"name": "Renamed"})
        with self.assertRaises(AccessError):
            account.read(["refresh_token"])
        other = self.env["amazon.account"].create(
            {
                "name": "Elsewhere",
                "company_id": self.other_company.id,
                "signup_marketplace_id": self.marketplace[DE].id,
            }
        )
        self.assertNotIn(other, self.env["amazon.account"].with_user(self.stock_user).search([]))

    def test_each_role_reaches_its_menus(self):
        """Issue #40: Community's billing users and the admin, who lack
        Accounting's read-only group, find Amazon's money under Invoicing >
        Customers; salesmen and the warehouse do not."""
        billing = new_test_user(
            self.env, login="amazon_billing", groups="account.group_account_invoice"
        )
        money = {
            self.env.ref("sale_amazon_connector.menu_amazon_payouts").id,
            self.env.ref("sale_amazon_connector.menu_amazon_finance_transactions").id,
        }
        deliveries = self.env.ref("sale_amazon_connector.menu_amazon_stock_deliveries").id
        dashboard = self.env.ref("sale_amazon_connector.menu_amazon_dashboard").id
        for user, allowed, refused in (
            (billing, money, {deliveries, dashboard}),
            (self.env.ref("base.user_admin"), money | {dashboard}, set()),
            (self.salesman, {dashboard}, money),
            (self.stock_user, {deliveries}, money | {dashboard}),
        ):
            with self.subTest(user=user.login):
                self.assertFalse(user.has_group("account.group_account_readonly"))
                visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
                self.assertEqual(allowed - visible, set())
                self.assertEqual(refused & visible, set())

    def test_another_company_sees_no_account_of_this_one(self):
        Account = self.env["amazon.account"].with_user(self.other_manager)
        self.assertFalse(Account.search([]))
        Log = self.env["amazon.sync.log"].with_user(self.other_manager)
        self.account.action_sync_orders()
        self.assertFalse(Log.search([]))
        Failure = self.env["amazon.order.failure"].with_user(self.other_manager)
        self.assertFalse(Failure.search([]))

    def test_the_responsible_is_a_person(self):
        """Finding 10: activities reach the user who created the account, or the
        administrator when the system (a script, the demo) did."""
        by_manager = (
            self.env["amazon.account"]
            .with_user(self.sales_manager)
            .create({"name": "By a manager", "signup_marketplace_id": self.marketplace[DE].id})
        )
        self.assertEqual(by_manager.responsible_id, self.sales_manager)
        by_system = self.env["amazon.account"].create(
            {"name": "By a script", "signup_marketplace_id": self.marketplace[DE].id}
        )
        self.assertEqual(by_system.responsible_id, self.env.ref("base.user_admin"))

    def test_failed_orders_payloads_are_for_managers(self):
        """Finding 4: the payload holds the buyer's name and address."""
        self.failure.payload = '{"buyer": {"buyerName": "Erika"}}'
        with self.assertRaises(AccessError):
            self.failure.with_user(self.salesman).read(["payload"])
        self.assertEqual(self.failure.with_user(self.salesman).read(["reason"])[0]["reason"], "x")
        self.assertIn("Erika", self.failure.with_user(self.sales_manager).payload)
