"""No bad record ever stops the money flows (issue #34): for any page of
transactions or of Amazon's invoices, each valid or mutated away from
Amazon's model, no exception escapes a unit's boundary, every valid unit
lands, the counts add up, and a re-run duplicates nothing."""

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from odoo.tests import tagged

from ..spapi_emulator import fee_invoices as emulated_invoices
from ..spapi_emulator.finances import render_transaction
from ..spapi_emulator.store import isoformat
from .common import DE, SELLER_ID
from .test_flow_robustness import HOSTILE_VALUES, _paths, examples, rolled_back
from .test_orders import OrderSyncCase, ago


def _mutations(paths):
    return st.lists(st.tuples(st.sampled_from(paths), HOSTILE_VALUES), max_size=2)


@tagged("post_install", "-at_install")
class TestTransactionsFlowProperties(OrderSyncCase):
    def setUp(self):
        super().setUp()
        self.emulator.store.transactions.clear()
        self.emulator.store.event_groups.clear()

    def add_money(self, n):
        return self.emulator.store.add_transaction(
            SELLER_ID,
            DE,
            "Shipment",
            posted=ago(days=3, minutes=n),
            order_id=f"302-0000000-{n:07d}",
            items=[{"sku": "MUG-01", "quantity": 1, "breakdowns": [("ProductCharges", "9.99")]}],
            breakdowns=[("AmazonFees", "-1.50")],
        )

    def test_any_page_of_transactions_keeps_the_valid_ones_once(self):
        store = self.emulator.store
        paths = list(_paths(render_transaction(self.add_money(0), isoformat)))
        store.transactions.clear()

        @examples(15)
        @given(st.lists(_mutations(paths), min_size=1, max_size=6))
        def check(page):
            store.transactions.clear()
            rolled_back(self.env, self.check_page, page)

        check()

    def check_page(self, page):
        transactions = []
        for n, corruptions in enumerate(page):
            transaction = self.add_money(n)
            transaction.corruptions = list(corruptions)
            transactions.append(transaction)
        Import = self.env["amazon.finance.import"]
        result = Import._run(self.account)  # raises nothing: each transaction its own
        self.assertEqual(result.fetched, len(transactions))
        self.assertLessEqual(result.created + result.failed, len(transactions))
        mine = self.env["amazon.finance.transaction"].search([("account_id", "=", self.account.id)])
        readable = {record.ref for record in mine if not record.raw}
        for transaction in transactions:
            if not transaction.corruptions:
                self.assertIn(transaction.transaction_id, readable)
        # The same window read again: nothing new, nothing twice.
        self.account.last_finances_sync = False
        again = Import._run(self.account)
        self.assertEqual(again.created, 0)
        kept = self.env["amazon.finance.transaction"].search([("account_id", "=", self.account.id)])
        self.assertEqual(kept, mine)
        self.assertEqual(len(set(kept.mapped("ref"))), len(kept))


@tagged("post_install", "-at_install")
class TestAmazonInvoicesFlowProperties(OrderSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.import_fee_invoices = True

    def setUp(self):
        super().setUp()
        self.emulator.store.fee_invoices.clear()

    def add_invoice(self, n):
        return self.emulator.store.add_fee_invoice(
            SELLER_ID,
            DE,
            f"DE-AEU-2026-{n}",
            datetime.now() - timedelta(days=3, minutes=n),
            [{"description": "Selling fees", "amount": "20.00", "tax": "3.80"}],
            payee_name="Amazon EU S.a r.l.",
        )

    def bills(self):
        return self.env["account.move"].search(
            [("amazon_fee_invoice_ref", "!=", False), ("company_id", "=", self.env.company.id)]
        )

    def test_any_page_of_amazons_invoices_books_the_valid_ones_once(self):
        store = self.emulator.store
        paths = list(_paths(emulated_invoices.render_header(self.add_invoice(0), isoformat)))
        store.fee_invoices.clear()

        @examples(10)
        @given(st.lists(_mutations(paths), min_size=1, max_size=5))
        def check(page):
            store.fee_invoices.clear()
            rolled_back(self.env, self.check_page, page)

        check()

    def check_page(self, page):
        invoices = []
        for n, corruptions in enumerate(page):
            invoice = self.add_invoice(n)
            invoice.corruptions = list(corruptions)
            invoices.append(invoice)
        self.account.last_fee_invoice_sync = False
        Import = self.env["amazon.fee.invoice.import"]
        result = Import._run(self.account)  # raises nothing: each invoice its own
        self.assertLessEqual(result.created + result.failed + result.skipped, len(invoices))
        bills = self.bills()
        self.assertEqual(len(bills), result.created)
        refs = set(bills.mapped("ref"))
        for invoice in invoices:
            if not invoice.corruptions:
                self.assertIn(invoice.number, refs)
        self.account.last_fee_invoice_sync = False
        again = Import._run(self.account)
        self.assertEqual(again.created, 0)
        self.assertEqual(self.bills(), bills)
