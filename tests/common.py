"""Shared set-up of the Odoo tests: a running SP-API emulator and an account
pointing at it. Every response the emulator gave is checked against Amazon's
models at the end of the class (when the models are present)."""

import pathlib
from datetime import datetime, timezone

from odoo import sql_db
from odoo.tests import HttpCase, TransactionCase, new_test_user

from ..spapi.auth import TOKEN_CACHE
from ..spapi_emulator import Emulator
from ..spapi_emulator.conformance import ModelValidator, find_models_dir


def tz_where_it_is_noon():
    """An Etc/GMT zone where it is about noon now: "today" then has hours to
    go on either side, whenever the test runs (a test run at 00:10 UTC must
    not see an order of an hour ago as yesterday's)."""
    offset = 12 - datetime.now(timezone.utc).hour  # hours east of UTC, -11..12
    # Etc/GMT zones count the other way: Etc/GMT-3 is UTC+3.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


CLIENT_ID = "amzn1.application-oa2-client.odoo-tests"
CLIENT_SECRET = "odoo-tests-client-secret"
APP_ID = "amzn1.sp.solution.odoo-tests"
REFRESH_TOKEN = "Atzr|odoo-tests-refresh-token"
SELLER_ID = "A2ODOOTESTSELLER"
US, DE, UK, JP = "ATVPDKIKX0DER", "A1PA6795UKMFR9", "A1F83G8C2ARO7P", "A1VC38T7YXB528"

MODELS_DIR = find_models_dir(pathlib.Path(__file__).resolve().parent)
_VALIDATOR = []


def _validator():
    if MODELS_DIR is not None and not _VALIDATOR:
        _VALIDATOR.append(ModelValidator(MODELS_DIR))
    return _VALIDATOR[0] if _VALIDATOR else None


def queue_settings(queue_url):
    """The company's notifications queue settings for a queue of the tests'
    SQS server (spapi_emulator/sqs_server.py)."""
    from ..spapi_emulator.sqs_server import ACCESS_KEY, REGION, SECRET_KEY  # noqa: PLC0415

    return {
        "amazon_sqs_queue_url": queue_url,
        "amazon_sqs_region": REGION,
        "amazon_sqs_access_key": ACCESS_KEY,
        "amazon_sqs_secret_key": SECRET_KEY,
    }


