"""Orders in seconds (issue #36): the account subscribes to Amazon's
notifications, Amazon (the emulator) publishes ORDER_CHANGE to a real SQS
server (moto's, on loopback, through boto3), and the consumer turns each
into a confirmed sale order through the orders flow: once, whatever SQS
delivers twice; a message Odoo cannot use is recorded and left to the
queue's redrive policy, never blocking the others."""

import json
import unittest
import uuid
from datetime import UTC, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..mapping.mcf import McfAddress, McfLine, create_request
from ..models.flow_run import lock_namespace
from ..spapi_emulator.sqs_server import SqsOutlet, SqsServer, moto_server_path
from .common import DE, SELLER_ID, queue_settings
from .test_orders import OrderSyncCase, ago


@tagged("post_install", "-at_install")
@unittest.skipIf(moto_server_path() is None, "moto_server not installed (scripts/test.sh does)")
class TestNotifications(OrderSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sqs = SqsServer().start()
        cls.addClassCleanup(cls.sqs.stop)
        cls.emulator.store.outlet = SqsOutlet(cls.sqs.url)
        cls.Consumer = cls.env["amazon.notification.consumer"]

    def setUp(self):
        super().setUp()
        # What could not be done now comes back in a second (5 in production).
        self.patch(type(self.Consumer), "busy_retry_seconds", 1)
        # A queue per test: nothing one test leaves is read by another.
        self.queue_url, self.queue_arn = self.sqs.create_queue(f"orders-{uuid.uuid4().hex[:8]}")
        self.env.company.write(queue_settings(self.queue_url))
        self.emulator.store.subscriptions.clear()
        self.emulator.store.destinations.clear()

    # --- helpers --------------------------------------------------------------------------
    def subscribe(self):
        return self.account.with_user(self.sales_manager).action_subscribe_notifications()

    def consume(self):
        # What Amazon published is in the queue already: no need to wait for more.
        return self.Consumer._consume(self.env.company, 30, wait_seconds=0, until_empty=True)

    def queued(self):
        """The messages still in the queue (visible or not)."""
        attributes = self.sqs.client().get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return sum(int(value) for value in attributes.values())

    def send_raw(self, body):
        self.sqs.client().send_message(QueueUrl=self.queue_url, MessageBody=body)

    def notifications(self, **domain):
        return self.env["amazon.notification"].search(
            [(key, "=", value) for key, value in domain.items()]
        )

    # --- set-up ---------------------------------------------------------------------------
    def test_subscribing_creates_one_destination_and_a_filtered_subscription(self):
        self.subscribe()
        store = self.emulator.store
        (destination,) = store.destinations.values()
        self.assertEqual(destination.arn, self.queue_arn)
        (subscription,) = store.subscriptions.values()
        self.assertEqual(subscription.notification_type, "ORDER_CHANGE")
        event_filter = subscription.processing_directive["eventFilter"]
        self.assertEqual(
            event_filter["orderChangeTypes"], ["OrderStatusChange", "BuyerRequestedChange"]
        )
        self.assertEqual(
            self.account.notification_subscription_ids.subscription_ref,
            (subscription.subscription_id),
        )
        # Again (with feeds and reports now): the destination is reused, nothing doubles.
        self.account.notify_feeds_reports = True
        self.subscribe()
        self.assertEqual(len(store.destinations), 1)
        self.assertEqual(
            sorted(self.account.notification_subscription_ids.mapped("notification_type")),
            ["FEED_PROCESSING_FINISHED", "ORDER_CHANGE", "REPORT_PROCESSING_FINISHED"],
        )
        self.account.with_user(self.sales_manager).action_unsubscribe_notifications()
        self.assertFalse(store.subscriptions)
        self.assertFalse(self.account.notification_subscription_ids)
        self.assertEqual(self.account.notifications_state, "off")

    def test_a_salesman_cannot_subscribe_nor_remove(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.salesman).action_subscribe_notifications()
        with self.assertRaises(AccessError):
            self.account.with_user(self.salesman).action_unsubscribe_notifications()
        self.assertFalse(self.emulator.store.destinations)
        # The dashboard's state is theirs to read, the subscriptions are not.
        self.subscribe()
        as_salesman = self.account.with_user(self.salesman)
        self.assertEqual(as_salesman.notifications_state, "unread")
        self.assertNotIn("notification_subscription_ids", as_salesman.read()[0])

    def test_the_aws_secret_never_goes_to_a_queue_that_is_not_amazons(self):
        self.env.company.amazon_sqs_queue_url = "https://sqs.example.net/123456789012/orders"
        with self.assertRaisesRegex(UserError, "not Amazon SQS"):
            self.subscribe()
        with self.assertRaisesRegex(UserError, "not Amazon SQS"):
            self.consume()
        self.env.company.amazon_sqs_queue_url = "http://sqs.eu-west-1.amazonaws.com/1/orders"
        with self.assertRaisesRegex(UserError, "not Amazon SQS"):
            self.subscribe()
        self.assertFalse(self.emulator.store.destinations)

    def test_the_queue_settings_are_an_admins(self):
        with self.assertRaises(AccessError):
            self.env.company.with_user(self.sales_manager).read(["amazon_sqs_secret_key"])
        with self.assertRaises(AccessError):
            self.env.company.with_user(self.sales_manager).write({"amazon_sqs_queue_url": "x"})

    # --- orders in -----------------------------------------------------------------------
    def test_a_new_order_is_a_confirmed_sale_order_without_a_sync(self):
        self.subscribe()
        amazon = self.add_order(DE)
        self.assertEqual(self.consume(), 1)
        sale = self.sale_of(amazon)
        self.assertEqual(sale.state, "sale")
        self.assertTrue(sale.picking_ids)
        (notification,) = self.notifications(order_ref=amazon.order_id)
        self.assertEqual(notification.state, "done")
        self.assertEqual(self.queued(), 0)
        self.assertFalse(self.emulator.calls_for("searchOrders"))
        self.assertEqual(len(self.emulator.calls_for("getOrder")), 1)
        self.assertTrue(self.account.last_notification_date)

    def test_a_message_delivered_twice_makes_one_order(self):
        self.subscribe()
        amazon = self.add_order(DE)
        (_arn, message) = self.emulator.store.published[-1]
        self.send_raw(json.dumps(message))  # SQS delivers at least once
        self.consume()
        self.assertEqual(
            len(self.env["sale.order"].search([("amazon_order_ref", "=", amazon.order_id)])), 1
        )
        self.assertEqual(len(self.notifications(order_ref=amazon.order_id)), 1)
        self.assertEqual(self.queued(), 0)
        # Once more after it was done: deleted without a getOrder.
        self.emulator.reset_calls()
        self.send_raw(json.dumps(message))
        self.consume()
        self.assertFalse(self.emulator.calls_for("getOrder"))
        self.assertEqual(self.queued(), 0)

    def test_a_cancellation_on_amazon_cancels_the_sale_order(self):
        self.subscribe()
        amazon = self.add_order(DE)
        self.consume()
        self.emulator.store.set_status(amazon.order_id, "CANCELLED")
        self.consume()
        self.assertEqual(self.sale_of(amazon).state, "cancel")

    def test_poison_is_recorded_and_left_to_the_redrive_policy(self):
        self.subscribe()
        self.send_raw("this is not JSON")
        self.send_raw(json.dumps({"NotificationType": "ORDER_CHANGE", "Payload": {}}))
        amazon = self.add_order(DE)
        self.consume()
        self.assertEqual(self.sale_of(amazon).state, "sale")
        failed = self.notifications(state="failed")
        self.assertEqual(len(failed), 2)
        self.assertTrue(all(failed.mapped("reason")))
        self.assertIn("not JSON", " ".join(failed.mapped("reason")))
        # Not deleted: in the queue until the redrive policy moves them.
        self.assertEqual(self.queued(), 2)

    def test_an_order_amazon_does_not_show_stays_in_the_queue(self):
        self.subscribe()
        amazon = self.add_order(DE)
        del self.emulator.store.orders[amazon.order_id]
        other = self.add_order(DE)
        self.consume()
        (missing,) = self.notifications(order_ref=amazon.order_id)
        self.assertEqual(missing.state, "failed")
        self.assertTrue(missing.reason)
        self.assertEqual(self.sale_of(other).state, "sale")
        self.assertEqual(self.queued(), 1)

    def test_another_sellers_notification_is_not_odoos(self):
        self.subscribe()
        amazon = self.add_order(DE)
        (_arn, message) = self.emulator.store.published[-1]
        message = json.loads(json.dumps(message))
        message["Payload"]["OrderChangeNotification"]["SellerId"] = "A9SOMEONEELSE"
        message["NotificationMetadata"]["NotificationId"] = str(uuid.uuid4())
        self.send_raw(json.dumps(message))
        self.consume()
        (ignored,) = self.notifications(state="ignored")
        self.assertIn("A9SOMEONEELSE", ignored.reason)
        self.assertEqual(self.sale_of(amazon).state, "sale")
        self.assertEqual(self.queued(), 0)

    def test_an_account_busy_with_polling_gets_its_messages_back_soon(self):
        self.subscribe()
        amazon = self.add_order(DE)
        with self.rate_limits_cursor() as other:
            other.execute(
                "SELECT pg_advisory_lock(%s, %s)", (lock_namespace("orders"), self.account.id)
            )
            try:
                self.Consumer._consume(self.env.company, 3, wait_seconds=0, until_empty=True)
            finally:
                other.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", (lock_namespace("orders"), self.account.id)
                )
        self.assertFalse(
            self.env["sale.order"].search([("amazon_order_ref", "=", amazon.order_id)])
        )
        self.assertEqual(self.queued(), 1)
        self.Consumer._consume(self.env.company, 30, wait_seconds=2, until_empty=True)
        self.assertEqual(self.sale_of(amazon).state, "sale")

    def test_a_change_odoo_has_already_costs_no_call(self):
        self.subscribe()
        amazon = self.add_order(DE)
        self.sync()  # polling brought it first
        self.emulator.reset_calls()
        self.consume()
        self.assertFalse(self.emulator.calls_for("getOrder"))
        (notification,) = self.notifications(order_ref=amazon.order_id)
        self.assertEqual(notification.state, "done")
        self.assertEqual(self.queued(), 0)

    def test_a_backlog_searchorders_sees_comes_in_by_one_polling_run(self):
        self.patch(type(self.Consumer), "backlog_poll_size", 3)
        self.subscribe()
        self.account.last_orders_sync = fields.Datetime.now() - timedelta(minutes=10)
        # Notified three minutes ago, still in the queue (a reader was down).
        late = [self.add_order(DE, created_time=ago(minutes=3)) for _n in range(3)]
        self.emulator.reset_calls()
        self.consume()
        self.assertEqual(len(self.emulator.calls_for("searchOrders")), 1)
        self.assertFalse(self.emulator.calls_for("getOrder"))
        for amazon in late:
            self.assertEqual(self.sale_of(amazon).state, "sale")
        self.assertEqual(set(self.notifications().mapped("state")), {"done"})
        self.assertEqual(self.queued(), 0)

    def test_a_spent_getorder_plan_leaves_the_backlog_to_polling(self):
        self.subscribe()
        self.add_order(DE)
        self.consume()  # the connector now keeps getOrder's bucket
        self.addCleanup(self.forget_rate_limits)
        with self.rate_limits_cursor() as cr:
            cr.execute(
                "UPDATE amazon_rate_limit SET tokens = 0, rate = 0.0001"
                " WHERE operation = 'getOrder'"
            )
        self.env["ir.cron.trigger"].search([]).unlink()
        amazon = self.add_order(DE, created_time=ago(minutes=3))  # placed 3 minutes ago
        self.Consumer._consume(self.env.company, 3, wait_seconds=0, until_empty=True)
        self.assertFalse(self.sale_of(amazon))
        (waiting,) = self.notifications(order_ref=amazon.order_id)
        self.assertEqual(waiting.state, "received")
        cron = self.env.ref("sale_amazon_connector.ir_cron_amazon_sync_orders")
        self.assertIn(cron, self.env["ir.cron.trigger"].search([]).cron_id)
        # Healthy and polled a moment ago, yet due: its order waits for getOrder.
        self.account.last_orders_sync = fields.Datetime.now() - timedelta(minutes=5)
        OrderImport = self.env["amazon.order.import"]
        self.assertNotIn(self.account, OrderImport._cron_accounts())
        self.env.cr.execute(
            "UPDATE amazon_notification SET create_date = %s WHERE id = %s",
            (fields.Datetime.now() - timedelta(minutes=3), waiting.id),
        )
        self.assertIn(self.account, OrderImport._cron_accounts())
        self.sync()  # searchOrders: a page of 100 a call
        self.assertEqual(self.sale_of(amazon).state, "sale")
        # When its message comes back, the order is there: done, no getOrder.
        self.Consumer._consume(self.env.company, 30, wait_seconds=2, until_empty=True)
        self.assertEqual(waiting.state, "done")
        self.assertEqual(self.queued(), 0)

    # --- polling, the safety net ----------------------------------------------------------
    def test_the_order_cron_polls_a_healthy_account_less_often(self):
        OrderImport = self.env["amazon.order.import"]
        self.account.last_orders_sync = fields.Datetime.now() - timedelta(minutes=20)
        self.assertIn(self.account, OrderImport._cron_accounts())
        self.subscribe()
        self.consume()  # the queue is read: healthy
        self.assertEqual(self.account.notifications_state, "healthy")
        self.assertNotIn(self.account, OrderImport._cron_accounts())
        self.account.last_orders_sync = fields.Datetime.now() - timedelta(hours=2)
        self.assertIn(self.account, OrderImport._cron_accounts())

    def test_a_queue_nobody_reads_or_that_stays_silent_says_so(self):
        self.subscribe()
        self.assertEqual(self.account.notifications_state, "unread")
        self.consume()
        self.assertEqual(self.account.notifications_state, "healthy")
        # Orders keep arriving by polling, none by the queue (Amazon cannot send to it).
        self.emulator.store.subscriptions.clear()
        self.account.notification_subscription_ids.write({})
        amazon = self.add_order(DE)
        self.sync()
        sale = self.sale_of(amazon)
        self.env.cr.execute(
            "UPDATE sale_order SET create_date = %s WHERE id = %s",
            (fields.Datetime.now() + timedelta(hours=2), sale.id),
        )
        self.account.invalidate_recordset(["notifications_state"])
        self.assertEqual(self.account.notifications_state, "silent")

    def test_a_finished_feed_wakes_the_flows_waiting_on_feeds(self):
        self.account.notify_feeds_reports = True
        self.subscribe()
        self.env["ir.cron.trigger"].search([]).unlink()
        feed = self.emulator.store.feeds  # a feed of the seller, finished by Amazon
        adapter = self.account._get_adapter()
        try:
            feed_id = adapter.submit_json_listings_feed(SELLER_ID, [DE], [STOCK_MESSAGE])
        finally:
            adapter.close()
        self.emulator.process_feed(feed[feed_id])
        self.consume()
        woken = self.env["ir.cron.trigger"].search([]).cron_id.mapped("model_id.model")
        self.assertIn("amazon.stock.push", woken)
        self.assertEqual(self.queued(), 0)

    def test_a_fulfillment_order_status_wakes_the_mcf_flow(self):
        """Issue #38: an account shipping by Multi-Channel Fulfillment subscribes
        to FULFILLMENT_ORDER_STATUS; Amazon's notice wakes the MCF flow at once."""
        self.account.with_user(self.sales_manager).action_enable_mcf()
        self.subscribe()
        types = {s.notification_type for s in self.emulator.store.subscriptions.values()}
        self.assertIn("FULFILLMENT_ORDER_STATUS", types)
        self.env["ir.cron.trigger"].search([]).unlink()
        store = self.emulator.store
        store.set_fba_stock(SELLER_ID, DE, "MUG-01", fulfillable=5)
        adapter = self.account._get_adapter()
        try:
            adapter.create_fulfillment_order(
                create_request(
                    "WH-MCF-77",
                    DE,
                    McfAddress("Kunde", "Hauptstr. 1", "Berlin", "10115", "DE"),
                    [McfLine("1", "MUG-01", 1)],
                    "Standard",
                    "FillOrKill",
                    order_date=fields.Datetime.now().replace(tzinfo=UTC),
                )
            )
        finally:
            adapter.close()
        self.consume()
        (notice,) = self.notifications(notification_type="FULFILLMENT_ORDER_STATUS")
        self.assertEqual(notice.state, "done")
        woken = self.env["ir.cron.trigger"].search([]).cron_id.mapped("model_id.model")
        self.assertIn("amazon.mcf.sync", woken)
        self.assertEqual(self.queued(), 0)


STOCK_MESSAGE = {
    "messageId": 1,
    "sku": "MUG-01",
    "operationType": "PATCH",
    "productType": "PRODUCT",
    "patches": [
        {
            "op": "replace",
            "path": "/attributes/fulfillment_availability",
            "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}],
        }
    ],
}
