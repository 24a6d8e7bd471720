"""Amazon's money in (issue #18, step 3): the seller's transactions
(Finances 2024-06-19 listTransactions) kept in Odoo once each, with their
breakdown, linked to their order; read by windows that overlap and resume."""

import secrets
from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DE, SELLER_ID
from .test_orders import OrderSyncCase, ago


@tagged("post_install", "-at_install")
class TestFinanceTransactions(OrderSyncCase):
    def setUp(self):
        super().setUp()
        self.emulator.store.transactions.clear()
        self.emulator.store.event_groups.clear()

    def import_transactions(self):
        return self.env["amazon.finance.import"]._run(self.account)

    def transactions(self):
        return self.env["amazon.finance.transaction"].search([("account_id", "=", self.account.id)])

    def add_money(self, order_id, **values):
        store = self.emulator.store
        values.setdefault("posted", ago(days=3))
        return store.add_transaction(SELLER_ID, DE, order_id=order_id, **values)

    def test_transactions_kept_once_with_their_breakdown_and_order(self):
        amazon = self.add_order(DE)
        self.sync()
        sale = self.sale_of(amazon)
        self.add_money(
            amazon.order_id,
            transaction_type="Shipment",
            group_id="G1",
            items=[
                {
                    "sku": "MUG-01",
                    "quantity": 1,
                    "breakdowns": [("ProductCharges", "10.00"), ("Tax", "1.90")],
                }
            ],
            breakdowns=[("AmazonFees", "-1.79")],
        )
        self.add_money(
            amazon.order_id,
            transaction_type="Refund",
            group_id="G2",
            refund_id="R-1",
            posted=ago(days=2),
            status="DEFERRED",
            items=[{"sku": "MUG-01", "quantity": 1, "breakdowns": [("ProductCharges", "-10.00")]}],
        )
        counts = self.import_transactions()
        self.assertEqual((counts.fetched, counts.created), (2, 2))
        shipment, refund = self.transactions().sorted("posted")
        self.assertEqual((shipment.kind, shipment.sale_order_id), ("Shipment", sale))
        self.assertAlmostEqual(shipment.total, 10.11)
        self.assertEqual(shipment.currency_id.name, "EUR")
        self.assertEqual(
            sorted(shipment.line_ids.mapped(lambda line: (line.sku or "", line.breakdown_type))),
            [
                ("", "AmazonFees"),
                ("", "ProductCharges"),
                ("", "Tax"),
                ("MUG-01", "ProductCharges"),
                ("MUG-01", "Tax"),
            ],
        )
        self.assertEqual(
            (refund.refund_ref, refund.group_ref, refund.status), ("R-1", "G2", "DEFERRED")
        )
        # Read again (the windows overlap): nothing twice; a status Amazon changed follows.
        self.emulator.store.transactions[1].status = "DEFERRED_RELEASED"
        self.account.last_finances_sync = datetime.now() - timedelta(days=1)
        counts = self.import_transactions()
        self.assertEqual((counts.created, counts.updated), (0, 1))
        self.assertEqual(len(self.transactions()), 2)
        self.assertEqual(refund.status, "DEFERRED_RELEASED")
        # Asked as the model says: more than two minutes back, no marketplaceId.
        calls = self.emulator.calls_for("listTransactions")
        self.assertTrue(all("marketplaceId" not in call.params for call in calls))

    def test_a_long_absence_is_read_in_parts_of_less_than_180_days(self):
        self.account.last_finances_sync = datetime.now() - timedelta(days=400)
        self.add_money(
            "302-OLD",
            transaction_type="ServiceFee",
            posted=ago(days=300),
            breakdowns=[("AmazonFees", "-39.00")],
        )
        self.import_transactions()
        first = self.account.last_finances_sync
        self.assertLess(first, datetime.now() - timedelta(days=200))
        self.import_transactions()
        self.assertEqual(len(self.transactions()), 1)
        self.import_transactions()
        self.assertGreater(self.account.last_finances_sync, datetime.now() - timedelta(minutes=5))
        self.assertEqual(len(self.transactions()), 1)

    def test_accountants_read_salesmen_do_not(self):
        self.add_money("302-X", transaction_type="ServiceFee", breakdowns=[("AmazonFees", "-5.00")])
        self.import_transactions()
        accountant = new_test_user(
            self.env, login="amazon_accountant", groups="account.group_account_invoice"
        )
        self.assertEqual(len(self.transactions().with_user(accountant).read(["total"])), 1)
        with self.assertRaises(AccessError):
            self.transactions().with_user(self.salesman).read(["total"])

    def test_payouts_followed_until_closed_then_read_whole(self):
        """A payout (financial event group) is kept open while Amazon adds to
        it; once closed, every transaction of it is read by its group id, also
        those posted before the windows Odoo read."""
        store = self.emulator.store
        group = store.add_event_group(SELLER_ID, "FEG-1", "EUR", ago(days=10))
        early = self.add_money(
            "302-A",
            transaction_type="Shipment",
            group_id="FEG-1",
            posted=ago(days=8),
            items=[{"sku": "MUG-01", "quantity": 1, "breakdowns": [("ProductCharges", "11.90")]}],
            breakdowns=[("AmazonFees", "-1.79")],
        )
        self.add_money(
            "302-B",
            transaction_type="Shipment",
            group_id="FEG-1",
            posted=ago(days=1),
            items=[{"sku": "MUG-01", "quantity": 1, "breakdowns": [("ProductCharges", "11.90")]}],
        )
        # The last run was two days ago: its window (less the overlap) misses
        # the early transaction.
        self.account.last_finances_sync = datetime.now() - timedelta(days=2)
        self.import_transactions()
        payout = self.env["amazon.payout"].search([("account_id", "=", self.account.id)])
        self.assertEqual((payout.ref, payout.state), ("FEG-1", "open"))
        self.assertEqual(len(payout.transaction_ids), 1)
        self.assertAlmostEqual(payout.total, float(early.total) + 11.90, msg="the balance so far")
        # Amazon closes it and transfers the money.
        group.processing_status = "Closed"
        group.fund_transfer_status = "Succeeded"
        group.end = group.transfer_date = ago(hours=1)
        group.trace_id = "TRACE-1"
        self.import_transactions()
        # Closed, and booked at once (amazon_payout.py; test_payouts.py).
        self.assertEqual((payout.state, payout.trace_ref), ("booked", "TRACE-1"))
        self.assertEqual(len(payout.transaction_ids), 2)
        self.assertAlmostEqual(payout.transactions_total, payout.total)
        self.assertAlmostEqual(payout.total, 22.01)
        calls = self.emulator.calls_for("listTransactions")
        self.assertIn(
            {
                "relatedIdentifierName": "FINANCIAL_EVENT_GROUP_ID",
                "relatedIdentifierValue": "FEG-1",
            },
            [call.params for call in calls],
        )
        # Read again: nothing twice.
        self.account.last_finances_sync = datetime.now() - timedelta(days=9)
        self.import_transactions()
        self.assertEqual(self.env["amazon.payout"].search_count([("ref", "=", "FEG-1")]), 1)
        self.assertEqual(len(payout.transaction_ids), 2)
        # The drill-down: its transactions and its orders.
        action = payout.action_view_transactions()
        self.assertEqual(
            self.env["amazon.finance.transaction"].search(action["domain"]), payout.transaction_ids
        )
        accountant = new_test_user(
            self.env, login="amazon_payout_accountant", groups="account.group_account_invoice"
        )
        self.assertEqual(payout.with_user(accountant).read(["total"])[0]["total"], 22.01)
        with self.assertRaises(AccessError):
            payout.with_user(self.salesman).read(["total"])

    def test_money_in_a_currency_odoo_lacks_is_set_aside_with_why(self):
        """Issue #33: never booked in the company's currency in its place."""
        amazon = self.add_order(DE)
        self.sync()
        tx = self.add_money(
            amazon.order_id,
            transaction_type="Shipment",
            currency="XQQ",
            breakdowns=[("ProductCharges", "10.00")],
        )
        counts = self.import_transactions()
        self.assertEqual(counts.failed, 1)
        (kept,) = self.transactions()
        self.assertEqual(kept.ref, tx.transaction_id)
        self.assertFalse(kept.currency_id)
        self.assertFalse(kept.total)
        self.assertIn("XQQ is not in Odoo", kept.description)
        self.assertIn("XQQ", kept.raw)
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "finances")[:1]
        self.assertEqual(log.state, "partial")
        self.assertIn(tx.transaction_id, log.error)
        # The currency made, the transaction read again is booked in it.
        currency = self.env["res.currency"].create({"name": "XQQ", "symbol": "Q"})
        self.account.last_finances_sync = False
        self.import_transactions()
        (kept,) = self.transactions()
        self.assertEqual((kept.currency_id, kept.total, kept.raw), (currency, 10.0, False))
        self.assertEqual(kept.sale_order_id, self.sale_of(amazon))

    def test_a_transaction_the_database_refuses_is_kept_unreadable(self):
        """Issue #34: a transaction the mapper reads but the database refuses
        (a NUL in its description, an id longer than an index holds) is kept
        unreadable with why; the page's other transactions are booked and the
        window moves on."""
        amazon = self.add_order(DE)
        self.sync()
        items = [{"sku": "MUG-01", "quantity": 1, "breakdowns": [("ProductCharges", "10.00")]}]
        # Posted within the windows' overlap: the next import reads them again.
        values = {"transaction_type": "Shipment", "items": items, "posted": ago(hours=5)}
        good = self.add_money(amazon.order_id, **values)
        nul = self.add_money(amazon.order_id, **values)
        nul.description = "Order\x00Payment"
        long_id = self.add_money(amazon.order_id, **values)
        long_id.transaction_id = secrets.token_urlsafe(3000)
        counts = self.import_transactions()
        self.assertEqual((counts.created, counts.failed), (1, 2))
        booked = self.transactions().filtered(lambda t: not t.raw)
        self.assertEqual(booked.ref, good.transaction_id)
        unreadable = self.transactions().filtered("raw")
        self.assertEqual(len(unreadable), 2)
        self.assertTrue(all(len(ref) < 100 for ref in unreadable.mapped("ref")))
        self.assertTrue(self.account.last_finances_sync)
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "finances")[:1]
        self.assertEqual(log.state, "partial")
        # Read again (the windows overlap): nothing twice.
        self.import_transactions()
        self.assertEqual(len(self.transactions()), 3)