class AmazonEmulatorMixin:
    """Starts an emulator with one seller on US, DE and UK, and an account
    ``cls.account`` linked to it (environment "custom")."""

    seller_marketplaces = (US, DE, UK)

    @classmethod
    def _setup_amazon(cls):
        cls.emulator = Emulator(speed=1000, models_dir=MODELS_DIR).start()
        # A new emulator is a new Amazon: tokens of an earlier one, cached by
        # its URL, would be refused if the port comes round again (a refresh
        # and retry the tests did not ask for).
        TOKEN_CACHE.clear()
        cls.addClassCleanup(cls._check_conformance)
        cls.addClassCleanup(cls.emulator.stop)
        store = cls.emulator.store
        store.add_app(CLIENT_ID, CLIENT_SECRET, app_id=APP_ID)
        store.add_seller(
            SELLER_ID,
            list(cls.seller_marketplaces),
            client_id=CLIENT_ID,
            refresh_token=REFRESH_TOKEN,
        )
        cls.env.company.write(
            {
                "amazon_app_ref": APP_ID,
                "amazon_lwa_client_id": CLIENT_ID,
                "amazon_lwa_client_secret": CLIENT_SECRET,
            }
        )
        cls.marketplace = {
            ref: cls.env["amazon.marketplace"].search([("api_ref", "=", ref)])
            for ref in (US, DE, UK, JP)
        }
        cls.account = cls.env["amazon.account"].create(
            {
                "name": "Emulated seller",
                "signup_marketplace_id": cls.marketplace[US].id,
                "environment": "custom",
                "custom_api_url": cls.emulator.url,
                "seller_ref": SELLER_ID,
                "refresh_token": REFRESH_TOKEN,
            }
        )

    @classmethod
    def sell_on(cls, *refs, **values):
        """The account synchronizes these marketplaces (and writes ``values``)."""
        markets = cls.env["amazon.marketplace"].union(*(cls.marketplace[ref] for ref in refs))
        cls.account.write(
            {
                "available_marketplace_ids": [(6, 0, markets.ids)],
                "marketplace_ids": [(6, 0, markets.ids)],
                **values,
            }
        )

    @classmethod
    def add_seller_account(cls, name, seller, token, marketplace=US):
        """Another seller of the app on the emulator, and its account in Odoo (a
        copy of ``cls.account``), linked and selling on ``marketplace``."""
        cls.emulator.store.add_seller(
            seller, [marketplace], client_id=CLIENT_ID, refresh_token=token
        )
        markets = cls.marketplace[marketplace].ids
        return cls.account.copy(
            {
                "name": name,
                "seller_ref": seller,
                "refresh_token": token,
                "link_date": "2026-12-01 00:00:00",
                "available_marketplace_ids": [(6, 0, markets)],
                "marketplace_ids": [(6, 0, markets)],
            }
        )

    @classmethod
    def seller_in_another_company(cls, company_name, seller, token, marketplace, **values):
        """(company, account, manager): a company of its own (in euros, with the
        app's credentials), another seller of the app on the emulator, its
        account there, linked and selling on ``marketplace`` (and ``values``),
        and a sales and stock manager of that company only."""
        env = cls.env
        company = env["res.company"].create(
            {"name": company_name, "currency_id": env.ref("base.EUR").id}
        )
        company.write(
            {
                field: env.company[field]
                for field in ("amazon_app_ref", "amazon_lwa_client_id", "amazon_lwa_client_secret")
            }
        )
        cls.emulator.store.add_seller(
            seller, [marketplace], client_id=CLIENT_ID, refresh_token=token
        )
        markets = cls.marketplace[marketplace].ids
        account = (
            env["amazon.account"]
            .with_company(company)
            .create(
                {
                    "name": company_name,
                    "company_id": company.id,
                    "signup_marketplace_id": markets[0],
                    "environment": "custom",
                    "custom_api_url": cls.emulator.url,
                    "seller_ref": seller,
                    "refresh_token": token,
                    "available_marketplace_ids": [(6, 0, markets)],
                    "marketplace_ids": [(6, 0, markets)],
                    **values,
                }
            )
        )
        manager = new_test_user(
            env,
            login=f"amazon_manager_{company.id}",
            groups="sales_team.group_sale_manager,stock.group_stock_user",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        return company, account, manager

    def forget_rate_limits(self):
        """Amazon's buckets are whole again (the emulator's reset): so are the
        connector's, which would otherwise remember a plan the test has undone.
        The connector writes them on cursors of their own that commit (as in
        production): so does this, never the test's transaction, which would
        hold their rows locked."""
        self.emulator.limiter.reset()
        with self.rate_limits_cursor() as cr:
            cr.execute("DELETE FROM amazon_rate_limit")

    def rate_limits_cursor(self):
        """A cursor outside the test's transaction, as the connector's throttle
        uses (committed on exit, never the test cursor, even in test mode)."""
        return sql_db.db_connect(self.env.cr.dbname).cursor()

    @classmethod
    def _check_conformance(cls):
        validator = _validator()
        if validator is None:
            return
        problems = validator.check(cls.emulator.calls)
        if problems:
            raise AssertionError(
                "emulator responses not conforming to Amazon's models: "
                + "; ".join(f"{c.method} {c.path}: {e[:2]}" for c, e in problems)
            )

    @classmethod
    def _make_users(cls):
        cls.salesman = new_test_user(
            cls.env, login="amazon_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.sales_manager = new_test_user(
            cls.env, login="amazon_sales_manager", groups="sales_team.group_sale_manager"
        )


class AmazonTestCase(AmazonEmulatorMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_amazon()
        cls._make_users()


class AmazonHttpCase(AmazonEmulatorMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_amazon()
        cls._make_users()


def buy_shipping_carrier(env):
    """A shipping method of type Amazon Buy Shipping whose default box is
    30 x 20 x 10 cm, parcels picked up at the company's Berlin address."""
    env.company.partner_id.write(
        {
            "street": "Lagerstr. 1",
            "city": "Berlin",
            "zip": "10115",
            "country_id": env.ref("base.de").id,
        }
    )
    box = env["stock.package.type"].create(
        {"name": "Box M", "packaging_length": 300, "width": 200, "height": 100}
    )
    return env["delivery.carrier"].create(
        {
            "name": "Amazon Buy Shipping",
            "delivery_type": "amazon",
            "product_id": env.ref("sale_amazon_connector.product_amazon_shipping").id,
            "amazon_package_type_id": box.id,
        }
    )
