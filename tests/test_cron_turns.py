"""Without queue_job, the crons serve accounts fairly (issue #19): in turns, the
least recently served first, within a time budget per run, and an account
whose next call Amazon's rate limit holds back ends its turn instead of
keeping the worker asleep."""

from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config

from ..spapi import USAGE_PLANS
from .common import CLIENT_ID, SELLER_ID
from .test_orders import OrderSyncCase

SELLERS = {"B": ("A2TURNSSELLERB", "Atzr|turns-b"), "C": ("A2TURNSSELLERC", "Atzr|turns-c")}


@tagged("post_install", "-at_install")
class TestCronTurns(OrderSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.write({"name": "A (busy)", "link_date": "2026-12-01 00:00:00"})
        cls.accounts = {"A": cls.account}
        for name, (seller, token) in SELLERS.items():
            cls.accounts[name] = cls.add_seller_account(name, seller, token)
        cls.flow = cls.env["amazon.order.import"]

    def setUp(self):
        super().setUp()
        self.forget_rate_limits()
        self.addCleanup(self.forget_rate_limits)

    def served(self):
        """The accounts' names in the order their order runs started."""
        logs = self.env["amazon.sync.log"].search(
            [("kind", "=", "orders"), ("account_id", "in", [a.id for a in self.accounts.values()])],
            order="id",
        )
        return [log.account_id.name for log in logs]

    def cron(self):
        """One cron callback whose time budget allows a single turn."""
        with (
            patch.object(type(self.flow), "page_size", 1),
            patch.object(type(self.flow), "cron_time_budget", 0),
        ):
            return self.flow._cron_sync(pages_per_account=2)

    def test_a_busy_account_never_keeps_the_others_waiting(self):
        self.add_mug_orders(SELLER_ID, 6)  # A: three turns of two pages
        self.add_mug_orders(SELLERS["B"][0], 1)
        self.add_mug_orders(SELLERS["C"][0], 2)
        for _run in range(5):
            self.cron()
        # Each run serves the account served least recently: B and C get their
        # turn right after A's first, whatever A still has to do.
        self.assertEqual(self.served(), ["A (busy)", "B", "C", "A (busy)", "B"])
        self.cron()
        self.cron()
        sales = self.env["sale.order"].search(
            [("amazon_account_id", "in", [a.id for a in self.accounts.values()])]
        )
        self.assertEqual(
            sorted(sale.amazon_account_id.name for sale in sales),
            ["A (busy)"] * 6 + ["B"] + ["C"] * 2,
        )

    def process(self, cron):
        """One run of ``cron`` as Odoo's cron runner does it (ir.cron's
        _process_job: it calls the cron again while it reports work left)."""
        self.env.flush_all()
        self.registry.enter_test_mode(self.cr)
        try:
            job = {**cron.read(load=None)[0], "done": 0, "remaining": 0, "timed_out_counter": 0}
            self.registry["ir.cron"]._process_job(
                self.registry.db_name, self.registry.cursor(), job
            )
        finally:
            self.registry.leave_test_mode()
        self.env.invalidate_all()

    def test_odoos_repeated_calls_share_one_run_budget(self):
        self.add_mug_orders(SELLER_ID, 6)
        self.add_mug_orders(SELLERS["B"][0], 1)
        cron = self.env.ref("sale_amazon_connector.ir_cron_amazon_sync_orders")
        with (
            patch.object(type(self.flow), "page_size", 1),
            patch.object(type(self.flow), "cron_turn_seconds", 0),  # a turn: a page
            # Odoo's defaults on a server with workers: one turn per run.
            patch.object(type(self.flow), "_cron_time_budget", lambda flow: 0),
        ):
            self.process(cron)
            # A had work left, and Odoo would call the cron up to ten times in
            # this run: it served one turn, the run's budget.
            self.assertEqual(self.served(), ["A (busy)"])
            # The cron comes back in Odoo's next pass, not at its next interval.
            trigger = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
            self.assertTrue(trigger)
            progress = self.env["ir.cron.progress"].search(
                [("cron_id", "=", cron.id)], order="id desc", limit=1
            )
            self.assertEqual((progress.done, progress.remaining), (0, 3))
            self.process(cron)
            self.process(cron)
        self.assertEqual(self.served(), ["A (busy)", "B", "C"])

    def test_the_run_budget_fits_in_odoos_time_limits(self):
        cases = [
            # (workers, limit_time_real, limit_time_real_cron): budget
            ((0, 120, -1), 45),  # one server process, Odoo's defaults
            ((2, 120, -1), 0),  # workers: up to 70 s of sleep count too
            ((2, 120, 300), 45),
            ((2, 120, 150), 30),
            ((2, 120, 0), 45),  # no limit
        ]
        for (workers, real, real_cron), budget in cases:
            values = {
                "workers": workers,
                "limit_time_real": real,
                "limit_time_real_cron": real_cron,
            }
            with self.subTest(**values), patch.dict(config.options, values):
                self.assertEqual(self.flow._cron_time_budget(), budget)

    def test_a_turn_ends_where_amazons_rate_limit_holds_it(self):
        self.add_mug_orders(SELLER_ID, 2)
        self.add_mug_orders(SELLERS["B"][0], 1)
        # Another worker spent A's searchOrders burst a moment ago: Amazon's
        # plan allows A's next page in about 180 s.
        rate, burst = USAGE_PLANS["searchOrders"]
        key = self.account._rate_limit_key(CLIENT_ID, self.account._get_endpoint())
        with self.rate_limits_cursor() as cr:
            cr.execute(
                "INSERT INTO amazon_rate_limit (key, operation, rate, burst, tokens, stamp)"
                " VALUES (%s, 'searchOrders', %s, %s, 0, EXTRACT(EPOCH FROM clock_timestamp()))",
                (key, rate, burst),
            )
        with patch.object(type(self.env["ir.cron"]), "_notify_progress") as progress:
            self.flow._cron_sync()
        # A's turn ended at once, asking Amazon nothing, and it is not work
        # left now (the cron would run again at once for it, in vain).
        self.assertEqual(progress.call_args.kwargs, {"done": 3, "remaining": 0})
        asked = {call.seller_id for call in self.emulator.calls_for("searchOrders")}
        self.assertEqual(asked, {SELLERS["B"][0], SELLERS["C"][0]})
        log_a = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "orders")], limit=1
        )
        self.assertEqual(log_a.state, "done", "a wait for Amazon is not a failure")
        # The token it did not use was given back.
        with self.rate_limits_cursor() as cr:
            cr.execute("SELECT tokens FROM amazon_rate_limit WHERE key = %s", (key,))
            self.assertLess(cr.fetchone()[0], 0.1)
        # Once Amazon's bucket has refilled, A's next turn imports its orders.
        self.forget_rate_limits()
        self.flow._cron_sync()
        self.assertEqual(
            self.env["sale.order"].search_count([("amazon_account_id", "=", self.account.id)]), 2
        )

    def test_a_turn_begins_no_page_after_its_time_slice(self):
        self.add_mug_orders(SELLER_ID, 3)
        with patch.object(type(self.flow), "page_size", 1):
            result = self.flow._run(self.account, max_pages=10, max_seconds=0)
            self.assertEqual((result.pages, result.done), (1, False))
            self.assertTrue(self.account.orders_page_token, "the next turn resumes there")
            result = self.flow._run(self.account, max_pages=10)
        self.assertEqual((result.pages, result.done), (2, True))

    def test_every_cron_serves_its_accounts_in_turns(self):
        """The other flows' crons take turns the same way: the account each
        served most recently waits for the others, and a run whose time budget
        is spent leaves the rest to the next run."""
        self.accounts["A"].write(
            {"invoice_fbm": True, "upload_invoices": True, "import_fee_invoices": True}
        )
        for name in ("B", "C"):
            self.accounts[name].write(
                {"invoice_fbm": True, "upload_invoices": True, "import_fee_invoices": True}
            )
        accounts = self.env["amazon.account"].browse([a.id for a in self.accounts.values()])
        crons = [
            ("amazon.listing.import", "_cron_import", "listings"),
            ("amazon.fba.inventory", "_cron_reconcile", "fba_stock"),
            ("amazon.return.import", "_cron_import", "returns"),
            ("amazon.finance.import", "_cron_import", "finances"),
            ("amazon.invoicing", "_cron_invoice", "invoices"),
            ("amazon.invoice.upload", "_cron_upload", "invoice_uploads"),
            ("amazon.fee.invoice.import", "_cron_import", "fee_invoices"),
        ]
        Log = self.env["amazon.sync.log"]
        for model, method, kind in crons:
            with self.subTest(kind=kind):
                # A was served a moment ago (by its button, say).
                Log.create({"account_id": self.accounts["A"].id, "kind": kind})
                flow = self.env[model]
                served = []
                with (
                    patch.object(type(flow), "cron_time_budget", 0),
                    patch.object(type(self.env["ir.cron"]), "_notify_progress") as progress,
                ):
                    for _run in range(3):
                        getattr(flow, method)()
                        # One turn per run, then the accounts not served yet.
                        self.assertEqual(progress.call_args.kwargs["done"], 1)
                        [log] = Log.search(
                            [("kind", "=", kind), ("account_id", "in", accounts.ids)],
                            order="id desc",
                            limit=1,
                        )
                        served.append(log.account_id.name)
                self.assertEqual(served, ["B", "C", "A (busy)"])
                self.assertEqual(progress.call_args_list[0].kwargs["remaining"], 2)
