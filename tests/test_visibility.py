import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from ..spapi import SpApiThrottledError
from .common import DE, tz_where_it_is_noon
from .test_orders import OrderSyncCase, ago, erika_address


@tagged("post_install", "-at_install")
class TestSyncVisibility(OrderSyncCase):
    def logs(self, kind):
        return self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", kind)]
        )

    def test_each_run_is_logged_with_counts_and_api_calls(self):
        self.add_order(DE)
        self.add_order(DE, created_time=ago(minutes=40))
        self.sync()
        log = self.logs("orders")
        self.assertEqual(len(log), 1)
        self.assertEqual((log.state, log.fetched, log.created, log.failed), ("done", 2, 2, 0))
        calls = json.loads(log.api_calls)
        self.assertEqual(calls["searchOrders"], 1)
        self.assertEqual(log.api_call_count, sum(calls.values()))
        self.assertTrue(log.end >= log.start)

    def test_a_failed_run_is_logged_with_its_error(self):
        self.emulator.faults.add("searchOrders", "throttle", count=5)
        self.sync_expecting(SpApiThrottledError, max_throttle_retries=1)
        log = self.logs("orders")
        self.assertEqual(log.state, "failed")
        self.assertIn("quota", log.error.lower())
        self.assertEqual(log.throttled_count, 2)

    def test_old_logs_are_cleaned(self):
        self.sync()
        old = self.logs("orders")
        old.start = fields.Datetime.now() - timedelta(days=40)
        self.sync()
        self.env["ir.config_parameter"].set_param("sale_amazon_connector.log_retention_days", 30)
        self.env["amazon.sync.log"]._gc_old_logs()
        self.assertFalse(old.exists())
        self.assertEqual(len(self.logs("orders")), 1)

    def test_dashboard_figures(self):
        self.add_order(DE)
        self.sync()
        # Where it is noon: the order of an hour ago is today's at any hour of the run.
        account = self.account.with_context(tz=tz_where_it_is_noon())
        account.invalidate_recordset()
        self.assertEqual((account.orders_today, account.orders_week), (1, 1))
        self.assertTrue(account.last_orders_success)
        self.assertFalse(account.last_stock_success)
        sale = self.env["sale.order"].search([("amazon_account_id", "=", account.id)])
        sale.picking_ids.write({"amazon_sync_state": "failed"})
        self.env["amazon.listing"].create(
            {
                "offer_id": self.tee_offer.id,
                "marketplace_id": self.marketplace[DE].id,
                "stock_sync_state": "error",
                "stock_sync_error": "bad",
            }
        )
        account.invalidate_recordset()
        self.assertEqual((account.pickings_waiting, account.pickings_failed), (0, 1))
        self.assertEqual(account.offers_in_error, 1)
        action = account.with_context(amazon_sync_state="failed").action_view_pickings()
        self.assertEqual(self.env["stock.picking"].search(action["domain"]), sale.picking_ids)

    def test_sales_analysis_by_marketplace_and_channel(self):
        self.add_order(DE)
        self.sync()
        self.env.flush_all()
        groups = self.env["sale.report"]._read_group(
            [("amazon_marketplace_id", "!=", False)],
            ["amazon_marketplace_id", "amazon_channel"],
            ["__count"],
        )
        self.assertEqual([(m.api_ref, c) for m, c, _n in groups], [(DE, "fbm")])


