"""Amazon refunds as credit notes (issue #18, step 4): a Refund transaction
reverses the order's posted invoice for what the buyer got back (product with
its tax, shipping), never Amazon's own fees; linked to the order and to the
customer return; once per refund, however often it is read; a refund before
the invoice waits for it."""

from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import DE, SELLER_ID, US
from .test_invoicing import InvoicedCase
from .test_orders import ago


class MoneyCase(InvoicedCase):
    """Orders invoiced by policy, and Amazon's money about them."""

    def setUp(self):
        super().setUp()
        self.emulator.store.transactions.clear()
        self.emulator.store.event_groups.clear()
        self.emulator.store.returns.clear()

    # --- helpers ---------------------------------------------------------------------
    def import_transactions(self, since=None):
        if since:
            self.account.last_finances_sync = since
        return self.env["amazon.finance.import"]._run(self.account)

    def refund(self, amazon, items, **values):
        values.setdefault("posted", ago(hours=5))
        values.setdefault("group_id", "G-2")
        return self.emulator.store.add_transaction(
            SELLER_ID,
            amazon.marketplace_id,
            "Refund",
            order_id=amazon.order_id,
            refund_id=f"R-{amazon.order_id}",
            items=items,
            **values,
        )

    def refund_transaction(self, amazon):
        return self.env["amazon.finance.transaction"].search(
            [
                ("account_id", "=", self.account.id),
                ("kind", "=", "Refund"),
                ("amazon_order_ref", "=", amazon.order_id),
            ]
        )


