"""Invoicing by policy (issue #18, step 1): merchant-fulfilled orders once
delivered, FBA orders once Amazon shipped them; posted in the marketplace's or
the account's journal, in the order's currency, with a business buyer's VAT;
never emailed; one order that cannot be invoiced never blocks the others."""

from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DE, US
from .test_orders import OrderSyncCase


class InvoicedCase(OrderSyncCase):
    """An account invoicing its orders by policy, in its own sales journal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.env["account.journal"].create(
            {"name": "Amazon Sales", "code": "AMZS", "type": "sale"}
        )
        cls.account.write(
            {"invoice_fbm": True, "invoice_fba": True, "invoice_journal_id": cls.journal.id}
        )

    def invoice(self):
        return self.env["amazon.invoicing"]._invoice(self.account)

    def deliver(self, sale):
        """The stock user ships the whole order."""
        delivery = sale.picking_ids
        delivery.carrier_tracking_ref = "1Z999AA1"
        for move in delivery.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        delivery.button_validate()


@tagged("post_install", "-at_install")
class TestInvoicingPolicy(InvoicedCase):
    def add_fba_order(self, items=None):
        return self.add_order(
            US,
            items or [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
        )

    def fba_order(self, items=None):
        amazon = self.add_fba_order(items)
        self.sync()
        return self.sale_of(amazon)

    def broken_and_fine_orders(self):
        """(income account, order Odoo cannot invoice, order it can): the tee's
        income account is deprecated, as an accountant may do."""
        income = self.env["account.account"].create(
            {"name": "Old income", "code": "700999", "account_type": "income"}
        )
        self.tee.property_account_income_id = income
        income.deprecated = True
        broken = self.add_fba_order(
            [{"sku": "TEE-M", "title": "Tee", "quantity": 1, "unit_price": "19.99"}]
        )
        fine = self.add_fba_order()
        self.sync()
        return income, self.sale_of(broken), self.sale_of(fine)

    def assert_never_mailed(self, invoice):
        buyer = invoice.partner_id.commercial_partner_id
        self.assertTrue(buyer.amazon_buyer)
        self.assertNotIn(buyer, invoice.message_partner_ids, "a buyer never follows")
        mails = self.env["mail.mail"].search([("recipient_ids", "in", buyer.ids)])
        self.assertFalse(mails)
        with self.assertRaises(UserError):
            invoice.action_send_and_print()

    def test_fbm_order_invoiced_once_delivered(self):
        amazon = self.add_order(
            DE,
            [{"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "11.90"}],
            business=True,
            vat_number="DE123456789",
            buyer_company="Muster GmbH",
        )
        self.sync()
        sale = self.sale_of(amazon)
        self.invoice()
        self.assertFalse(sale.invoice_ids, "not delivered yet")
        self.deliver(sale)
        counts = self.invoice()
        self.assertEqual(counts.created, 1)
        invoice = sale.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.journal_id, self.journal)
        self.assertEqual(invoice.currency_id.name, "EUR")
        self.assertEqual(invoice.partner_id.commercial_partner_id.vat, "DE123456789")
        self.assertAlmostEqual(invoice.amount_total, sale.amount_total)
        self.assertEqual(sale.invoice_status, "invoiced")
        self.assert_never_mailed(invoice)
        # Invoiced once: the next run finds nothing.
        self.assertEqual(self.invoice().created, 0)
        self.assertEqual(len(sale.invoice_ids), 1)

    def test_fba_order_invoiced_when_shipped_in_the_marketplace_journal(self):
        us_journal = self.env["account.journal"].create(
            {"name": "Amazon.com Sales", "code": "AMZUS", "type": "sale"}
        )
        self.marketplace[US].with_company(self.env.company).journal_id = us_journal
        sale = self.fba_order()
        self.invoice()
        invoice = sale.invoice_ids
        self.assertEqual((invoice.state, invoice.journal_id), ("posted", us_journal))
        self.assertEqual(invoice.currency_id.name, "USD")
        self.assert_never_mailed(invoice)

    def test_orders_of_the_shared_amazon_customer_are_never_mailed_nor_duplicates(self):
        """Issue #40: orders without personal data go to one "Amazon Customer";
        their invoices (same amount, same day) are neither emailed nor Odoo's
        suspected duplicates."""
        self.add_anonymous_fba_order("Seattle", "WA", "98101")
        self.add_anonymous_fba_order("Austin", "TX", "73301")
        self.sync()
        self.invoice()
        invoices = self.env["account.move"].search(
            [("partner_id.ref", "=", "AMAZON-CUSTOMER"), ("move_type", "=", "out_invoice")]
        )
        self.assertEqual(len(invoices), 2)
        self.assertEqual(len(set(invoices.mapped("amount_total"))), 1)
        for invoice in invoices:
            self.assertFalse(invoice.duplicated_ref_ids)
            with self.assertRaises(UserError):
                invoice.action_send_and_print()

    def test_manual_policy_invoices_nothing(self):
        self.account.write({"invoice_fbm": False, "invoice_fba": False})
        sale = self.fba_order()
        self.env["amazon.invoicing"]._cron_invoice()
        self.assertFalse(sale.invoice_ids)
        self.assertEqual(sale.invoice_status, "to invoice")

    def test_an_order_that_cannot_be_invoiced_never_blocks_the_batch(self):
        income, broken, fine = self.broken_and_fine_orders()
        counts = self.invoice()
        self.assertEqual((counts.created, counts.failed), (1, 1))
        self.assertEqual(fine.invoice_ids.state, "posted")
        self.assertFalse(broken.invoice_ids, "nothing half-made")
        (activity,) = broken.activity_ids
        self.assertIn("deprecated", activity.note)
        self.assertIn("deprecated", broken.amazon_invoice_error)
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "invoices")], limit=1
        )
        self.assertEqual(log.state, "partial")
        # Fixed: the next run invoices it, and the activity is not repeated.
        self.invoice()
        self.assertEqual(len(broken.activity_ids), 1)
        income.deprecated = False
        self.invoice()
        self.assertEqual(broken.invoice_ids.state, "posted")
        self.assertFalse(broken.amazon_invoice_error)

    def test_a_database_error_is_one_order_s_failure(self):
        """Issue #34: an order whose invoice the database refuses (here: a
        reference another invoice of the journal holds, against a unique
        index) rolls back alone, says why on the order, and the others are
        invoiced."""
        first, *orders = (self.add_fba_order() for _n in range(4))
        self.sync()
        sales = [self.sale_of(order) for order in orders]
        self.env["amazon.invoicing"]._invoice(self.account, limit=1)
        taken = self.sale_of(first).invoice_ids.name
        self.assertTrue(taken)
        Invoicing = type(self.env["amazon.invoicing"])
        post = Invoicing._invoice_order

        def clashing(flow, run, sale):
            invoices = post(flow, run, sale)
            if sale == sales[1]:
                flow.env.cr.execute(
                    "UPDATE account_move SET name = %s WHERE id = ANY(%s)", (taken, invoices.ids)
                )
            return invoices

        with patch.object(Invoicing, "_invoice_order", clashing):
            counts = self.invoice()
        self.assertEqual((counts.created, counts.failed), (2, 1))
        self.assertEqual([bool(sale.invoice_ids) for sale in sales], [True, False, True])
        self.assertIn("UniqueViolation", sales[1].amazon_invoice_error)
        self.invoice()  # the next run (unpatched) invoices it
        self.assertEqual(sales[1].invoice_ids.state, "posted")

    def test_orders_that_failed_never_hold_the_others_back(self):
        _income, broken, fine = self.broken_and_fine_orders()
        self.assertLess(broken.id, fine.id)
        Invoicing = self.env["amazon.invoicing"]
        self.assertEqual(Invoicing._invoice(self.account, limit=1).failed, 1)
        self.assertTrue(broken.amazon_invoice_error)
        # A batch of one: the failed order waits behind the others.
        counts = Invoicing._invoice(self.account, limit=1)
        self.assertEqual((counts.created, counts.failed), (1, 0))
        self.assertEqual(fine.invoice_ids.state, "posted")


@tagged("post_install", "-at_install")
class TestForeignVat(InvoicedCase):
    """Issue #40: German VAT (a tax of Germany) on a company of another country,
    the way README's Taxes section tells a seller: Odoo posts such invoices
    only under a fiscal position with the company's German VAT number."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        germany = env.ref("base.de")
        group = env["account.tax.group"].create(
            {"name": "DE VAT", "country_id": germany.id, "company_id": env.company.id}
        )
        cls.german_vat = env["account.tax"].create(
            {
                "name": "DE VAT 19% (included)",
                "amount": 19.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
                "tax_group_id": group.id,
                "country_id": germany.id,
            }
        )
        cls.fp_de.tax_ids.tax_dest_id = cls.german_vat
        if env.company.account_fiscal_country_id == germany:
            env.company.account_fiscal_country_id = env.ref("base.us")

    def german_fba_order(self):
        amazon = self.add_order(
            DE,
            [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
        )
        self.sync()
        return self.sale_of(amazon)

    def test_without_the_german_vat_number_the_log_names_the_order_and_why(self):
        self.fp_de.foreign_vat = False
        sale = self.german_fba_order()
        counts = self.invoice()
        self.assertEqual(counts.failed, 1)
        self.assertFalse(sale.invoice_ids.filtered(lambda m: m.state == "posted"))
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "invoices")[:1]
        self.assertEqual(log.state, "partial")
        (problem,) = log.problem_ids
        self.assertEqual(problem.record_ref, sale)
        self.assertIn("incompatible with your fiscal country", problem.reason)
        self.assertIn(sale.display_name, log.error)
        action = problem.with_user(self.sales_manager).action_open_record()
        self.assertEqual((action["res_model"], action["res_id"]), ("sale.order", sale.id))
        # The order's activity reads as one sentence ("configuration.. Fix it" no more).
        (activity,) = sale.activity_ids
        self.assertIn("fiscal country", activity.note)
        self.assertNotIn("..", activity.note)

    def test_with_it_every_order_is_invoiced(self):
        self.fp_de.foreign_vat = "DE123456788"
        sale = self.german_fba_order()
        self.assertEqual(sale.fiscal_position_id, self.fp_de)
        counts = self.invoice()
        self.assertEqual((counts.created, counts.failed), (1, 0))
        invoice = sale.invoice_ids
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.invoice_line_ids[0].tax_ids, self.german_vat)
        self.assertAlmostEqual(invoice.amount_total, 11.90)