@tagged("post_install", "-at_install")
class TestAnonymization(OrderSyncCase):
    """Issue #21, findings 4 and 5: buyer data is erased per partner, only for
    the partners the import created, once none of their orders needs them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock_user = new_test_user(
            cls.env, login="amazon_packer", groups="stock.group_stock_user"
        )
        cls.salesman_all = new_test_user(
            cls.env, login="amazon_salesman_all", groups="sales_team.group_sale_salesman_all_leads"
        )

    GIFT = [
        {
            "sku": "MUG-01",
            "title": "Mug",
            "quantity": 1,
            "unit_price": "11.90",
            "gift_message": "Alles Gute, Oma!",
        }
    ]

    def add_buyer_order(self, **values):
        values.setdefault("address", erika_address(phone="+49 30 1234567"))
        return self.add_order(DE, **values)

    def deliver(self, sale):
        picking = sale.picking_ids
        picking.carrier_tracking_ref = "1Z"
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True)._action_done()

    def invoice(self, sale, post=False):
        invoice = sale._create_invoices()
        if post:
            invoice.action_post()
        self.assertEqual(sale.invoice_status, "invoiced")
        return invoice

    def age(self, sale, days=31):
        past = fields.Datetime.now() - timedelta(days=days)
        sale.date_order = past
        sale.picking_ids.filtered("date_done").date_done = past
        self.env.flush_all()
        self.set_created(sale.partner_id | sale.partner_shipping_id, past)

    def set_created(self, partners, date):
        # create_date is the ORM's own: not writable through it.
        self.env.cr.execute(
            "UPDATE res_partner SET create_date = %s WHERE id IN %s", (date, tuple(partners.ids))
        )

    def anonymize(self):
        self.assertTrue(self.env["res.partner"]._cron_amazon_anonymize())

    def assert_kept(self, partner, name="Erika Mustermann"):
        partner.invalidate_recordset()
        self.assertEqual(partner.name, name)
        self.assertFalse(partner.amazon_anonymized)

    def assert_erased(self, partner):
        partner.invalidate_recordset()
        self.assertEqual(partner.name, "Amazon Customer")
        self.assertFalse(partner.street or partner.email or partner.phone or partner.mobile)
        self.assertTrue(partner.amazon_anonymized)

    def test_gift_message_is_for_sales_managers_and_the_warehouse(self):
        self.add_buyer_order(items=self.GIFT)
        self.sync()
        sale = self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])
        self.assertEqual(sale.amazon_gift_message, "Alles Gute, Oma!")
        # Not on the order's lines or the delivery's note, which every salesman reads.
        self.assertNotIn("Oma", " ".join(sale.order_line.mapped("name")))
        self.assertNotIn("Oma", str(sale.picking_ids.note or ""))
        picking = sale.picking_ids
        stock_user = self.stock_user
        self.assertEqual(picking.with_user(stock_user).amazon_gift_message, "Alles Gute, Oma!")
        html, _format = (
            self.env["ir.actions.report"]
            .with_user(stock_user)
            ._render_qweb_html("stock.report_deliveryslip", picking.ids)
        )
        self.assertIn("Alles Gute, Oma!", html.decode())
        salesman = self.salesman_all
        for record in (sale, picking):
            with self.assertRaises(AccessError):
                record.with_user(salesman).read(["amazon_gift_message"])
        # A salesman's delivery slip prints without it (and without an error).
        picking.sale_id.user_id = salesman
        html, _format = (
            self.env["ir.actions.report"]
            .with_user(salesman)
            ._render_qweb_html("stock.report_deliveryslip", picking.ids)
        )
        self.assertNotIn("Alles Gute", html.decode())

    def test_erased_once_delivered_invoiced_and_old_enough(self):
        amazon = self.add_buyer_order(items=self.GIFT)
        self.sync()
        sale = self.sale_of(amazon)
        contact, delivery = sale.partner_id, sale.partner_shipping_id
        self.assertTrue(contact.amazon_buyer and delivery.amazon_buyer)
        self.assertEqual(delivery.phone, "+49 30 1234567")
        self.age(sale)
        self.anonymize()
        self.assert_kept(contact)  # not delivered yet
        self.deliver(sale)
        self.age(sale, days=3)
        self.anonymize()
        self.assert_kept(contact)  # delivered 3 days ago
        self.age(sale)
        if sale.invoice_status == "to invoice":
            self.anonymize()
            self.assert_kept(contact)  # still to invoice: the invoice needs the buyer
        self.invoice(sale)
        self.anonymize()
        for partner in (contact, delivery):
            self.assert_erased(partner)
        self.assertEqual(delivery.city, "Berlin")  # kept for taxes and statistics
        self.assertFalse(sale.amazon_gift_message)
        self.assertFalse(sale.picking_ids.amazon_gift_message)

    def test_a_posted_invoice_keeps_the_name_and_address_it_shows(self):
        amazon = self.add_buyer_order()
        self.sync()
        sale = self.sale_of(amazon)
        self.deliver(sale)
        self.invoice(sale, post=True)
        self.age(sale)
        self.anonymize()
        contact = sale.partner_id
        self.assertEqual((contact.name, contact.street), ("Erika Mustermann", "Hauptstr. 1"))
        self.assertFalse(contact.email or contact.phone)
        self.assertTrue(contact.amazon_anonymized)

    def test_a_repeat_buyer_with_an_open_order_is_kept(self):
        first = self.add_buyer_order()
        second = self.add_buyer_order()
        self.sync()
        first_sale, second_sale = self.sale_of(first), self.sale_of(second)
        self.deliver(first_sale)
        self.invoice(first_sale)
        self.age(first_sale)
        self.assertEqual(second_sale.partner_id, first_sale.partner_id)  # the same buyer
        self.anonymize()
        self.assert_kept(first_sale.partner_id)
        self.assert_kept(first_sale.partner_shipping_id)  # the same address, still to ship
        self.deliver(second_sale)
        self.invoice(second_sale)
        self.age(second_sale)
        self.anonymize()
        self.assert_erased(first_sale.partner_id)

    def test_a_customer_who_was_in_odoo_before_is_never_erased(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Erika Mustermann",
                "email": "erika@marketplace.amazon.example",
                "street": "Hauptstr. 1",
                "phone": "+49 30 7654321",
                "company_id": self.account.company_id.id,
            }
        )
        amazon = self.add_buyer_order()
        self.sync()
        sale = self.sale_of(amazon)
        self.assertEqual(sale.partner_id, customer)
        self.deliver(sale)
        self.invoice(sale)
        self.age(sale)
        self.set_created(customer, fields.Datetime.now() - timedelta(days=400))
        self.anonymize()
        self.assertFalse(customer.amazon_buyer)
        self.assertEqual(
            (customer.name, customer.email, customer.phone),
            ("Erika Mustermann", "erika@marketplace.amazon.example", "+49 30 7654321"),
        )
        # The delivery address the import added under them is the import's.
        self.assert_erased(sale.partner_shipping_id)

    def test_the_upgrade_flags_the_buyers_earlier_versions_imported(self):
        customer = self.env["res.partner"].create(
            {"name": "Erika Mustermann", "email": "erika@marketplace.amazon.example"}
        )
        self.set_created(customer, fields.Datetime.now() - timedelta(days=400))
        amazon = self.add_buyer_order()
        other = self.add_buyer_order(buyer_email="max@marketplace.amazon.example")
        self.sync()
        imported = (self.sale_of(amazon) | self.sale_of(other)).mapped(
            lambda sale: sale.partner_id | sale.partner_shipping_id
        )
        imported -= customer
        self.assertEqual(len(imported), 3)  # max, and both delivery addresses
        (imported | customer).amazon_buyer = False  # as an earlier version left them
        self.assertEqual(self.env["res.partner"]._amazon_flag_imported_buyers(), 3)
        self.assertEqual(imported.mapped("amazon_buyer"), [True] * 3)
        self.assertFalse(customer.amazon_buyer)

    def test_an_old_failure_loses_its_payload_and_is_fetched_again(self):
        amazon = self.add_buyer_order()
        failure = self.env["amazon.order.failure"].create(
            {
                "account_id": self.account.id,
                "amazon_order_ref": amazon.order_id,
                "reason": "earlier failure",
                "payload": json.dumps({"orderId": amazon.order_id, "buyer": "Erika"}),
            }
        )
        failure.first_failure = fields.Datetime.now() - timedelta(days=31)
        self.anonymize()
        self.assertFalse(failure.payload)
        self.sync()
        fetched = [call.path for call in self.emulator.calls_for("getOrder")]
        self.assertTrue(any(amazon.order_id in path for path in fetched))
        self.assertFalse(failure.exists())
        self.assertTrue(self.sale_of(amazon))

    def test_turned_off_in_settings(self):
        amazon = self.add_buyer_order()
        self.sync()
        sale = self.sale_of(amazon)
        self.deliver(sale)
        self.invoice(sale)
        self.age(sale)
        # Turned off in Settings, as an admin does it (finding 5: unticking used to
        # delete the parameter, and the default came back on).
        settings = Form(self.env["res.config.settings"])
        settings.amazon_anonymize = False
        settings.save().execute()
        self.assertFalse(Form(self.env["res.config.settings"]).amazon_anonymize)
        self.assertFalse(self.env["res.partner"]._cron_amazon_anonymize())
        self.assert_kept(sale.partner_id)
        settings = Form(self.env["res.config.settings"])
        settings.amazon_anonymize = True
        settings.save().execute()
        self.anonymize()
        self.assert_erased(sale.partner_id)
