from datetime import timedelta

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CLIENT_ID, DE, JP, REFRESH_TOKEN, SELLER_ID, UK, US, AmazonTestCase

SECRETS = ("lwa_client_secret", "refresh_token", "lwa_client_id", "app_ref", "consent_nonce")


@tagged("post_install", "-at_install")
class TestMarketplaceData(AmazonTestCase):
    def test_marketplace_data_set(self):
        marketplaces = self.env["amazon.marketplace"].search([])
        by_ref = {m.api_ref: m for m in marketplaces}
        documented = {
            "A2EUQ1WTGCTBG2": ("Amazon.ca", "na", "CAD", "CA"),
            "A1AM78C64UM0Y8": ("Amazon.com.mx", "na", "MXN", "MX"),
            "ATVPDKIKX0DER": ("Amazon.com", "na", "USD", "US"),
            "A1PA6795UKMFR9": ("Amazon.de", "eu", "EUR", "DE"),
            "A1RKKUPIHCS9HS": ("Amazon.es", "eu", "EUR", "ES"),
            "A13V1IB3VIYZZH": ("Amazon.fr", "eu", "EUR", "FR"),
            "A1F83G8C2ARO7P": ("Amazon.co.uk", "eu", "GBP", "GB"),
            "APJ6JRA9NG5V4": ("Amazon.it", "eu", "EUR", "IT"),
            "A1805IZSGTT6HS": ("Amazon.nl", "eu", "EUR", "NL"),
        }
        for ref, (name, region, currency, country) in documented.items():
            marketplace = by_ref[ref]
            self.assertEqual(
                (
                    marketplace.name,
                    marketplace.region,
                    marketplace.currency_id.name,
                    marketplace.country_id.code,
                ),
                (name, region, currency, country),
            )
        others = {"BR", "SE", "PL", "BE", "IE", "TR", "AE", "SA", "EG", "IN", "JP", "AU", "SG"}
        self.assertLessEqual(others, set(marketplaces.mapped("country_id.code")))
        self.assertGreaterEqual(len(marketplaces), 22)
        self.assertTrue(all(m.seller_central_url.startswith("https://") for m in marketplaces))
        self.assertFalse(by_ref[US].tax_included)
        self.assertTrue(by_ref[DE].tax_included)

    def test_api_identifier_is_unique(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.env["amazon.marketplace"].create(
                {
                    "name": "Copy",
                    "api_ref": US,
                    "region": "na",
                    "currency_id": self.env.ref("base.USD").id,
                }
            )


@tagged("post_install", "-at_install")
class TestAccount(AmazonTestCase):
    def test_new_account_defaults(self):
        account = self.env["amazon.account"].create(
            {"name": "Fresh", "signup_marketplace_id": self.marketplace[DE].id}
        )
        self.assertEqual(account.region, "eu")
        self.assertEqual(account.link_state, "not_linked")
        self.assertEqual(account.team_id, self.env.ref("sale_amazon_connector.crm_team_amazon"))
        self.assertEqual(account.location_id.name, "Amazon")
        self.assertEqual(account.location_id, self.env.company.amazon_fba_location_id)
        self.assertEqual(account.location_id.usage, "internal")
        self.assertTrue(account.warehouse_id)
        # One Amazon location per company, shared by its accounts.
        other = account.copy({"name": "Fresh 2"})
        self.assertEqual(other.location_id, account.location_id)
        self.assertFalse(other.sudo().refresh_token)

    def test_default_products_come_from_data_or_settings(self):
        company = self.env.company
        self.assertEqual(
            company._amazon_get_default_product("shipping"),
            self.env.ref("sale_amazon_connector.product_amazon_shipping"),
        )
        product = self.env["product.product"].create({"name": "Express", "type": "service"})
        settings = self.env["res.config.settings"].create(
            {"amazon_shipping_product_id": product.id}
        )
        settings.execute()
        self.assertEqual(company._amazon_get_default_product("shipping"), product)

    def test_pasted_token_sets_the_link_date(self):
        account = self.env["amazon.account"].create(
            {"name": "Private app", "signup_marketplace_id": self.marketplace[US].id}
        )
        account.refresh_token = "Atzr|typed"
        self.assertEqual(account.link_state, "linked")
        self.assertTrue(account.link_date)

    def test_token_wizard_checks_the_token_before_saving(self):
        account = self.env["amazon.account"].create(
            {
                "name": "Private app",
                "signup_marketplace_id": self.marketplace[US].id,
                "environment": "custom",
                "custom_api_url": self.emulator.url,
            }
        )
        wizard = self.env["amazon.token.wizard"].create(
            {"account_id": account.id, "refresh_token": "Atzr|wrong"}
        )
        with self.assertRaisesRegex(UserError, "refused the credentials"):
            wizard.action_confirm()
        self.assertFalse(account.sudo().refresh_token)
        wizard = self.env["amazon.token.wizard"].create(
            {"account_id": account.id, "refresh_token": f" {REFRESH_TOKEN} ", "seller_ref": "S1"}
        )
        wizard.action_confirm()
        self.assertEqual(account.sudo().refresh_token, REFRESH_TOKEN)
        self.assertEqual(account.seller_ref, "S1")
        self.assertEqual(account.link_state, "linked")
        self.assertEqual(set(account.available_marketplace_ids.mapped("api_ref")), {US, DE, UK})

    def test_check_connection_success(self):
        before = len(self.emulator.calls_for("getMarketplaceParticipations"))
        action = self.account.action_check_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("3 marketplace", action["params"]["message"])
        self.assertEqual(len(self.emulator.calls_for("getMarketplaceParticipations")), before + 1)

    def test_check_connection_bad_credentials(self):
        self.account.lwa_client_secret = "not-the-secret"
        action = self.account.action_check_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("refused the credentials", action["params"]["message"])
        self.assertNotIn("not-the-secret", action["params"]["message"])

    def test_check_connection_revoked_token(self):
        self.emulator.store.revoke(REFRESH_TOKEN)
        self.addCleanup(self.emulator.store.authorize, CLIENT_ID, SELLER_ID, REFRESH_TOKEN)
        action = self.account.action_check_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("refused the credentials", action["params"]["message"])
        self.assertIn("invalid grant", action["params"]["message"])

    def test_check_connection_network(self):
        self.account.custom_api_url = "http://127.0.0.1:9"  # nothing listens there
        action = self.account.action_check_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("could not be reached", action["params"]["message"])

    def test_check_connection_marketplace_without_access(self):
        jp = self.marketplace[JP]
        self.account.write(
            {
                "available_marketplace_ids": [(6, 0, (self.marketplace[US] | jp).ids)],
                "marketplace_ids": [(6, 0, (self.marketplace[US] | jp).ids)],
            }
        )
        action = self.account.action_check_connection()
        self.assertEqual(action["params"]["type"], "warning")
        self.assertIn("Amazon.co.jp", action["params"]["message"])

    def test_update_available_marketplaces(self):
        jp = self.marketplace[JP]
        self.account.write(
            {
                "available_marketplace_ids": [(6, 0, (self.marketplace[US] | jp).ids)],
                "marketplace_ids": [(6, 0, (self.marketplace[US] | jp).ids)],
            }
        )
        self.account.action_update_marketplaces()
        self.assertEqual(
            set(self.account.available_marketplace_ids.mapped("api_ref")), {US, DE, UK}
        )
        # JP is gone on Amazon: it stops being synchronized; US stays.
        self.assertEqual(self.account.marketplace_ids, self.marketplace[US])

    def test_update_creates_a_marketplace_amazon_just_opened(self):
        netherlands = self.env["amazon.marketplace"].search([("api_ref", "=", "A1805IZSGTT6HS")])
        netherlands.unlink()
        self.emulator.store.sellers[SELLER_ID].marketplace_ids.append("A1805IZSGTT6HS")
        self.addCleanup(
            self.emulator.store.sellers[SELLER_ID].marketplace_ids.remove, "A1805IZSGTT6HS"
        )
        self.account.action_update_marketplaces()
        created = self.env["amazon.marketplace"].search([("api_ref", "=", "A1805IZSGTT6HS")])
        self.assertEqual(
            (created.name, created.domain, created.currency_id.name, created.country_id.code),
            ("Amazon.nl", "amazon.nl", "EUR", "NL"),
        )
        self.assertIn(created, self.account.available_marketplace_ids)

    def test_synchronized_marketplaces_must_be_available(self):
        with self.assertRaises(ValidationError):
            self.account.marketplace_ids = [(6, 0, self.marketplace[JP].ids)]

    def test_missing_credentials_are_explained(self):
        account = self.env["amazon.account"].create(
            {"name": "Unlinked", "signup_marketplace_id": self.marketplace[US].id}
        )
        with self.assertRaisesRegex(UserError, "not linked"):
            account.action_check_connection()
        self.env.company.amazon_lwa_client_secret = False
        with self.assertRaisesRegex(UserError, "client id and secret"):
            self.account.action_check_connection()

    def test_reauthorization_reminder_once_a_month_before(self):
        cron = self.env["amazon.account"]._cron_remind_reauthorization
        self.account.link_date = fields.Datetime.now() - timedelta(days=100)
        cron()
        self.assertFalse(self.account.activity_ids)
        self.account.link_date = fields.Datetime.now() - timedelta(days=340)
        self.assertEqual(self.account.link_state, "expiring")
        cron()
        cron()
        self.assertEqual(len(self.account.activity_ids), 1)
        activity = self.account.activity_ids
        self.assertEqual(activity.user_id, self.account.responsible_id)
        self.assertEqual(activity.date_deadline, self.account.reauthorization_date)


@tagged("post_install", "-at_install")
class TestAccountSecurity(AmazonTestCase):
    def test_secrets_hidden_from_sales_staff(self):
        for user in (self.salesman, self.sales_manager):
            account = self.account.with_user(user)
            values = account.read()[0]
            self.assertEqual(values["name"], "Emulated seller")
            for field in SECRETS:
                self.assertNotIn(field, values)
                with self.assertRaises(AccessError):
                    account.read([field])
                with self.assertRaises(AccessError):
                    account.search_read([], [field])
            self.assertFalse(set(SECRETS) & set(account.fields_get()))
            self.assertNotIn(REFRESH_TOKEN, str(account.web_read({"name": {}})))

    def test_salesman_reads_but_cannot_write(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.salesman).write({"name": "Renamed"})
        self.account.with_user(self.sales_manager).write({"name": "Renamed"})

    def test_secrets_never_reach_the_chatter(self):
        self.account.write({"lwa_client_secret": "new-secret", "refresh_token": "Atzr|new"})
        self.account.action_check_connection()
        bodies = " ".join(self.account.message_ids.mapped("body")) + " ".join(
            self.account.message_ids.tracking_value_ids.mapped("new_value_char")
        )
        self.assertNotIn("new-secret", bodies)
        self.assertNotIn("Atzr|new", bodies)

    def test_multi_company_isolation(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        other_account = self.env["amazon.account"].create(
            {
                "name": "Other company's account",
                "company_id": other_company.id,
                "signup_marketplace_id": self.marketplace[DE].id,
            }
        )
        self.assertNotEqual(other_account.location_id, self.account.location_id)
        self.assertEqual(other_account.location_id.company_id, other_company)
        accounts = self.env["amazon.account"].with_user(self.sales_manager).search([])
        self.assertIn(self.account, accounts)
        self.assertNotIn(other_account, accounts)
        with self.assertRaises(AccessError):
            other_account.with_user(self.sales_manager).read(["name"])
        offer = self.env["amazon.offer"].create(
            {
                "account_id": other_account.id,
                "sku": "OTHER-1",
                "product_id": self.env["product.product"].create({"name": "P"}).id,
            }
        )
        self.assertFalse(
            self.env["amazon.offer"].with_user(self.sales_manager).search([("id", "=", offer.id)])
        )
