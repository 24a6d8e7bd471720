from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval


@tagged("post_install", "-at_install")
class TestSkeleton(TransactionCase):
    """The addon is installed and its models, menus and access rules exist."""

    def test_models_registered(self):
        for model in ("amazon.account", "amazon.marketplace", "amazon.offer"):
            self.assertIn(model, self.env)

    def test_amazon_menus_where_people_work(self):
        """Sales > Amazon for sales staff, Inventory > Operations > Amazon
        Deliveries for the warehouse; only the set-up under Configuration."""
        ref = self.env.ref
        self.assertEqual(
            ref("sale_amazon_connector.menu_amazon_root").parent_id, ref("sale.menu_sale_config")
        )
        self.assertEqual(
            ref("sale_amazon_connector.menu_amazon_sales").parent_id, ref("sale.sale_menu_root")
        )
        salesman = new_test_user(
            self.env, login="menu_sales", groups="sales_team.group_sale_salesman"
        )
        packer = new_test_user(self.env, login="menu_stock", groups="stock.group_stock_user")

        def visible(user, xmlid):
            menu = ref(f"sale_amazon_connector.{xmlid}")
            return bool(self.env["ir.ui.menu"].with_user(user).search([("id", "=", menu.id)]))

        for xmlid in ("menu_amazon_dashboard", "menu_amazon_orders", "menu_amazon_offer"):
            self.assertTrue(visible(salesman, xmlid), xmlid)
            self.assertFalse(visible(packer, xmlid), xmlid)
        for xmlid in ("menu_amazon_stock_dashboard", "menu_amazon_stock_deliveries"):
            self.assertTrue(visible(packer, xmlid), xmlid)
            self.assertFalse(visible(salesman, xmlid), xmlid)
        # The deliveries' list opens for the warehouse, and shows Amazon's only.
        action = ref("sale_amazon_connector.amazon_picking_action")
        self.env["stock.picking"].with_user(packer).search(safe_eval(action.domain), limit=1)

    def test_salesman_reads_accounts_but_cannot_write(self):
        salesman = self.env["res.users"].create(
            {
                "name": "Sam Salesman",
                "login": "sam.salesman",
                "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        account = self.env["amazon.account"].create(
            {
                "name": "EU account",
                "signup_marketplace_id": self.env.ref("sale_amazon_connector.marketplace_de").id,
            }
        )
        self.assertEqual(account.with_user(salesman).read(["name"])[0]["name"], "EU account")
        self.assertFalse(self.env["amazon.account"].with_user(salesman).has_access("write"))

    def test_the_keys_the_sync_searches_by_are_indexed(self):
        """Each page of an import searches by these columns (BENCHMARKS.md): an
        index on each keeps the import's cost flat as the tables grow."""
        self.env.cr.execute(
            "SELECT tablename, indexdef FROM pg_indexes"
            " WHERE tablename IN ('res_partner', 'sale_order', 'amazon_offer', 'product_product')"
        )
        indexes = self.env.cr.fetchall()

        def indexed(table, columns):
            return any(
                name == table and f"({columns})" in definition for name, definition in indexes
            )

        for table, columns in (
            ("res_partner", "email"),
            ("res_partner", "parent_id"),
            ("sale_order", "amazon_account_id, amazon_order_ref"),
            ("amazon_offer", "account_id, sku"),
            ("product_product", "default_code"),
        ):
            self.assertTrue(indexed(table, columns), f"{table}({columns}) has no index")

    def test_settings_show_the_default_products_in_use(self):
        """The shipped default products are the companies' own, so Settings
        shows what the import uses, for existing and new companies."""
        ref = self.env.ref
        shipped = {
            kind: ref(f"sale_amazon_connector.product_amazon_{kind}")
            for kind in ("sale", "shipping", "giftwrap", "promotion")
        }
        new = self.env["res.company"].create({"name": "New shop"})
        for company in (self.env.company, new):
            for kind, product in shipped.items():
                self.assertEqual(company[f"amazon_{kind}_product_id"], product, kind)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.amazon_sale_product_id, shipped["sale"])
