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
