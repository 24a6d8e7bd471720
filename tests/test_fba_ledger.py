"""FBA drift explained unit by unit (issue #39): the reconciliation reads
Amazon's inventory ledger of its period (asked in one run, read in a later
one), explains each product's drift event by event, lists what nothing
explains, and the units Amazon owes the seller until found or reimbursed."""

from datetime import timedelta

from odoo.tests import new_test_user, tagged

from .common import DE, SELLER_ID
from .test_orders import OrderSyncCase, ago


@tagged("post_install", "-at_install")
class TestFbaLedger(OrderSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # Ledgers asked as soon as a reconciliation is made (Amazon's own lag: 12 hours).
        env["ir.config_parameter"].set_param("sale_amazon_connector.fba_ledger_settle_hours", 0)
        if not env["amazon.offer"].search(
            [("account_id", "=", cls.account.id), ("sku", "=", "MUG-01")]
        ):
            env["amazon.offer"].create(
                {"account_id": cls.account.id, "sku": "MUG-01", "product_id": cls.mug.id}
            )
        cls.location = cls.account.location_id or cls.account.company_id._amazon_get_fba_location()

    def setUp(self):
        super().setUp()
        store = self.emulator.store
        store.ledger.clear()
        store.transactions.clear()
        store.event_groups.clear()
        self.addCleanup(store.fba_stock.clear)
        store.set_fba_stock(SELLER_ID, DE, "MUG-01", fulfillable=10)
        store.set_fba_stock(SELLER_ID, DE, "TEE-M", fulfillable=5)

    # --- helpers ---------------------------------------------------------------------------
    def reconcile(self):
        return self.env["amazon.fba.inventory"]._run(self.account).extra["reconciliation"]

    def first_reconciliation(self):
        """Odoo's location set to Amazon's, an hour ago: the next period starts there."""
        record = self.reconcile()
        self.assertEqual(record.ledger_state, "none")
        record.date -= timedelta(hours=1)
        return record

    def explained(self):
        """A reconciliation (its ledger asked and looked at), then the next run
        that reads the ledger Amazon wrote in between."""
        record = self.reconcile()
        self.assertEqual(record.ledger_state, "waiting")
        self.assertEqual(
            set(record.ledger_request_ids.mapped("report_type")),
            {"GET_LEDGER_DETAIL_VIEW_DATA", "GET_LEDGER_SUMMARY_VIEW_DATA"},
        )
        self.reconcile()
        return record

    def event(self, sku, kind, quantity, **details):
        details.setdefault("moment", ago(minutes=30))
        return self.emulator.store.fba_event(SELLER_ID, DE, sku, kind, quantity, **details)

    def line(self, record, product):
        return record.line_ids.filtered(lambda line: line.product_id == product)

    def held(self, product):
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "=", self.location.id)]
        )
        return sum(quants.mapped("quantity"))

    # --- tests -----------------------------------------------------------------------------
    def test_lost_then_found_explained_and_claimable_until_found(self):
        self.first_reconciliation()
        self.event("MUG-01", "Adjustments", -2, reason="M", reference_id="TXN-LOST")
        self.event("MUG-01", "Adjustments", 1, reason="F", reference_id="TXN-FOUND")
        # A loss Amazon reports already reconciled (found or paid): nothing to claim.
        self.event("TEE-M", "Adjustments", -1, reason="M", reference_id="TXN-SETTLED", reconciled=1)
        # An FBA order Amazon shipped and Odoo imported: both sides know it.
        amazon = self.add_order(
            DE,
            [{"sku": "MUG-01", "title": "Mug", "quantity": 3, "unit_price": "11.90"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
        )
        self.sync()
        self.assertEqual(self.held(self.mug), 7)
        record = self.explained()
        self.assertEqual(record.ledger_state, "explained")
        mug = self.line(record, self.mug)
        self.assertEqual((mug.odoo_before, mug.amazon_quantity, mug.drift), (7, 6, -1))
        self.assertEqual((mug.odoo_movement, mug.amazon_movement), (-3, -4))
        self.assertEqual((mug.ledger_lost, mug.ledger_found, mug.ledger_shipments), (-2, 1, -3))
        self.assertEqual((mug.explained, mug.unexplained), (-1, 0))
        self.assertIn("TXN-LOST", mug.explanation)
        self.assertIn("TXN-FOUND", mug.explanation)
        self.assertNotIn(amazon.order_id, mug.explanation, "the order is in Odoo too")
        shipped = mug.ledger_event_ids.filtered(lambda e: e.kind == "Shipments")
        self.assertTrue(shipped.matched)
        # The adjustment booked carries the ledger's explanation.
        self.assertEqual(len(mug.move_ids), 1)
        self.assertIn("TXN-LOST", mug.move_ids.amazon_ledger_explanation)
        # One of the two lost mugs is still Amazon's to pay: claimable for 60 days.
        (lost,) = mug.ledger_event_ids.filtered(lambda e: e.kind == "Lost")
        self.assertEqual((lost.claim_state, lost.claim_quantity), ("open", 1))
        self.assertEqual(lost.claim_until - lost.claim_from, timedelta(days=60))
        settled = self.line(record, self.tee).ledger_event_ids
        self.assertEqual((settled.claim_state, settled.claim_quantity), ("reconciled", 0))
        self.assertEqual(self.line(record, self.tee).unexplained, 0)
        # Amazon finds the other one later: nothing left to claim.
        self.event(
            "MUG-01",
            "Adjustments",
            1,
            reason="F",
            reference_id="TXN-FOUND-2",
            moment=ago(seconds=0),
        )
        self.explained()
        self.assertEqual((lost.claim_state, lost.claim_quantity), ("found", 0))

    def test_a_damaged_unit_is_reimbursed_and_its_claim_closed(self):
        self.first_reconciliation()
        self.event("TEE-M", "Adjustments", -1, reason="E", reference_id="TXN-DMG")
        record = self.explained()
        tee = self.line(record, self.tee)
        self.assertEqual((tee.drift, tee.ledger_damaged, tee.unexplained), (-1, -1, 0))
        self.assertIn("TXN-DMG", tee.explanation)
        damaged = self.env.company.amazon_fba_damaged_location_id
        self.assertEqual(
            sum(
                self.env["stock.quant"]
                .search([("product_id", "=", self.tee.id), ("location_id", "=", damaged.id)])
                .mapped("quantity")
            ),
            1,
        )
        claim = self.env["amazon.fba.ledger.event"].search(
            [("account_id", "=", self.account.id), ("claim_state", "=", "open")]
        )
        self.assertEqual(
            (claim.sku, claim.claim_quantity, claim.reference), ("TEE-M", 1, "TXN-DMG")
        )
        # The account says how many units Amazon owes, and opens them.
        self.assertEqual(self.account.fba_claim_units, 1)
        action = self.account.action_view_fba_claims()
        self.assertEqual(self.env["amazon.fba.ledger.event"].search(action["domain"]), claim)
        # The damaged unit's other row (now WAREHOUSE_DAMAGED) is no claim of its own.
        self.assertEqual(len(tee.ledger_event_ids), 2)
        # An accountant sees what Amazon owes.
        accountant = new_test_user(
            self.env, login="ledger-accountant", groups="account.group_account_invoice"
        )
        self.assertEqual(
            self.env["amazon.fba.ledger.event"]
            .with_user(accountant)
            .search([("claim_state", "=", "open")]),
            claim,
        )
        # Amazon pays it: its financial transaction closes the claim.
        self.emulator.store.add_transaction(
            SELLER_ID,
            DE,
            "FBAInventoryReimbursement",
            posted=ago(hours=1),
            items=[
                {
                    "sku": "TEE-M",
                    "quantity": 1,
                    "breakdowns": [("FBAInventoryReimbursement", "14.50")],
                }
            ],
        )
        self.env["amazon.finance.import"]._run(self.account)
        self.assertEqual((claim.claim_state, claim.claim_quantity), ("reimbursed", 0))
        self.assertEqual(claim.reimbursement_ids.kind, "FBAInventoryReimbursement")
        self.account.invalidate_recordset(["fba_claim_units"])
        self.assertEqual(self.account.fba_claim_units, 0)

    def test_a_drift_no_ledger_event_tells_is_listed_unexplained(self):
        self.first_reconciliation()
        # Amazon's count changes with no event in its ledger.
        self.emulator.store.set_fba_stock(SELLER_ID, DE, "TEE-M", fulfillable=3)
        # An FBA order Amazon shipped that Odoo has not imported: it explains its units.
        amazon = self.add_order(
            DE,
            [{"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "11.90"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
        )
        record = self.explained()
        self.assertEqual((record.ledger_state, record.unexplained_count), ("unexplained", 1))
        tee, mug = self.line(record, self.tee), self.line(record, self.mug)
        self.assertEqual((tee.drift, tee.explained, tee.unexplained), (-2, 0, -2))
        self.assertIn("unexplained", tee.explanation)
        self.assertEqual((mug.drift, mug.explained, mug.unexplained), (-2, -2, 0))
        self.assertIn(amazon.order_id, mug.explanation)
        self.assertFalse(self.env["amazon.fba.ledger.event"].search([("claim_state", "!=", False)]))

    def test_unreadable_ledger_rows_are_listed_and_the_others_explain(self):
        self.first_reconciliation()
        self.event("TEE-M", "Adjustments", -1, reason="E", reference_id="TXN-DMG")
        # A row without its SKU, in both reports: Odoo cannot tell whose it is.
        self.emulator.store.add_ledger_event(
            SELLER_ID, "DE", "", "Adjustments", -4, reason="M", moment=ago(minutes=20)
        )
        record = self.reconcile()
        result = self.env["amazon.fba.inventory"]._run(self.account)
        self.assertEqual(result.failed, 2)  # the detail's row and the summary's
        self.assertTrue(all("MSKU is missing" in str(p) for p in result.problems))
        self.assertEqual(record.ledger_state, "explained")
        tee = self.line(record, self.tee)
        self.assertEqual((tee.drift, tee.explained, tee.unexplained), (-1, -1, 0))
        self.assertEqual(
            self.env["amazon.fba.ledger.event"].search_count(
                [("account_id", "=", self.account.id)]
            ),
            2,  # the tee's two rows: the unreadable one is not guessed
        )
        # Read twice (a run stopped before its commit): nothing recorded twice.
        record.ledger_request_ids.state = "requested"
        self.env["amazon.fba.inventory"]._run(self.account)
        self.assertEqual(len(tee.ledger_event_ids), 2)
        self.assertEqual(tee.unexplained, 0)

    def test_amazon_refusing_the_ledger_never_stops_the_stock(self):
        self.first_reconciliation()
        self.event("TEE-M", "Adjustments", -1, reason="M", reference_id="TXN-LOST")
        self.emulator.faults.add("createReport", "server_error", count=20)
        result = self.env["amazon.fba.inventory"]._run(self.account)
        self.emulator.faults.clear()
        record = result.extra["reconciliation"]
        self.assertEqual(self.held(self.tee), 4, "the stock is Amazon's all the same")
        self.assertEqual(
            (record.ledger_state, record.ledger_request_ids),
            ("waiting", self.env["amazon.report.request"]),
        )
        self.assertIn("Amazon's ledger of the reconciliation", str(result.problems))
        # Amazon answers again: the next run asks for it, and reads it at its end.
        self.reconcile()
        self.assertEqual(record.ledger_state, "explained")
        self.assertIn("TXN-LOST", self.line(record, self.tee).explanation)
