from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestSkeleton(TransactionCase):
    """The addon is installed and its models, menus and access rules exist."""

    def test_models_registered(self):
        for model in ("amazon.account", "amazon.marketplace", "amazon.offer"):
            self.assertIn(model, self.env)

    def test_amazon_menu_under_sales_configuration(self):
        menu = self.env.ref("sale_amazon_connector.menu_amazon_root")
        self.assertEqual(menu.parent_id, self.env.ref("sale.menu_sale_config"))

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
