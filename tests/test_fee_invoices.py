"""Amazon's own invoices to the seller as vendor bills (issue #18): read from
the Finances Invoices API, booked once each, a line per charge on its fee
account with the purchase tax of Amazon's rate, posted when the totals agree;
and the payouts then book the fees they deduct as payments of those bills."""

from datetime import datetime, timedelta

from odoo.tests import new_test_user, tagged

from .common import DE, SELLER_ID
from .test_orders import ago
from .test_refunds import MoneyCase


@tagged("post_install", "-at_install")
class TestAmazonInvoicesAsBills(MoneyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.import_fee_invoices = True
        cls.vat_19 = cls.env["account.tax"].create(
            {"name": "19% Input VAT", "amount": 19, "type_tax_use": "purchase"}
        )

    def setUp(self):
        super().setUp()
        self.emulator.store.fee_invoices.clear()
        self.account.last_fee_invoice_sync = False

    def import_invoices(self):
        return self.env["amazon.fee.invoice.import"]._run(self.account)

    def amazon_invoice(self, number, lines, days=3):
        return self.emulator.store.add_fee_invoice(
            SELLER_ID,
            DE,
            number,
            datetime.now() - timedelta(days=days),
            lines,
            payee_name="Amazon EU S.a r.l.",
            payee_vat="LU20260743",
        )

    def bills(self):
        return self.env["account.move"].search(
            [("amazon_fee_invoice_ref", "!=", False), ("company_id", "=", self.env.company.id)]
        )

    def test_amazons_invoice_is_a_posted_vendor_bill_once(self):
        self.amazon_invoice(
            "DE-AEU-2026-1",
            [
                {
                    "description": "FBA storage fees, November",
                    "amount": "10.00",
                    "tax": "1.90",
                    "tax_rate_code": "DE 19",
                    "service_charge_type": "FBA_INVENTORY_STORAGE_FEE",
                },
                {
                    "description": "Selling fees",
                    "amount": "20.00",
                    "tax": "3.80",
                    "tax_rate_code": "DE 19",
                },
            ],
        )
        counts = self.import_invoices()
        self.assertEqual((counts.fetched, counts.created), (1, 1))
        bill = self.bills()
        self.assertEqual(len(bill), 1)
        self.assertEqual((bill.move_type, bill.state), ("in_invoice", "posted"))
        self.assertEqual(bill.ref, "DE-AEU-2026-1")
        vendor = self.env.company.amazon_vendor_id
        self.assertEqual(bill.partner_id, vendor)
        self.assertEqual((vendor.name, vendor.vat), ("Amazon EU S.a r.l.", "LU20260743"))
        self.assertAlmostEqual(bill.amount_total, 35.70)
        self.assertAlmostEqual(bill.amount_tax, 5.70)
        self.assertEqual(bill.invoice_line_ids.tax_ids, self.vat_19)
        # Each charge on the account of its type, as the payouts' fees are.
        mappings = self.env["amazon.fee.account"].search([("company_id", "=", self.env.company.id)])
        self.assertIn("FBA_INVENTORY_STORAGE_FEE", mappings.mapped("name"))
        # Read again (the windows overlap): nothing twice.
        self.account.last_fee_invoice_sync = datetime.now() - timedelta(days=1)
        counts = self.import_invoices()
        self.assertEqual((counts.created, counts.skipped), (0, 1))
        self.assertEqual(len(self.bills()), 1)

    def test_a_malformed_invoice_is_its_own_failure_and_the_others_are_booked(self):
        """Issue #34: headers that break Amazon's model (an amount that is no
        number, a payee that is no object, an issue date that is no date) each
        fail alone, named on the sync log; the good invoice is booked, and the
        window stays where it was, so a mended invoice is booked next time."""
        line = [{"description": "Selling fees", "amount": "20.00", "tax": "3.80"}]
        broken = {
            "DE-BAD-1": (("invoiceAmount", "currencyAmount"), "lots"),
            "DE-BAD-2": (("payee",), ["Amazon"]),
            "DE-BAD-3": (("issueDate",), "yesterday"),
        }
        for number, corruption in broken.items():
            self.amazon_invoice(number, line).corruptions = [corruption]
        self.amazon_invoice("DE-GOOD", line)
        counts = self.import_invoices()
        self.assertEqual((counts.created, counts.failed), (1, 3))
        self.assertEqual(self.bills().mapped("ref"), ["DE-GOOD"])
        self.assertFalse(self.account.last_fee_invoice_sync, "the window is read again")
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "fee_invoices")[:1]
        self.assertEqual(log.state, "partial")
        for number, why in zip(
            broken, ("invoiceAmount.currencyAmount", "payee is not", "issueDate"), strict=True
        ):
            self.assertIn(f"{number}: {why}", log.error)
        for invoice in self.emulator.store.fee_invoices:
            invoice.corruptions = []
        counts = self.import_invoices()
        self.assertEqual((counts.created, counts.skipped, counts.failed), (3, 1, 0))
        self.assertTrue(self.account.last_fee_invoice_sync)

    def test_a_bill_odoo_cannot_total_as_amazon_stays_draft_and_says_why(self):
        # A 20% rate the company has no purchase tax for.
        self.amazon_invoice(
            "FR-AEU-2026-7",
            [
                {
                    "description": "Selling fees",
                    "amount": "50.00",
                    "tax": "10.00",
                    "tax_rate_code": "FR 20",
                }
            ],
        )
        self.import_invoices()
        bill = self.bills()
        self.assertEqual(bill.state, "draft")
        self.assertAlmostEqual(bill.amount_total, 50.00)
        note = bill.message_ids[:1].body
        self.assertIn("60.00", note)
        self.assertIn("FR 20", note)

    def test_the_fees_a_payout_deducts_pay_amazons_bills(self):
        group = self.emulator.store.add_event_group(
            SELLER_ID, "FEG-21", "EUR", ago(days=10), processing_status="Closed"
        )
        group.end = group.transfer_date = ago(hours=2)
        self.emulator.store.add_transaction(
            SELLER_ID,
            DE,
            "ServiceFee",
            group_id="FEG-21",
            posted=ago(days=3),
            breakdowns=[("Subscription", "-39.00")],
        )
        self.import_transactions()
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-21")])
        self.assertEqual(payout.state, "booked")
        vendor = self.env.company.amazon_vendor_id
        payable = vendor.property_account_payable_id
        fee_line = payout.move_id.line_ids.filtered(lambda line: line.account_id == payable)
        self.assertEqual((fee_line.partner_id, fee_line.debit), (vendor, 39.00))
        # Amazon's invoice for the subscription (VAT reverse-charged: 0%).
        self.amazon_invoice(
            "DE-AEU-2026-2",
            [{"description": "Subscription fee", "amount": "39.00", "tax_rate_code": "LU 0"}],
        )
        self.import_invoices()
        bill = self.bills()
        self.assertEqual(bill.state, "posted")
        lines = self.env["account.move.line"].search(
            [
                ("partner_id", "=", vendor.id),
                ("account_id", "=", payable.id),
                ("parent_state", "=", "posted"),
            ]
        )
        self.assertAlmostEqual(sum(lines.mapped("balance")), 0.0, msg="the payout paid the bill")

    def test_another_companys_invoices_stay_in_that_company(self):
        env = self.env
        seller_b = "A2FEESELLERB"
        company_b, account_b, _manager = self.seller_in_another_company(
            "Seller B SARL", seller_b, "Atzr|fee-tests-seller-b", DE, import_fee_invoices=True
        )
        self.env["account.chart.template"].try_loading("generic_coa", company_b, install_demo=False)
        self.emulator.store.add_fee_invoice(
            seller_b,
            DE,
            "DE-AEU-B-1",
            datetime.now() - timedelta(days=2),
            [{"description": "Selling fees", "amount": "12.00", "tax_rate_code": "LU 0"}],
        )
        self.amazon_invoice("DE-AEU-A-1", [{"description": "Selling fees", "amount": "8.00"}])
        self.env["amazon.fee.invoice.import"]._run(account_b)
        self.import_invoices()
        bills = self.env["account.move"].search([("amazon_fee_invoice_ref", "!=", False)])
        by_ref = {bill.ref: bill for bill in bills}
        self.assertEqual(set(by_ref), {"DE-AEU-A-1", "DE-AEU-B-1"})
        bill_b = by_ref["DE-AEU-B-1"]
        self.assertEqual((bill_b.company_id, bill_b.state), (company_b, "posted"))
        self.assertEqual(bill_b.partner_id, company_b.amazon_vendor_id)
        self.assertEqual(company_b.amazon_vendor_id.company_id, company_b)
        self.assertNotEqual(company_b.amazon_vendor_id, self.env.company.amazon_vendor_id)
        self.assertEqual(bill_b.invoice_line_ids.account_id.company_ids, company_b)
        # Each company's accountant finds only its own company's bills.
        for company, own in ((self.env.company, by_ref["DE-AEU-A-1"]), (company_b, bill_b)):
            accountant = new_test_user(
                env,
                login=f"amazon_fee_billing_{company.id}",
                groups="account.group_account_invoice",
                company_id=company.id,
                company_ids=[(6, 0, company.ids)],
            )
            found = env(user=accountant)["account.move"].search(
                [("amazon_fee_invoice_ref", "!=", False)]
            )
            self.assertEqual(found, own)