@tagged("post_install", "-at_install")
class TestRefundCreditNotes(MoneyCase):
    def test_a_partial_refund_becomes_a_credit_note_once(self):
        amazon = self.add_order(
            DE, [{"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "23.80"}]
        )
        self.sync()
        sale = self.sale_of(amazon)
        self.deliver(sale)
        self.invoice()
        invoice = sale.invoice_ids
        self.assertEqual(invoice.state, "posted")
        # One mug of two back to the buyer (10.00 + 1.90 VAT); Amazon returns
        # part of its fee and keeps an administration fee: not the buyer's.
        self.refund(
            amazon,
            [
                {
                    "sku": "MUG-01",
                    "quantity": 1,
                    "breakdowns": [
                        ("ProductCharges", "-10.00"),
                        ("Tax", "-1.90"),
                        ("AmazonFees", "1.43"),
                    ],
                }
            ],
            breakdowns=[("RefundAdministrationFee", "-0.29")],
        )
        counts = self.import_transactions()
        self.assertEqual(counts.extra["credit_notes"], 1)
        transaction = self.refund_transaction(amazon)
        credit_note = transaction.credit_note_id
        self.assertEqual((transaction.refund_state, credit_note.state), ("done", "posted"))
        self.assertEqual(credit_note.move_type, "out_refund")
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        self.assertEqual(
            (credit_note.journal_id, credit_note.currency_id, credit_note.partner_id),
            (invoice.journal_id, invoice.currency_id, invoice.partner_id),
        )
        (line,) = credit_note.invoice_line_ids
        invoiced = invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.mug)
        self.assertEqual((line.product_id, line.quantity), (self.mug, 1))
        self.assertEqual(line.tax_ids, invoiced.tax_ids)
        self.assertAlmostEqual(credit_note.amount_total, 11.90)
        self.assertAlmostEqual(credit_note.amount_tax, 1.90)
        # On the order, as Odoo's own reversals are: one mug of two invoiced now.
        self.assertIn(credit_note, sale.invoice_ids)
        self.assertEqual(
            sale.order_line.filtered(lambda line: line.product_id == self.mug).qty_invoiced, 1
        )
        # Read again (the windows overlap) and invoicing runs: nothing twice.
        counts = self.import_transactions(since=datetime.now() - timedelta(days=1))
        self.assertEqual(counts.extra["credit_notes"], 0)
        self.invoice()
        self.assertEqual(len(sale.invoice_ids), 2, "one invoice, one credit note")
        self.assertEqual(
            self.env["account.move"].search_count([("reversed_entry_id", "=", invoice.id)]), 1
        )

    def test_a_refund_waits_for_the_invoice_and_credits_the_return(self):
        self.account.invoice_fba = False
        amazon = self.add_order(
            US,
            [
                {
                    "sku": "MUG-01",
                    "title": "Mug",
                    "quantity": 2,
                    "unit_price": "23.80",
                    "shipping_price": "4.99",
                }
            ],
            fulfilled_by="AMAZON",
            status="SHIPPED",
        )
        self.sync()
        sale = self.sale_of(amazon)
        self.emulator.store.add_return(
            SELLER_ID,
            US,
            amazon.order_id,
            "MUG-01",
            1,
            moment=ago(hours=3),
            disposition="SELLABLE",
            license_plate_number="LPN-R",
        )
        Returns = self.env["amazon.return.import"]
        Returns._run(self.account)
        Returns._run(self.account)
        customer_return = self.env["amazon.return"].search([("sale_order_id", "=", sale.id)])
        self.assertEqual(customer_return.state, "booked")
        self.refund(
            amazon,
            [
                {
                    "sku": "MUG-01",
                    "quantity": 1,
                    "breakdowns": [("ProductCharges", "-23.80"), ("ShippingCharges", "-4.99")],
                }
            ],
        )
        counts = self.import_transactions()
        self.assertEqual((counts.extra["credit_notes"], counts.extra["refunds_waiting"]), (0, 1))
        transaction = self.refund_transaction(amazon)
        self.assertEqual(transaction.refund_state, "waiting")
        self.assertIn("not posted", transaction.refund_note)
        # The account invoices its FBA orders now: the invoice, then its refund.
        self.account.invoice_fba = True
        counts = self.invoice()
        self.assertEqual((counts.created, counts.extra["credit_notes"]), (1, 1))
        invoice = sale.invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        credit_note = transaction.credit_note_id
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        mug_line, shipping_line = credit_note.invoice_line_ids.sorted(
            lambda line: line.product_id != self.mug
        )
        invoiced_mug = invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.mug)
        invoiced_shipping = invoice.invoice_line_ids.filtered(
            lambda line: line.sale_line_ids and not line.sale_line_ids.amazon_item_ref
        )
        self.assertEqual(shipping_line.product_id, invoiced_shipping.product_id)
        self.assertEqual(shipping_line.sale_line_ids, invoiced_shipping.sale_line_ids)
        # Half the mugs and all the shipping, as invoiced (net price, Odoo's taxes).
        self.assertAlmostEqual(mug_line.price_subtotal, invoiced_mug.price_subtotal / 2)
        self.assertEqual(mug_line.tax_ids, invoiced_mug.tax_ids)
        self.assertAlmostEqual(shipping_line.price_total, invoiced_shipping.price_total)
        self.assertEqual(
            (customer_return.credit_note_id, transaction.return_id), (credit_note, customer_return)
        )

    def test_a_refund_odoo_cannot_book_is_to_check_and_never_blocks_the_others(self):
        odd = self.add_order(DE)
        fine = self.add_order(DE)
        self.sync()
        for amazon in (odd, fine):
            sale = self.sale_of(amazon)
            self.deliver(sale)
        self.invoice()
        # A SKU the order never had: nothing to reverse; said, not guessed.
        self.refund(
            odd,
            [{"sku": "TEE-M", "quantity": 1, "breakdowns": [("ProductCharges", "-19.99")]}],
            posted=ago(hours=6),
        )
        self.refund(
            fine, [{"sku": "MUG-01", "quantity": 1, "breakdowns": [("ProductCharges", "-11.90")]}]
        )
        counts = self.import_transactions()
        self.assertEqual((counts.extra["credit_notes"], counts.failed), (1, 1))
        odd_refund, fine_refund = self.refund_transaction(odd), self.refund_transaction(fine)
        self.assertEqual((odd_refund.refund_state, odd_refund.credit_note_id.id), ("error", False))
        self.assertIn("TEE-M", odd_refund.refund_note)
        self.assertEqual(fine_refund.credit_note_id.state, "posted")
        self.assertFalse(
            self.sale_of(odd).invoice_ids.filtered(lambda m: m.move_type == "out_refund"),
            "nothing half-made",
        )
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "finances")], limit=1
        )
        self.assertEqual(log.state, "partial")
