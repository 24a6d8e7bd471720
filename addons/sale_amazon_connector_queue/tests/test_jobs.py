"""The connector's units of work as queue_job jobs (issue #19).

Jobs are run by queue_job's own runner code (``RunJobController``: acquire,
perform, retry or fail, as the job runner's HTTP call does), each on a cursor
of its own; in test mode those cursors share the test's transaction."""

from unittest.mock import patch

from odoo import api
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.sale_amazon_connector.spapi_emulator.sqs_server import (
    SqsOutlet,
    SqsServer,
    moto_server_path,
)
from odoo.addons.sale_amazon_connector.tests.common import SELLER_ID, US, queue_settings
from odoo.addons.sale_amazon_connector.tests.test_orders import OrderSyncCase, ago
from odoo.tests import tagged

SELLERS = {"B": ("A2JOBSSELLERB", "Atzr|jobs-b"), "C": ("A2JOBSSELLERC", "Atzr|jobs-c")}


@tagged("post_install", "-at_install")
class TestAmazonJobs(OrderSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.write({"name": "A", "link_date": "2026-12-01 00:00:00"})
        cls.accounts = cls.account
        for name, (seller, token) in SELLERS.items():
            cls.accounts |= cls.add_seller_account(name, seller, token)
        cls.flow = cls.env["amazon.order.import"]

    def setUp(self):
        super().setUp()
        self.forget_rate_limits()
        self.addCleanup(self.forget_rate_limits)
        # The jobs' own cursors (allow_commit) share this test's transaction.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        page_size = patch.object(type(self.flow), "page_size", 1)
        page_size.start()
        self.addCleanup(page_size.stop)

    def jobs(self, **states):
        domain = [("state", "in", list(states) or ["pending"])]
        return self.env["queue.job"].search(domain, order="id")

    def run_jobs(self, rounds=20):
        """Run the pending jobs, ETA ignored, as the job runner would, until none
        is left or for ``rounds`` rounds. Returns the uuids of the jobs that
        failed."""
        failed = []
        for _round in range(rounds):
            pending = self.jobs()
            if not pending:
                return failed
            for record in pending:
                with self.registry.cursor() as cr, patch.object(cr, "rollback", lambda: None):
                    # The runner's cursor rolls back after a retryable error what
                    # it did itself, which is nothing here: the job's work was on
                    # its own cursor (allow_commit), undone by that cursor. In
                    # test mode both share one transaction, where this rollback
                    # would also undo the job's postponement, stored on a third.
                    env = api.Environment(cr, record.user_id.id, {})
                    cr.execute("UPDATE queue_job SET state = 'enqueued' WHERE id = %s", [record.id])
                    job = RunJobController._acquire_job(env, record.uuid)
                    try:
                        RunJobController._runjob(env, job)
                    except Exception:  # the job is failed, with its error
                        failed.append(record.uuid)
            self.env.invalidate_all()
        return failed

    def sales(self):
        return self.env["sale.order"].search([("amazon_account_id", "in", self.accounts.ids)])

    def sales_per_account(self):
        return sorted(sale.amazon_account_id.name for sale in self.sales())

    def test_the_order_cron_runs_each_account_as_a_chain_of_page_jobs(self):
        self.add_mug_orders(SELLER_ID, 3)
        self.add_mug_orders(SELLERS["B"][0], 1)
        self.flow._cron_sync()
        self.flow._cron_sync()  # a second cron run queues nothing twice
        queued = self.jobs()
        self.assertEqual(len(queued), 3)
        self.assertEqual(set(queued.mapped("channel")), {"root.amazon.orders"})
        self.assertEqual(set(queued.mapped("method_name")), {"_job_orders_page"})
        self.assertEqual(
            sorted(queued.mapped("name")),
            ["Amazon orders of A", "Amazon orders of B", "Amazon orders of C"],
        )
        self.assertEqual(self.run_jobs(), [])
        self.assertFalse(self.jobs())
        done = self.jobs(done=True)
        # A: a job per page (three orders, one per page), B and C one each.
        self.assertEqual(len(done), 5)
        self.assertEqual(self.sales_per_account(), ["A", "A", "A", "B"])
        self.assertTrue(all(account.last_orders_sync for account in self.accounts))

    def test_a_page_amazon_cannot_serve_is_retried_alone(self):
        self.add_mug_orders(SELLER_ID, 2)
        self.add_mug_orders(SELLERS["B"][0], 1)
        self.flow._cron_sync()
        # Amazon fails A's first page more often than the adapter retries.
        self.emulator.faults.add("searchOrders", "unavailable", count=4)
        self.assertEqual(self.run_jobs(rounds=1), [])
        retried = self.jobs()
        self.assertEqual(retried.name, "Amazon orders of A")
        self.assertEqual(retried.retry, 1)
        self.assertTrue(retried.eta, "postponed by its retry pattern")
        self.assertIn("searchOrders", retried.result)
        # Only that unit was held back: B's and C's are done.
        self.assertEqual(len(self.jobs(done=True)), 2)
        self.assertEqual(self.run_jobs(), [])
        self.assertFalse(self.jobs())
        self.assertEqual(self.sales_per_account(), ["A", "A", "B"], "each order once")

    def test_recover_order_is_a_job(self):
        order = self.emulator.store.add_order(
            SELLER_ID,
            US,
            [{"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "11.90"}],
            created_time=ago(days=200),
        )
        wizard = (
            self.env["amazon.recover.order.wizard"]
            .with_user(self.sales_manager)
            .create({"account_id": self.account.id, "amazon_order_ref": order.order_id})
        )
        action = wizard.action_recover()
        self.assertEqual(action["params"]["type"], "info")
        job = self.jobs()
        self.assertEqual((job.channel, job.user_id), ("root.amazon.recover", self.sales_manager))
        self.assertEqual(self.run_jobs(), [])
        self.assertFalse(self.jobs())
        sale = self.sales()
        self.assertEqual(sale.amazon_order_ref, order.order_id)
        mug = sale.order_line.filtered(lambda line: line.product_id.default_code == "MUG-01")
        self.assertEqual(mug.product_uom_qty, 2)

    def test_stock_pushes_are_a_job_per_account(self):
        self.accounts.write({"fbm_stock_sync": True})
        self.env["amazon.stock.push"]._cron_push()
        queued = self.jobs()
        self.assertEqual(len(queued), 3)
        self.assertEqual(set(queued.mapped("channel")), {"root.amazon.stock"})
        self.assertEqual(self.run_jobs(), [])
        self.assertFalse(self.jobs())
        logs = self.env["amazon.sync.log"].search(
            [("kind", "=", "stock"), ("account_id", "in", self.accounts.ids)]
        )
        self.assertEqual(sorted(logs.mapped("state")), ["done"] * 3)

    def test_notification_readers_are_jobs_that_import_the_orders(self):
        if moto_server_path() is None:
            self.skipTest("moto_server not installed (scripts/test.sh does)")
        with SqsServer() as sqs:
            url, _arn = sqs.create_queue("jobs")
            self.env.company.write(queue_settings(url))
            self.emulator.store.outlet = SqsOutlet(sqs.url)
            self.addCleanup(setattr, self.emulator.store, "outlet", None)
            self.account.sudo().action_subscribe_notifications()
            order = self.emulator.store.add_order(
                SELLER_ID, US, [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "9"}]
            )
            consumer = self.env["amazon.notification.consumer"]
            consumer._cron_consume(max_seconds=2)
            consumer._cron_consume(max_seconds=2)  # one job waits per reader
            queued = self.jobs()
            self.assertEqual(len(queued), 2)
            self.assertEqual(set(queued.mapped("channel")), {"root.amazon.notifications"})
            self.assertEqual(self.run_jobs(), [])
            self.assertEqual(self.sales().amazon_order_ref, order.order_id)
            self.assertEqual(self.sales().state, "sale")
