import base64
import os
import pathlib
import unittest
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from odoo import sql_db
from odoo.tests import new_test_user, tagged
from odoo.tests.common import ChromeBrowser, _find_executable

from ..spapi_emulator import Address
from ..spapi_emulator.sqs_server import SqsOutlet, SqsServer, moto_server_path
from .common import (
    DE,
    SELLER_ID,
    US,
    AmazonHttpCase,
    buy_shipping_carrier,
    queue_settings,
    tz_where_it_is_noon,
)

ARTIFACTS = pathlib.Path(os.environ.get("SAC_TEST_ARTIFACTS", "/tmp"))


def _browser_missing():
    try:
        _find_executable()
    except Exception:
        return True
    return False


class MugSellerMixin:
    """What both tour classes start from: a mug in stock, the account selling
    on amazon.de, and Erika's FBM order of mugs in the emulator."""

    @classmethod
    def _setup_mug_seller(cls, account_name, quantity, **order_values):
        env = cls.env
        env.ref("base.EUR").active = True
        env["product.pricelist"].create(
            {"name": "Amazon EUR", "currency_id": env.ref("base.EUR").id}
        )
        mug = env["product.product"].create(
            {"name": "Mug", "default_code": "MUG-01", "is_storable": True}
        )
        env["stock.quant"]._update_available_quantity(
            mug, cls.account.warehouse_id.lot_stock_id, 10
        )
        cls.account.write(
            {
                "name": account_name,
                "available_marketplace_ids": [(6, 0, cls.marketplace[DE].ids)],
                "marketplace_ids": [(6, 0, cls.marketplace[DE].ids)],
            }
        )
        cls.amazon_order = cls.emulator.store.add_order(
            SELLER_ID,
            DE,
            [{"sku": "MUG-01", "title": "Mug", "quantity": quantity, "unit_price": "11.90"}],
            buyer_name="Erika Mustermann",
            buyer_email="erika@marketplace.amazon.example",
            address=Address(
                name="Erika Mustermann",
                address_line1="Hauptstr. 1",
                city="Berlin",
                postal_code="10115",
                country_code="DE",
            ),
            **order_values,
        )


