"""What Buy Shipping labels cost, in the accounts (issue #37): a label bought
is Amazon's vendor bill on the shipping product's expense account; Amazon's
charge of it in the payout pays that bill (on Amazon's payable, reconciled),
never an expense twice; a cancelled label's refund pays its credit note."""

from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SELLER_ID
from .test_buy_shipping import BuyShippingCase
from .test_orders import ago
from .test_refunds import MoneyCase


@tagged("post_install", "-at_install")
class TestBuyShippingCosts(BuyShippingCase, MoneyCase):
    def setUp(self):
        super().setUp()
        # Amazon adds the labels' charges to the seller's open payout.
        self.group = self.emulator.store.add_event_group(SELLER_ID, "FEG-L", "EUR", ago(days=2))

    def close_payout(self):
        for transaction in self.emulator.store.transactions:
            # Amazon lists what was posted over 2 minutes ago.
            transaction.posted -= timedelta(hours=1)
        group = self.group
        group.processing_status = "Closed"
        group.fund_transfer_status = "Succeeded"
        group.end = group.transfer_date = ago(hours=1)
        self.import_transactions()
        return self.env["amazon.payout"].search([("ref", "=", "FEG-L")])

    def postage(self, label):
        return [
            transaction
            for transaction in self.emulator.store.transactions
            if transaction.shipment_id == label.shipment_ref
        ]

    def test_the_label_is_amazons_bill_which_the_payout_pays_once(self):
        _amazon, sale, picking = self.import_order()
        self.validate(picking)
        label = picking.sudo().amazon_label_ids
        bill = label.bill_id
        company = self.env.company
        self.assertEqual((bill.move_type, bill.state), ("in_invoice", "posted"))
        self.assertEqual(bill.partner_id, company.amazon_vendor_id)
        self.assertAlmostEqual(bill.amount_total, label.amount)
        self.assertEqual(bill.currency_id, label.currency_id)
        self.assertEqual(bill.invoice_origin, picking.name)
        product = self.amazon_shipping.product_id
        expense = product.product_tmpl_id._get_product_accounts()["expense"]
        self.assertEqual(bill.invoice_line_ids.account_id, expense)
        self.assertIn(label.tracking_ref, bill.invoice_line_ids.name)
        # Amazon charges the label to the seller's account, naming its shipment.
        (charge,) = self.postage(label)
        self.assertEqual(charge.order_id, label.picking_id.sale_id.amazon_order_ref)
        self.assertAlmostEqual(float(-charge.total), label.amount)
        # The payout pays the bill: on Amazon's payable, reconciled; no fee line.
        payout = self.close_payout()
        self.assertEqual(payout.state, "booked")
        move = payout.move_id
        paid = move.line_ids.filtered(lambda line: line.partner_id == company.amazon_vendor_id)
        self.assertEqual(paid.account_id.account_type, "liability_payable")
        self.assertAlmostEqual(paid.debit, label.amount)
        self.assertTrue(paid.reconciled)
        self.assertIn(bill.payment_state, ("paid", "in_payment"))
        self.assertFalse(move.line_ids.filtered(lambda line: "Amazon fees" in (line.name or "")))
        # Expense booked once: the bill's, and the payout only moves money.
        expense_lines = self.env["account.move.line"].search(
            [("account_id", "=", expense.id), ("parent_state", "=", "posted")]
        )
        self.assertEqual(expense_lines.move_id, bill)
        self.assertFalse(sale.order_line.filtered("is_delivery"))

    def test_a_cancelled_label_is_credited_and_its_refund_pays_the_credit_note(self):
        _amazon, _sale, picking = self.import_order()
        self.validate(picking)
        label = picking.sudo().amazon_label_ids
        picking.cancel_shipment()
        refund = label.refund_bill_id
        self.assertEqual((refund.move_type, refund.state), ("in_refund", "posted"))
        self.assertAlmostEqual(refund.amount_total, label.amount)
        self.assertEqual(len(self.postage(label)), 2)  # charged, then paid back
        payout = self.close_payout()
        self.assertEqual(payout.state, "booked")
        self.assertAlmostEqual(payout.total, 0.0)
        for document in (label.bill_id, refund):
            self.assertIn(document.payment_state, ("paid", "in_payment", "reversed"))
            payable = document.line_ids.filtered(
                lambda line: line.account_id.account_type == "liability_payable"
            )
            self.assertTrue(payable.reconciled)

    def test_a_label_without_its_bill_is_booked_by_the_payout_as_a_fee(self):
        label_model = type(self.env["amazon.shipping.label"])

        def no_journal(label):
            raise UserError("The company has no purchase journal.")

        self.patch(label_model, "_prepare_bill_values", no_journal)
        _amazon, _sale, picking = self.import_order()
        self.validate(picking)
        # The label Amazon sold stays bought; the warehouse is told why.
        self.assertEqual(picking.state, "done")
        label = picking.sudo().amazon_label_ids
        self.assertFalse(label.bill_id)
        self.assertIn("could not be booked", "".join(picking.message_ids.mapped("body")))
        payout = self.close_payout()
        fee = payout.move_id.line_ids.filtered(lambda line: "PostageBilling" in (line.name or ""))
        self.assertAlmostEqual(fee.debit, label.amount)
        self.assertNotEqual(fee.account_id.account_type, "liability_payable")
