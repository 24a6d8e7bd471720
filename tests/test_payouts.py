"""Amazon's payouts booked (issue #18, step 5): one journal entry per closed
payout, the buyers' money reconciled with the invoices and credit notes, the
fees per type on their accounts, the reserve apart, and the clearing account
holding exactly the transfer; the same payout read twice is booked once."""

from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DE, SELLER_ID
from .test_orders import ago
from .test_refunds import MoneyCase


@tagged("post_install", "-at_install")
class TestPayouts(MoneyCase):
    def money(self, transaction_type, amazon=None, items=(), breakdowns=(), **values):
        values.setdefault("posted", ago(days=3))
        return self.emulator.store.add_transaction(
            SELLER_ID,
            DE,
            transaction_type,
            order_id=amazon.order_id if amazon else "",
            group_id="FEG-9",
            items=list(items),
            breakdowns=list(breakdowns),
            **values,
        )

    def invoiced_order(self, quantity):
        amazon = self.add_order(
            DE, [{"sku": "MUG-01", "title": "Mug", "quantity": quantity, "unit_price": "11.90"}]
        )
        return amazon

    def mugs(self, quantity, amount):
        return [{"sku": "MUG-01", "quantity": quantity, "breakdowns": [("ProductCharges", amount)]}]

    def test_a_payout_with_sales_fees_a_refund_and_a_reserve_balances_to_the_transfer(self):
        first, second = self.invoiced_order(2), self.invoiced_order(1)
        self.sync()
        for amazon in (first, second):
            self.deliver(self.sale_of(amazon))
        self.invoice()
        invoice_1 = self.sale_of(first).invoice_ids
        invoice_2 = self.sale_of(second).invoice_ids
        group = self.emulator.store.add_event_group(SELLER_ID, "FEG-9", "EUR", ago(days=10))
        self.money("Shipment", first, self.mugs(2, "23.80"), [("Commission", "-3.57")])
        self.money("Shipment", second, self.mugs(1, "11.90"), [("Commission", "-1.79")])
        self.refund(
            second,
            self.mugs(1, "-11.90"),
            breakdowns=[("Commission", "1.43"), ("RefundAdministrationFee", "-0.36")],
            group_id="FEG-9",
            posted=ago(days=2),
        )
        self.money("ServiceFee", breakdowns=[("Subscription", "-9.99")])
        self.money("Reserve", breakdowns=[("CurrentReserveAmount", "-5.00")])
        self.import_transactions()
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-9")])
        self.assertEqual(payout.state, "open", "Amazon still adds to it: nothing booked")
        self.assertFalse(payout.move_id)
        credit_note = self.refund_transaction(second).credit_note_id
        self.assertEqual(credit_note.state, "posted")
        # Amazon closes the period and transfers 23.80 - 3.57 + 11.90 - 1.79
        # - 11.90 + 1.43 - 0.36 - 9.99 - 5.00 = 4.52.
        group.processing_status = "Closed"
        group.fund_transfer_status = "Succeeded"
        group.end = group.transfer_date = ago(hours=2)
        group.trace_id = "TRACE-9"
        counts = self.import_transactions()
        self.assertEqual(counts.extra["payouts_booked"], 1)
        self.assertEqual(payout.state, "booked")
        self.assertAlmostEqual(payout.total, 4.52)
        move = payout.move_id
        company = self.env.company
        self.assertEqual(
            (move.state, move.journal_id), ("posted", company.amazon_payout_journal_id)
        )
        # The clearing account holds exactly the transfer, for the bank's line.
        clearing = move.line_ids.filtered(
            lambda line: line.account_id == company.amazon_clearing_account_id
        )
        self.assertAlmostEqual(sum(clearing.mapped("amount_currency")), 4.52)
        self.assertIn("TRACE-9", clearing.name)
        # The buyers' money settles the invoices and the credit note.
        # (Odoo matched the credit note with the invoice it reverses as it
        # posted it; the second order's payment and refund then match each other.)
        for document in (invoice_1, invoice_2, credit_note):
            self.assertTrue(document.currency_id.is_zero(document.amount_residual), document.name)
        receivable = invoice_1.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(receivable.matched_credit_ids.credit_move_id.move_id, move)
        buyers = move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )
        self.assertEqual(len(buyers), 3, "two payments, one refund")
        self.assertTrue(all(buyers.mapped("reconciled")))
        # Fees per type, on their accounts (made on the default Amazon Fees account).
        mappings = self.env["amazon.fee.account"].search([("company_id", "=", company.id)])
        self.assertEqual(
            set(mappings.mapped("name")), {"Commission", "RefundAdministrationFee", "Subscription"}
        )
        fee_lines = move.line_ids.filtered(
            lambda line: line.account_id == company.amazon_fee_account_id
        )
        self.assertAlmostEqual(sum(fee_lines.mapped("amount_currency")), 3.93 + 0.36 + 9.99)
        reserve = move.line_ids.filtered(
            lambda line: line.account_id == company.amazon_reserve_account_id
        )
        self.assertAlmostEqual(reserve.amount_currency, 5.00)
        # Read again (overlapping windows, the payout listed again): booked once.
        self.account.last_finances_sync = datetime.now() - timedelta(days=9)
        counts = self.import_transactions()
        self.assertEqual(counts.extra["payouts_booked"], 0)
        self.assertEqual(payout.move_id, move)
        self.assertEqual(
            self.env["account.move"].search_count(
                [("journal_id", "=", company.amazon_payout_journal_id.id)]
            ),
            1,
        )

    def test_a_payout_missing_a_transaction_is_to_check(self):
        """A transaction Odoo cannot read is kept as Amazon sent it; the payout
        it belongs to does not add up and is not booked: To Check, with why."""
        amazon = self.invoiced_order(1)
        self.sync()
        self.emulator.store.add_event_group(
            SELLER_ID,
            "FEG-9",
            "EUR",
            ago(days=10),
            processing_status="Closed",
            transfer_date=ago(days=1),
            beginning_balance="-2.00",  # a debt Amazon carried over: part of the total
        )
        self.money("Shipment", amazon, self.mugs(1, "11.90"), [("Commission", "-1.79")])
        broken = self.money("ServiceFee", breakdowns=[("Subscription", "-9.99")])
        broken.unreadable = True
        self.import_transactions()
        unreadable = self.env["amazon.finance.transaction"].search(
            [("ref", "=", broken.transaction_id)]
        )
        self.assertEqual(unreadable.kind, "Unreadable")
        self.assertIn("Subscription", unreadable.raw)
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-9")])
        self.assertEqual((payout.state, payout.move_id.id), ("to_check", False))
        self.assertAlmostEqual(payout.total, 11.90 - 1.79 - 9.99 - 2.00)
        self.assertIn("missing or unreadable", payout.note)
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "finances")], limit=1
        )
        self.assertEqual(log.state, "partial")

    def test_a_payout_in_a_currency_odoo_lacks_is_never_booked_in_another(self):
        """Issue #33: not in the company's currency in its place: To Check, with
        the currency named, and its money set aside."""
        self.emulator.store.add_event_group(
            SELLER_ID, "FEG-9", "XQQ", ago(days=10), processing_status="Closed"
        )
        self.money("ServiceFee", breakdowns=[("Subscription", "-9.99")], currency="XQQ")
        self.import_transactions()
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-9")])
        self.assertFalse(payout.currency_id)
        self.assertEqual((payout.state, payout.move_id.id), ("to_check", False))
        self.assertIn("XQQ is not in Odoo", payout.note)

    def test_only_accounting_managers_book_payouts(self):
        self.emulator.store.add_event_group(
            SELLER_ID, "FEG-9", "EUR", ago(days=10), processing_status="Closed"
        )
        self.money("ServiceFee", breakdowns=[("Subscription", "-9.99")])
        self.import_transactions()
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-9")])
        accountant = new_test_user(
            self.env, login="amazon_payout_billing", groups="account.group_account_invoice"
        )
        with self.assertRaises(AccessError):
            payout.with_user(accountant).action_book()

    def test_the_transfer_is_matched_with_the_banks_statement_line(self):
        store = self.emulator.store
        group = store.add_event_group(
            SELLER_ID,
            "FEG-31",
            "EUR",
            ago(days=10),
            processing_status="Closed",
            fund_transfer_status="Succeeded",
            trace_id="TRACE-31",
        )
        group.end = group.transfer_date = ago(hours=2)
        store.add_transaction(
            SELLER_ID,
            DE,
            "ServiceFee",
            group_id="FEG-31",
            posted=ago(days=3),
            breakdowns=[("AdvertisingRefund", "30.00"), ("Subscription", "-4.50")],
        )
        eur = self.env.ref("base.EUR")
        bank = self.env["account.journal"].create(
            {"name": "Bank EUR", "code": "BEUR", "type": "bank", "currency_id": eur.id}
        )
        StatementLine = self.env["account.bank.statement.line"]
        today = datetime.now().date()
        transfer, decoy = StatementLine.create(
            [
                {
                    "journal_id": bank.id,
                    "date": today,
                    "amount": 25.50,
                    "payment_ref": "AMAZON EU SARL TRACE-31",
                },
                {
                    "journal_id": bank.id,
                    "date": today,
                    "amount": 20.00,
                    "payment_ref": "AMAZON EU SARL TRACE-31",
                },
            ]
        )
        counts = self.import_transactions()
        self.assertEqual((counts.extra["payouts_booked"], counts.extra["payouts_matched"]), (1, 1))
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-31")])
        clearing = payout.move_id.line_ids.filtered(
            lambda line: line.account_id == self.env.company.amazon_clearing_account_id
        )
        self.assertTrue(clearing.reconciled)
        self.assertTrue(transfer.is_reconciled)
        self.assertFalse(decoy.is_reconciled, "another amount is another transfer")
        # Read again: nothing more to match.
        self.assertEqual(self.import_transactions().extra["payouts_matched"], 0)

    def test_a_database_error_while_booking_is_that_payout_s_alone(self):
        """Issue #34: whatever stops one payout's booking, a database error
        included, leaves that payout To Check with why; the run goes on."""
        amazon = self.invoiced_order(1)
        self.sync()
        self.emulator.store.add_event_group(
            SELLER_ID, "FEG-9", "EUR", ago(days=10), processing_status="Closed"
        )
        self.money("Shipment", amazon, self.mugs(1, "11.90"), [("Commission", "-1.79")])
        booking = type(self.env["amazon.payout.booking"])

        def broken(model, account, payout):
            model.env.cr.execute("SELECT 1 / 0")

        with patch.object(booking, "_book_payout", broken):
            self.import_transactions()
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-9")])
        self.assertEqual(payout.state, "to_check")
        self.assertIn("DivisionByZero", payout.note)
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "finances")], limit=1
        )
        self.assertEqual(log.state, "partial")
