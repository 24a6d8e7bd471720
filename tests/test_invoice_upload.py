"""Invoices uploaded to Amazon (issue #18): where the seller issues its own
invoices, each invoice and credit note of an Amazon order goes to Amazon once,
as Odoo's PDF with the feed options Amazon documents; Amazon's refusal is shown
on the invoice and uploaded again only when an accountant says so; without
wkhtmltopdf nothing is sent and the run says why."""

from odoo.addons.base.models import ir_actions_report
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import DE, US
from .test_refunds import MoneyCase


@tagged("post_install", "-at_install")
class TestInvoiceUpload(MoneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.upload_invoices = True

    def setUp(self):
        super().setUp()
        self.emulator.store.vat_invoices.clear()
        if ir_actions_report.wkhtmltopdf_state == "install" and "without_wkhtmltopdf" not in (
            self._testMethodName
        ):
            # scripts/test.sh installs it where it may (root, apt-get).
            self.skipTest("wkhtmltopdf is not installed: Odoo cannot make the invoices' PDF")

    def upload(self):
        return self.env["amazon.invoice.upload"]._upload(self.account)

    def invoiced_order(self, marketplace=DE, quantity=2):
        amazon = self.add_order(
            marketplace,
            [{"sku": "MUG-01", "title": "Mug", "quantity": quantity, "unit_price": "23.80"}],
        )
        self.sync()
        sale = self.sale_of(amazon)
        self.deliver(sale)
        self.invoice()
        return amazon, sale, sale.invoice_ids

    def received(self):
        return self.emulator.store.vat_invoices

    def last_log(self):
        return self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "invoice_uploads")], limit=1
        )

    def test_an_eu_invoice_is_uploaded_once_with_its_feed_options(self):
        amazon, _sale, invoice = self.invoiced_order()
        self.assertEqual(invoice.amazon_upload_state, "to_upload")
        self.assertEqual(invoice.amazon_upload_order_ref, amazon.order_id)
        counts = self.upload()
        self.assertEqual(counts.created, 1)
        self.assertEqual(invoice.amazon_upload_state, "sent")
        # Amazon's answer read at the next run; later runs send nothing more.
        self.upload()
        self.assertEqual(invoice.amazon_upload_state, "done")
        [received] = self.received()
        self.assertEqual(
            received.options,
            {
                "metadata:OrderId": amazon.order_id,
                "metadata:InvoiceNumber": invoice.name,
                "metadata:TotalAmount": "47.60",
                "metadata:TotalVATAmount": "7.60",
                "metadata:DocumentType": "Invoice",
            },
        )
        self.assertEqual(received.marketplace_id, DE)
        # Odoo's own PDF of the invoice, the one it keeps on the invoice.
        self.assertTrue(received.pdf.startswith(b"%PDF-"))
        self.assertEqual(received.pdf, invoice.invoice_pdf_report_id.raw)
        self.upload()
        self.assertEqual(len(self.received()), 1)
        self.assertEqual(self.last_log().state, "done")
        # Posted again after a reset to draft: already on Amazon, not sent again.
        invoice.button_draft()
        invoice.action_post()
        self.assertEqual(invoice.amazon_upload_state, "done")

    def test_an_answer_elsewhere_is_never_fetched_and_left_to_a_person(self):
        """Issue #33: Amazon's report on the upload names a document URL that is
        not Amazon's storage: never fetched, never asked again; the invoice
        says why and that Amazon may have it, and the run's log links it."""
        _amazon, _sale, invoice = self.invoiced_order()
        self.upload()
        self.assertEqual(invoice.amazon_upload_state, "sent")
        self.emulator.faults.add("getFeedDocument", "foreign_url")
        self.upload()
        self.assertEqual(invoice.amazon_upload_state, "error")
        self.assertIn("169.254.169.254", invoice.amazon_upload_error)
        self.assertIn("Amazon may have the invoice", invoice.amazon_upload_error)
        log = self.last_log()
        self.assertEqual(log.state, "partial")
        self.assertEqual(log.problem_ids.record_ref, invoice)
        asked = len(self.emulator.calls_for("getFeed"))
        self.upload()
        self.assertEqual(len(self.emulator.calls_for("getFeed")), asked, "never asked again")
        self.assertEqual(len(self.received()), 1, "not sent again by itself")

    def test_a_report_that_does_not_read_is_its_invoice_s_alone(self):
        """Issue #34: Amazon's processing report of one upload is garbled (a
        count in superscript digits, NUL characters): that invoice is Refused
        with what Amazon wrote, for a person to check; the other upload's
        report is read, and the run goes on."""
        line = {"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "23.80"}
        orders = [self.add_order(DE, [line]) for _n in range(2)]
        self.sync()
        sales = [self.sale_of(order) for order in orders]
        for sale in sales:
            self.deliver(sale)
        self.invoice()
        garbled, fine = (sale.invoice_ids for sale in sales)
        self.assertEqual(self.upload().created, 2)
        store = self.emulator.store
        feed = store.feeds[garbled.amazon_upload_feed_ref]
        self.emulator.process_feed(feed)
        store.documents[
            feed.result_document_id
        ].content = (
            "Feed Processing Summary:\n\tNumber of records successful\t\t\u00b9\x00\n".encode()
        )
        result = self.upload()
        self.assertEqual((result.updated, result.failed), (1, 1))
        self.assertEqual((garbled.amazon_upload_state, fine.amazon_upload_state), ("error", "done"))
        self.assertIn("Number of records successful", garbled.amazon_upload_error)
        self.assertEqual(self.last_log().state, "partial")

    def test_a_refused_invoice_says_why_and_goes_again_when_an_accountant_says_so(self):
        amazon, _sale, invoice = self.invoiced_order()
        # Amazon's total is not Odoo's (a price Amazon changed after the import).
        amazon.items[0].unit_price += 1
        self.upload()
        self.upload()
        self.assertEqual(invoice.amazon_upload_state, "error")
        self.assertIn(
            "TotalAmount 47.60 does not match the order's total 49.60", invoice.amazon_upload_error
        )
        self.assertEqual(self.last_log().failed, 1)
        # Never again by itself.
        self.upload()
        self.assertEqual(len(self.received()), 1)
        salesman = new_test_user(
            self.env, login="amazon_upload_sales", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            invoice.with_user(salesman).action_amazon_upload_again()
        accountant = new_test_user(
            self.env, login="amazon_upload_billing", groups="account.group_account_invoice"
        )
        amazon.items[0].unit_price -= 1
        invoice.with_user(accountant).action_amazon_upload_again()
        self.assertEqual(
            (invoice.amazon_upload_state, invoice.amazon_upload_error), ("to_upload", False)
        )
        self.upload()
        self.upload()
        self.assertEqual(invoice.amazon_upload_state, "done")
        self.assertEqual([doc.accepted for doc in self.received()], [False, True])

    def test_a_refunds_credit_note_is_uploaded_with_the_refund(self):
        amazon, sale, invoice = self.invoiced_order()
        transaction = self.refund(
            amazon,
            [
                {
                    "sku": "MUG-01",
                    "quantity": 1,
                    "breakdowns": [("ProductCharges", "-20.00"), ("Tax", "-3.80")],
                }
            ],
        )
        self.import_transactions()
        credit_note = sale.invoice_ids - invoice
        self.assertEqual(credit_note.amazon_upload_state, "to_upload")
        self.upload()
        self.upload()
        self.assertEqual(
            (invoice.amazon_upload_state, credit_note.amazon_upload_state), ("done", "done")
        )
        by_type = {doc.option("DocumentType"): doc for doc in self.received()}
        self.assertEqual(set(by_type), {"Invoice", "CreditNote"})
        options = by_type["CreditNote"].options
        self.assertEqual(options["metadata:TransactionId"], transaction.transaction_id)
        self.assertEqual(options["metadata:InvoiceNumber"], credit_note.name)
        self.assertEqual(
            (options["metadata:TotalAmount"], options["metadata:TotalVATAmount"]), ("23.80", "3.80")
        )

    def test_a_credit_note_made_by_hand_is_not_uploaded_and_says_why(self):
        _amazon, _sale, invoice = self.invoiced_order()
        self.upload()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "reason": "goodwill"})
        )
        credit_note = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        credit_note.action_post()
        self.assertEqual(credit_note.amazon_upload_state, "to_upload")
        self.upload()
        self.assertEqual(credit_note.amazon_upload_state, "error")
        self.assertIn("not made from an Amazon refund", credit_note.amazon_upload_error)
        self.assertEqual(len(self.received()), 1, "the invoice only")

    def test_orders_outside_the_vat_program_are_not_uploaded(self):
        _amazon, _sale, invoice = self.invoiced_order(US)
        self.assertFalse(invoice.amazon_upload_state)
        self.assertEqual(self.upload().fetched, 0)
        self.assertFalse(self.received())

    def test_without_wkhtmltopdf_nothing_is_sent_and_the_run_says_why(self):
        _amazon, _sale, invoice = self.invoiced_order()
        feeds = len(self.emulator.calls_for("createFeed"))
        # As Odoo sees a server without the binary (it checks once, at start).
        self.patch(ir_actions_report, "wkhtmltopdf_state", "install")
        with self.assertRaisesRegex(UserError, "needs wkhtmltopdf"):
            self.upload()
        self.assertEqual(invoice.amazon_upload_state, "to_upload")
        self.assertFalse(self.received())
        log = self.last_log()
        self.assertEqual(log.state, "failed")
        self.assertIn("wkhtmltopdf", log.error)
        self.assertEqual(len(self.emulator.calls_for("createFeed")), feeds)

    def test_an_invoice_left_sending_by_a_crash_is_never_sent_again_by_itself(self):
        _amazon, _sale, invoice = self.invoiced_order()
        # What a process killed between "Sending" and Amazon's answer leaves.
        invoice.amazon_upload_state = "sending"
        self.upload()
        self.assertEqual(invoice.amazon_upload_state, "error")
        self.assertIn("Amazon may have it", invoice.amazon_upload_error)
        self.assertFalse(self.received())