@tagged("post_install", "-at_install")
@unittest.skipIf(
    _browser_missing(),
    "no Chromium here: install Debian's 'chromium' package to run the browser tour",
)
class TestAmazonTour(MugSellerMixin, AmazonHttpCase):
    """The product as a user sees it, in a real headless Chromium."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_mug_seller("Tour seller", 2)

    def _screenshot(self, url, name, ready):
        """Open ``url`` as admin and save what the browser shows."""
        original_stop = ChromeBrowser.stop

        def stop_after_screenshot(browser):
            try:
                data = browser._websocket_request("Page.captureScreenshot", params={})["data"]
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                (ARTIFACTS / name).write_bytes(base64.b64decode(data))
            finally:
                original_stop(browser)

        with patch.object(ChromeBrowser, "stop", stop_after_screenshot):
            self.browser_js(
                url,
                "setTimeout(() => console.log('test successful'), 1500)",
                ready=ready,
                login="admin",
            )

    def test_dashboard_to_shipment(self):
        self.start_tour(
            "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
            "sale_amazon_connector_tour",
            login="admin",
        )
        sale = self.env["sale.order"].search(
            [("amazon_order_ref", "=", self.amazon_order.order_id)]
        )
        self.assertEqual(sale.picking_ids.amazon_sync_state, "sent")
        self.assertEqual(self.amazon_order.status, "SHIPPED")
        self.assertEqual(self.amazon_order.packages[0].tracking_number, "1ZTOUR0001")
        self._screenshot(
            "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
            "dashboard.png",
            "!!document.querySelector('.o_kanban_record')",
        )
        # The dashboard's "Sales, 30 days": a click away, the account's graph.
        self._screenshot(
            "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
            "sales_graph.png",
            "(a => (a && !window.sacClicked && (window.sacClicked = true, a.click()),"
            " !!document.querySelector('.o_graph_renderer canvas')))"
            "(document.querySelector('.o_kanban_record a[name=action_view_sales_graph]'))",
        )
        self._screenshot(
            f"/odoo/action-sale.action_orders/{sale.id}",
            "amazon_order.png",
            "!!document.querySelector('.o_form_view .o_field_widget[name=order_line]')",
        )
        self._screenshot(
            "/odoo/action-sale.action_sale_config_settings",
            "settings.png",
            # Ready once the Amazon block is there, scrolled into view.
            "(e => !!e && (e.scrollIntoView({block: 'center'}), true))"
            "(document.querySelector('[name=amazon_stock_allocation]'))",
        )
        self.assertGreater((ARTIFACTS / "settings.png").stat().st_size, 1000)
        self.assertGreater((ARTIFACTS / "dashboard.png").stat().st_size, 1000)
        self.assertGreater((ARTIFACTS / "sales_graph.png").stat().st_size, 1000)
        self.assertGreater((ARTIFACTS / "amazon_order.png").stat().st_size, 1000)

    def test_listings_per_marketplace(self):
        """Import Listings, Push Stock, and the offer form showing each
        marketplace's listing: FBM on amazon.de gets the stock, FBA on
        amazon.com nothing (issue #15)."""
        markets = self.marketplace[US] | self.marketplace[DE]
        self.account.write(
            {
                "available_marketplace_ids": [(6, 0, markets.ids)],
                "marketplace_ids": [(6, 0, markets.ids)],
                "fbm_stock_sync": True,
            }
        )
        store = self.emulator.store
        listing = store.add_listing(
            SELLER_ID, "MUG-01", [US, DE], title="Mug", quantity=40, channels={US: "AMAZON_NA"}
        )
        self.addCleanup(store.listings.pop, (SELLER_ID, "MUG-01"), None)
        self.start_tour(
            "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
            "sale_amazon_connector_listings_tour",
            login="admin",
        )
        self.assertEqual((listing.offers[DE].channel, listing.offers[DE].quantity), ("DEFAULT", 10))
        self.assertEqual(
            (listing.offers[US].channel, listing.offers[US].quantity), ("AMAZON_NA", 40)
        )
        offer = self.env["amazon.offer"].search([("sku", "=", "MUG-01")])
        self._screenshot(
            f"/odoo/action-sale_amazon_connector.amazon_offer_action/{offer.id}",
            "amazon_offer.png",
            "!!document.querySelector('.o_field_widget[name=listing_ids] .o_data_row')",
        )
        self.assertGreater((ARTIFACTS / "amazon_offer.png").stat().st_size, 1000)


@tagged("post_install", "-at_install")
@unittest.skipIf(
    _browser_missing(),
    "no Chromium here: install Debian's 'chromium' package to run the browser tour",
)
class TestBuyShippingTour(MugSellerMixin, AmazonHttpCase):
    """A warehouse user (inventory rights only) buys an Amazon Buy Shipping
    label chosen by hand, in the browser (issue #37)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls._setup_mug_seller("Label seller", 1)
        env["product.product"].search([("default_code", "=", "MUG-01")]).weight = 0.4
        carrier = buy_shipping_carrier(env)
        cls.account.buy_shipping_rule = "cheapest"
        cls.account._sync_orders()
        sale = env["sale.order"].search([("amazon_order_ref", "=", cls.amazon_order.order_id)])
        cls.picking = sale.picking_ids
        cls.picking.carrier_id = carrier
        cls.packer = new_test_user(env, login="amazon_packer", groups="stock.group_stock_user")

    def _forget_purchases(self):
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(
                "DELETE FROM amazon_shipping_purchase WHERE picking_ref = %s", [self.picking.id]
            )

    def test_a_warehouse_user_chooses_and_buys_the_label(self):
        # The purchase in flight is committed on a cursor of its own; the
        # test's transaction, never committed, does not forget it.
        self.addCleanup(self._forget_purchases)
        self.assertFalse(self.packer.has_group("sales_team.group_sale_salesman"))
        self.start_tour(
            f"/odoo/action-stock.action_picking_tree_all/{self.picking.id}",
            "sale_amazon_connector_buy_shipping_tour",
            login=self.packer.login,
        )
        label = self.picking.amazon_label_ids
        self.assertEqual((self.picking.state, label.service_name), ("done", "DHL Paket"))
        self.assertEqual(self.amazon_order.status, "SHIPPED")
        self.assertEqual(self.amazon_order.packages[0].tracking_number, label.tracking_ref)


@tagged("post_install", "-at_install")
@unittest.skipIf(
    _browser_missing(),
    "no Chromium here: install Debian's 'chromium' package to run the browser tour",
)
class TestMcfTours(MugSellerMixin, AmazonHttpCase):
    """A webshop order Amazon ships from the FBA stock (issue #38): the
    salesman who confirmed it and the warehouse, each with their rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls._setup_mug_seller("MCF seller", 1)
        cls.account.mcf_marketplace_id = cls.marketplace[DE]
        cls.account.action_enable_mcf()
        mug = env["product.product"].search([("default_code", "=", "MUG-01")])
        mug.route_ids = cls.account.mcf_route_id
        env["amazon.offer"].create(
            {"account_id": cls.account.id, "sku": "MUG-01", "product_id": mug.id}
        )
        cls.emulator.store.set_fba_stock(SELLER_ID, DE, "MUG-01", fulfillable=10)
        customer = env["res.partner"].create(
            {
                "name": "Webshop Kunde",
                "street": "Hauptstr. 1",
                "city": "Berlin",
                "zip": "10115",
                "country_id": env.ref("base.de").id,
            }
        )
        cls.sale = (
            env["sale.order"]
            .with_user(cls.salesman)
            .create(
                {
                    "partner_id": customer.id,
                    "order_line": [(0, 0, {"product_id": mug.id, "product_uom_qty": 2})],
                }
            )
        )
        cls.sale.action_confirm()
        env["amazon.mcf.sync"]._run(cls.account.with_env(env))
        cls.picking = cls.sale.picking_ids
        cls.packer = new_test_user(env, login="amazon_mcf_packer", groups="stock.group_stock_user")

    def test_the_salesman_sees_amazons_promise_on_the_order(self):
        self.assertEqual(self.picking.amazon_mcf_state, "sent")
        self.start_tour(
            f"/odoo/action-sale.action_orders/{self.sale.id}",
            "sale_amazon_connector_mcf_salesman_tour",
            login=self.salesman.login,
        )

    def test_the_warehouse_follows_the_delivery_amazon_ships(self):
        self.start_tour(
            f"/odoo/action-stock.action_picking_tree_all/{self.picking.id}",
            "sale_amazon_connector_mcf_warehouse_tour",
            login=self.packer.login,
        )
        self.assertEqual(len(self.emulator.calls_for("getFulfillmentPreview")), 2)


@tagged("post_install", "-at_install")
@unittest.skipIf(
    _browser_missing(),
    "no Chromium here: install Debian's 'chromium' package to run the browser tour",
)
class TestAmazonRoleTours(MugSellerMixin, AmazonHttpCase):
    """The seller's day as each role lives it, in the browser, with that
    role's rights only: a salesman and a warehouse user (issue #16)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse_user = new_test_user(
            cls.env, login="amazon_warehouse", groups="stock.group_stock_user"
        )
        (cls.salesman | cls.warehouse_user).tz = tz_where_it_is_noon()
        # The salesman sells for this account: its orders are theirs (a salesman
        # of their own documents sees no other account's orders, issue #33).
        cls.account.user_id = cls.salesman
        now = datetime.now(timezone.utc)
        cls._setup_mug_seller(
            "Role seller",
            1,
            created_time=now - timedelta(hours=2),
            ship_by=(now - timedelta(hours=2), now + timedelta(hours=3)),
        )
        cls.account._sync_orders()
        cls.sale = cls.env["sale.order"].search(
            [("amazon_order_ref", "=", cls.amazon_order.order_id)]
        )

    def test_a_salesman_sees_what_ships_today_and_the_offers(self):
        self.assertFalse(self.salesman.has_group("stock.group_stock_user"))
        self.start_tour(
            "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
            "sale_amazon_connector_salesman_tour",
            login=self.salesman.login,
        )

    def test_a_salesman_cancels_an_order_on_amazon(self):
        # The emulator lives as long as the class: its order is given back
        # unshipped and uncancelled for the other tours.
        order = self.amazon_order
        self.addCleanup(setattr, order, "status", order.status)
        for item in order.items:
            self.addCleanup(setattr, item, "cancelled_by", item.cancelled_by)
            self.addCleanup(setattr, item, "cancel_reason", item.cancel_reason)
        self.start_tour(
            f"/odoo/action-sale.action_orders/{self.sale.id}",
            "sale_amazon_connector_cancel_tour",
            login=self.salesman.login,
        )
        self.assertEqual(self.sale.state, "cancel")
        cancellation = self.sale.amazon_cancellation_ids
        self.assertEqual(
            (cancellation.state, cancellation.reason), ("to_send", "ShippingAddressUndeliverable")
        )
        self.env["amazon.cancellation.export"]._run(self.account)
        self.env["amazon.cancellation.export"]._run(self.account)
        self.assertEqual(cancellation.state, "done")
        self.assertEqual(self.amazon_order.status, "CANCELLED")

    def test_a_warehouse_user_ships_and_confirms_to_amazon(self):
        self.assertFalse(self.warehouse_user.has_group("sales_team.group_sale_salesman"))
        self.start_tour(
            "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
            "sale_amazon_connector_warehouse_tour",
            login=self.warehouse_user.login,
        )
        picking = self.sale.picking_ids
        self.assertEqual((picking.state, picking.amazon_sync_state), ("done", "sent"))
        self.assertEqual(self.amazon_order.status, "SHIPPED")
        self.assertEqual(self.amazon_order.packages[0].tracking_number, "1ZROLE0001")

    def test_an_accountant_follows_a_payout_to_the_refunds_credit_note(self):
        """Erika's order invoiced, refunded, paid out: the accountant finds the
        payout booked, its transactions, and the refund's credit note (#18)."""
        self.account.invoice_fbm = True
        delivery = self.sale.picking_ids
        delivery.carrier_tracking_ref = "1ZPAYOUT01"
        delivery.move_ids.quantity = 1
        delivery.move_ids.picked = True
        delivery.button_validate()
        self.env["amazon.invoicing"]._invoice(self.account)
        store = self.emulator.store
        now = datetime.now(timezone.utc)
        store.add_event_group(
            SELLER_ID,
            "FEG-TOUR",
            "EUR",
            now - timedelta(days=5),
            processing_status="Closed",
            transfer_date=now - timedelta(hours=1),
            trace_id="TRACE-TOUR",
        )
        self.addCleanup(store.event_groups.clear)
        self.addCleanup(store.transactions.clear)
        order_id = self.amazon_order.order_id
        mug = [{"sku": "MUG-01", "quantity": 1, "breakdowns": [("ProductCharges", "11.90")]}]
        store.add_transaction(
            SELLER_ID,
            DE,
            "Shipment",
            order_id=order_id,
            group_id="FEG-TOUR",
            posted=now - timedelta(days=2),
            items=mug,
            breakdowns=[("Commission", "-1.79")],
        )
        mug = [{"sku": "MUG-01", "quantity": 1, "breakdowns": [("ProductCharges", "-5.95")]}]
        store.add_transaction(
            SELLER_ID,
            DE,
            "Refund",
            order_id=order_id,
            group_id="FEG-TOUR",
            refund_id="R-T",
            posted=now - timedelta(days=1),
            items=mug,
        )
        self.env["amazon.finance.import"]._run(self.account)
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-TOUR")])
        self.assertEqual(payout.state, "booked")
        # Community's billing role: no Accounting read-only group (issue #40).
        accountant = new_test_user(
            self.env, login="amazon_accountant_tour", groups="account.group_account_invoice"
        )
        self.assertFalse(accountant.has_group("account.group_account_readonly"))
        self.start_tour(
            "/odoo",
            "sale_amazon_connector_accountant_tour",
            login=accountant.login,
        )

    def test_an_accountant_sees_amazons_refusal_on_the_invoice_and_uploads_it_again(self):
        """Erika's invoice refused by Amazon (#18): a billing user opens it,
        reads why, and sends it again."""
        self.account.write({"invoice_fbm": True, "upload_invoices": True})
        delivery = self.sale.picking_ids
        delivery.carrier_tracking_ref = "1ZUPLOAD01"
        delivery.move_ids.quantity = delivery.move_ids.product_uom_qty
        delivery.move_ids.picked = True
        delivery.button_validate()
        self.env["amazon.invoicing"]._invoice(self.account)
        invoice = self.sale.invoice_ids
        self.assertEqual(invoice.amazon_upload_state, "to_upload")
        # Amazon's total is not Odoo's: Amazon refuses the invoice.
        item = self.amazon_order.items[0]
        self.addCleanup(setattr, item, "unit_price", item.unit_price)
        item.unit_price += 1
        self.addCleanup(self.emulator.store.vat_invoices.clear)
        upload = self.env["amazon.invoice.upload"]
        upload._upload(self.account)
        upload._upload(self.account)
        self.assertEqual(invoice.amazon_upload_state, "error")
        billing = new_test_user(
            self.env, login="amazon_billing_tour", groups="account.group_account_invoice"
        )
        self.start_tour(
            f"/odoo/account.move/{invoice.id}",
            "sale_amazon_connector_invoice_upload_tour",
            login=billing.login,
        )
        self.assertEqual(invoice.amazon_upload_state, "to_upload")


@tagged("post_install", "-at_install")
@unittest.skipIf(_browser_missing(), "Chromium is not installed")
@unittest.skipIf(moto_server_path() is None, "moto_server not installed (scripts/test.sh does)")
class TestNotificationTours(AmazonHttpCase):
    """Orders in seconds, as a sales manager sets it up and sees it (#36)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sqs = SqsServer().start()
        cls.addClassCleanup(cls.sqs.stop)
        cls.emulator.store.outlet = SqsOutlet(cls.sqs.url)
        url, _arn = cls.sqs.create_queue("tour")
        cls.env.company.write(queue_settings(url))
        eur = cls.env.ref("base.EUR")
        eur.active = True
        cls.env["product.pricelist"].create({"name": "Amazon EUR", "currency_id": eur.id})
        cls.account.write(
            {
                "marketplace_ids": [(6, 0, cls.marketplace[DE].ids)],
                "available_marketplace_ids": [(6, 0, cls.marketplace[DE].ids)],
            }
        )

    def test_a_sales_manager_subscribes_and_orders_arrive_in_seconds(self):
        self.start_tour(
            f"/odoo/action-sale_amazon_connector.amazon_account_action/{self.account.id}",
            "sale_amazon_connector_subscribe_tour",
            login=self.sales_manager.login,
        )
        self.assertEqual(
            self.account.notification_subscription_ids.mapped("notification_type"),
            ["ORDER_CHANGE"],
        )
        order = self.emulator.store.add_order(
            SELLER_ID, DE, [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "9"}]
        )
        consumer = self.env["amazon.notification.consumer"]
        consumer._consume(self.env.company, 30, wait_seconds=1, until_empty=True)
        sale = self.env["sale.order"].search([("amazon_order_ref", "=", order.order_id)])
        self.assertEqual(sale.state, "sale", self.env["amazon.order.failure"].search([]).reason)
        self.start_tour(
            "/odoo/action-sale_amazon_connector.amazon_dashboard_action",
            "sale_amazon_connector_notified_dashboard_tour",
            login=self.sales_manager.login,
        )


@tagged("post_install", "-at_install")
@unittest.skipIf(
    _browser_missing(),
    "no Chromium here: install Debian's 'chromium' package to run the browser tour",
)
class TestFbaLedgerTour(AmazonHttpCase):
    """An FBA reconciliation explained by Amazon's ledger (issue #39), as a
    user with inventory rights only reads it, and the claims it makes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["ir.config_parameter"].set_param("sale_amazon_connector.fba_ledger_settle_hours", 0)
        cls.account.write(
            {
                "available_marketplace_ids": [(6, 0, cls.marketplace[DE].ids)],
                "marketplace_ids": [(6, 0, cls.marketplace[DE].ids)],
            }
        )
        tee = env["product.product"].create({"name": "T-shirt", "is_storable": True})
        env["amazon.offer"].create(
            {"account_id": cls.account.id, "sku": "TEE-M", "product_id": tee.id}
        )
        store = cls.emulator.store
        store.set_fba_stock(SELLER_ID, DE, "TEE-M", fulfillable=5)
        Fba = env["amazon.fba.inventory"]
        Fba._run(cls.account).extra["reconciliation"].date -= timedelta(hours=1)
        store.fba_event(
            SELLER_ID,
            DE,
            "TEE-M",
            "Adjustments",
            -1,
            reason="E",
            reference_id="TXN-DMG",
            moment=datetime.now(timezone.utc) - timedelta(minutes=30),
        )
        cls.reconciliation = Fba._run(cls.account).extra["reconciliation"]
        Fba._run(cls.account)  # reads the ledger Amazon wrote
        cls.keeper = new_test_user(env, login="amazon_fba_keeper", groups="stock.group_stock_user")

    def test_the_warehouse_reads_the_drift_explained_and_the_claims(self):
        self.assertEqual(self.reconciliation.ledger_state, "explained")
        self.start_tour(
            "/odoo/action-sale_amazon_connector.amazon_fba_reconciliation_action/"
            f"{self.reconciliation.id}",
            "sale_amazon_connector_fba_ledger_tour",
            login=self.keeper.login,
        )
        self.start_tour(
            "/odoo/action-sale_amazon_connector.amazon_fba_claim_action",
            "sale_amazon_connector_fba_claims_tour",
            login=self.keeper.login,
        )
