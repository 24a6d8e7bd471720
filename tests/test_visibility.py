import json
from datetime import timedelta

from odoo import fields
from odoo.tests import Form, tagged

from ..spapi import SpApiThrottledError
from .common import DE
from .test_orders import OrderSyncCase, ago


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
        account = self.account
        account.invalidate_recordset()
        self.assertEqual((account.orders_today, account.orders_week), (1, 1))
        self.assertTrue(account.last_orders_success)
        self.assertFalse(account.last_stock_success)
        sale = self.env["sale.order"].search([("amazon_account_id", "=", account.id)])
        sale.picking_ids.write({"amazon_sync_state": "failed"})
        self.tee_offer.write({"stock_sync_state": "error", "stock_sync_error": "bad"})
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
    def deliver(self, sale):
        picking = sale.picking_ids
        picking.carrier_tracking_ref = "1Z"
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True)._action_done()

    def test_buyers_are_anonymized_after_delivery(self):
        amazon = self.add_order(DE)
        self.sync()
        sale = self.sale_of(amazon)
        self.deliver(sale)
        cron = self.env["sale.order"]._cron_anonymize_amazon_customers
        cron()
        self.assertEqual(sale.partner_id.name, "Erika Mustermann")  # too recent
        sale.date_order = fields.Datetime.now() - timedelta(days=31)
        cron()
        for partner in (sale.partner_id, sale.partner_shipping_id):
            self.assertEqual(partner.name, "Amazon Customer")
            self.assertFalse(partner.street or partner.email or partner.phone)
        self.assertEqual(sale.partner_shipping_id.city, "Berlin")  # kept for taxes
        self.assertTrue(sale.amazon_anonymized)

    def test_undelivered_or_disabled_or_invoiced_are_kept(self):
        pending = self.add_order(DE)
        self.sync()
        sale = self.sale_of(pending)
        sale.date_order = fields.Datetime.now() - timedelta(days=31)
        self.env["sale.order"]._cron_anonymize_amazon_customers()
        self.assertEqual(sale.partner_id.name, "Erika Mustermann")  # not delivered yet
        self.deliver(sale)
        # Turned off in Settings, as an admin does it (issue #21, finding 5: unticking
        # used to delete the parameter, and the default came back on).
        settings = Form(self.env["res.config.settings"])
        settings.amazon_anonymize = False
        settings.save().execute()
        self.assertFalse(Form(self.env["res.config.settings"]).amazon_anonymize)
        self.env["sale.order"]._cron_anonymize_amazon_customers()
        self.assertEqual(sale.partner_id.name, "Erika Mustermann")
        settings = Form(self.env["res.config.settings"])
        settings.amazon_anonymize = True
        settings.save().execute()
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": sale.partner_id.id,
                "invoice_line_ids": [(0, 0, {"name": "Mug", "price_unit": 10.0, "quantity": 1})],
            }
        )
        invoice.action_post()
        self.env["sale.order"]._cron_anonymize_amazon_customers()
        self.assertEqual(sale.partner_id.name, "Erika Mustermann")  # the invoice needs it
        self.assertEqual(sale.partner_shipping_id.name, "Amazon Customer")
