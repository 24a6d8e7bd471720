"""Amazon's money in (issue #18, step 3): the seller's transactions
(Finances 2024-06-19 listTransactions) kept in Odoo once each, with their
breakdown, linked to their order; read by windows that overlap and resume."""

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

    def import_transactions(self):
        return self.env["amazon.finance.import"]._import(self.account)

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
        self.assertEqual((counts["fetched"], counts["created"]), (2, 2))
        shipment, refund = self.transactions().sorted("posted")
        self.assertEqual((shipment.kind, shipment.sale_order_id), ("Shipment", sale))
        self.assertAlmostEqual(shipment.total, 10.11)
        self.assertEqual(shipment.currency_id.name, "EUR")
        self.assertEqual(
            sorted(shipment.line_ids.mapped(lambda line: (line.sku or "", line.breakdown_type))),
            [("", "AmazonFees"), ("MUG-01", "ProductCharges"), ("MUG-01", "Tax")],
        )
        self.assertEqual(
            (refund.refund_ref, refund.group_ref, refund.status), ("R-1", "G2", "DEFERRED")
        )
        # Read again (the windows overlap): nothing twice; a status Amazon changed follows.
        self.emulator.store.transactions[1].status = "DEFERRED_RELEASED"
        self.account.last_finances_sync = datetime.now() - timedelta(days=1)
        counts = self.import_transactions()
        self.assertEqual((counts["created"], counts["updated"]), (0, 1))
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
