"""Customer returns (issue #17): Amazon's returns reports (Reports API) booked
in Odoo. FBA returns go back into the Amazon location when sellable, into
Amazon Damaged otherwise; merchant-fulfilled returns become Odoo's own return
of the delivery, ready to receive. A report read twice books nothing twice."""

from hypothesis import given
from hypothesis import strategies as st

from odoo.tests import tagged

from .common import DE, SELLER_ID, US
from .test_flow_robustness import examples, rolled_back
from .test_orders import OrderSyncCase, ago

# What a tab-separated report row may hold when Amazon's data is off: field
# and row separators inside a value, control characters, texts longer than an
# index, numbers that are none.
HOSTILE_CELLS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", "\t", "a\tb", "a\nb", "a\rb", "\x00", "x" * 4000, "NaN", "-1", "1e400"]),
)
RETURN_FIELDS = [
    "order_id",
    "sku",
    "quantity",
    "asin",
    "fnsku",
    "product_name",
    "fulfillment_center_id",
    "disposition",
    "reason",
    "status",
    "customer_comments",
]


@tagged("post_install", "-at_install")
class TestCustomerReturns(OrderSyncCase):
    def setUp(self):
        super().setUp()
        store = self.emulator.store
        store.returns.clear()
        self.location = self.account.location_id or self.env.company._amazon_get_fba_location()

    # --- helpers ---------------------------------------------------------------------
    def fba_order(self, quantity=2):
        amazon = self.add_order(
            US,
            [{"sku": "MUG-01", "title": "Mug", "quantity": quantity, "unit_price": "11.90"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
        )
        self.sync()
        return amazon, self.sale_of(amazon)

    def fbm_order_shipped(self):
        amazon = self.add_order(
            DE, [{"sku": "TEE-M", "title": "Tee", "quantity": 2, "unit_price": "19.99"}]
        )
        self.sync()
        sale = self.sale_of(amazon)
        delivery = sale.picking_ids
        delivery.carrier_tracking_ref = "1Z999AA1"
        for move in delivery.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        delivery.button_validate()
        self.assertEqual(delivery.state, "done")
        return amazon, sale, delivery

    def amazon_return(self, amazon, sku, quantity=1, **details):
        details.setdefault("moment", ago(hours=3))
        return self.emulator.store.add_return(
            SELLER_ID, amazon.marketplace_id, amazon.order_id, sku, quantity, **details
        )

    def import_returns(self):
        """Two runs: the first asks Amazon for the reports, the second reads
        them (the emulator writes a report between two looks, as Amazon does
        in the background)."""
        Import = self.env["amazon.return.import"]
        first = Import._run(self.account)
        return first, Import._run(self.account)

    def held(self, product, location):
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "=", location.id)]
        )
        return sum(quants.mapped("quantity"))

    # --- tests -----------------------------------------------------------------------
    def test_fba_returns_sellable_and_damaged(self):
        amazon, sale = self.fba_order(quantity=2)
        line = sale.order_line.filtered(lambda line: line.product_id == self.mug)
        self.assertEqual(line.qty_delivered, 2)
        at_amazon = self.held(self.mug, self.location)
        self.amazon_return(amazon, "MUG-01", disposition="SELLABLE", license_plate_number="LPN-A")
        self.amazon_return(
            amazon, "MUG-01", disposition="CUSTOMER_DAMAGED", license_plate_number="LPN-B"
        )
        first, second = self.import_returns()
        self.assertEqual((first.extra["pending"], first.created), (2, 0), "Amazon is still writing")
        self.assertEqual(second.created, 2)
        damaged = self.env.company._amazon_get_fba_damaged_location()
        self.assertEqual(self.held(self.mug, self.location), at_amazon + 1)
        self.assertEqual(self.held(self.mug, damaged), 1)
        returns = sale.amazon_return_ids
        self.assertEqual(sale.amazon_return_count, 2)
        self.assertEqual(set(returns.mapped("state")), {"booked"})
        self.assertEqual(returns.location_dest_id, self.location | damaged)
        self.assertEqual(returns.sale_line_id, line)
        delivered = line.move_ids.filtered(lambda move: move.location_dest_id.usage == "customer")
        self.assertEqual(returns.move_id.origin_returned_move_id, delivered)
        self.assertTrue(all(move.state == "done" for move in returns.move_id))
        # Amazon refunded the buyer: nothing of the order stays delivered.
        self.assertEqual(line.qty_delivered, 0)
        # Asked as the model says: both returns reports, a window not in the future.
        reports = {c.body["reportType"] for c in self.emulator.calls_for("createReport")}
        self.assertEqual(
            reports,
            {
                "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",
                "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE",
            },
        )
        self.assertTrue(self.emulator.calls_for("getReportDocument"))
        # Salesmen and the warehouse see them.
        self.assertEqual(
            returns.with_user(self.salesman).mapped("amazon_order_ref")[0], amazon.order_id
        )

    def test_fbm_return_awaits_receipt(self):
        amazon, sale, delivery = self.fbm_order_shipped()
        self.amazon_return(amazon, "TEE-M", rma_id="DGhCxRmA1", reason="NO_LONGER_NEEDED")
        self.import_returns()
        (item,) = sale.amazon_return_ids
        self.assertEqual((item.channel, item.state, item.rma), ("fbm", "booked", "DGhCxRmA1"))
        picking = item.picking_id
        self.assertEqual(picking.picking_type_code, "incoming")
        self.assertEqual(picking.state, "assigned", "a return awaiting receipt")
        self.assertEqual(picking.return_id, delivery)
        self.assertEqual(
            picking.location_dest_id,
            delivery.picking_type_id.return_picking_type_id.default_location_dest_id
            or delivery.location_id,
        )
        self.assertEqual(picking.move_ids.product_uom_qty, 1)
        self.assertIn(picking, sale.picking_ids)
        self.assertFalse(picking.amazon_sync_state, "a return is never confirmed to Amazon")
        # The warehouse receives it: the order's delivered quantity goes down.
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.button_validate()
        tee_line = sale.order_line.filtered(lambda line: line.product_id == self.tee)
        self.assertEqual(tee_line.qty_delivered, 1)

    def test_a_report_read_twice_books_nothing_twice(self):
        amazon, sale = self.fba_order(quantity=2)
        self.amazon_return(amazon, "MUG-01", disposition="SELLABLE", license_plate_number="LPN-A")
        self.import_returns()
        at_amazon = self.held(self.mug, self.location)
        moves = self.env["stock.move"].search_count([("origin_returned_move_id", "!=", False)])
        # As if the run stopped after booking and before noting the report read:
        # the same report is read again.
        requests = self.env["amazon.report.request"].search([("account_id", "=", self.account.id)])
        requests.state = "requested"
        counts = self.env["amazon.return.import"]._run(self.account)
        self.assertEqual((counts.created, counts.skipped), (0, 1))
        # And the next window overlaps the last one: the same return comes again.
        self.import_returns()
        self.assertEqual(len(sale.amazon_return_ids), 1)
        self.assertEqual(self.held(self.mug, self.location), at_amazon)
        self.assertEqual(
            self.env["stock.move"].search_count([("origin_returned_move_id", "!=", False)]), moves
        )

    def test_a_report_document_elsewhere_fails_its_report_for_good(self):
        """Issue #33: an answer naming a document URL that is not Amazon's
        storage (here an internal address) fails that report with the reason
        in the sync log; the report is never fetched again."""
        amazon, _sale = self.fba_order()
        self.amazon_return(amazon, "MUG-01", disposition="SELLABLE")
        Import = self.env["amazon.return.import"]
        Import._run(self.account)  # asks Amazon for the reports
        self.emulator.faults.add("getReportDocument", "foreign_url", count=2)
        counts = Import._run(self.account)
        self.emulator.faults.clear()
        requests = self.env["amazon.report.request"].search([("account_id", "=", self.account.id)])
        failed = requests.filtered(lambda r: r.state == "failed")
        self.assertTrue(failed)
        self.assertIn("169.254.169.254", failed[0].error)
        self.assertEqual(counts.failed, len(failed))
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "returns")[:1]
        self.assertEqual(log.state, "partial")
        self.assertIn("document URL refused", log.error)
        self.emulator.reset_calls()
        Import._run(self.account)
        asked = {call.path.rsplit("/", 1)[-1] for call in self.emulator.calls_for("getReport")}
        self.assertFalse(asked & set(failed.mapped("amazon_report_ref")))

    def test_a_report_amazon_no_longer_has_is_asked_again(self):
        """A report Amazon forgot (404: it keeps them a while only) fails its
        request, with why, and the next run asks for the same window again:
        the returns import never stops on it."""
        amazon, _sale = self.fba_order()
        self.amazon_return(amazon, "MUG-01", disposition="SELLABLE")
        Import = self.env["amazon.return.import"]
        Import._run(self.account)
        self.emulator.store.reports.clear()
        counts = Import._run(self.account)
        self.assertEqual(counts.failed, 2)
        failed = self.env["amazon.report.request"].search(
            [("account_id", "=", self.account.id), ("state", "=", "failed")]
        )
        self.assertEqual(len(failed), 2)
        self.assertIn("not found", failed[0].error)
        _first, second = self.import_returns()
        self.assertEqual(second.created, 1, "the return booked from a new report")

    def test_a_return_before_its_order_waits_for_it(self):
        amazon = self.add_order(
            US,
            [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
            created_time=ago(days=40),  # before the orders' first window: not imported
        )
        self.amazon_return(amazon, "MUG-01", disposition="SELLABLE", license_plate_number="LPN-W")
        self.import_returns()
        (item,) = self.env["amazon.return"].search([("amazon_order_ref", "=", amazon.order_id)])
        self.assertEqual(item.state, "waiting")
        # The order comes in (recovered by hand); the next import books the return.
        self.env["amazon.order.import"]._recover(self.account, [amazon.order_id])
        self.env["amazon.return.import"]._run(self.account)
        self.assertEqual(item.state, "booked")
        self.assertEqual(item.sale_order_id.amazon_order_ref, amazon.order_id)

    def test_unknown_sku_is_kept_to_check(self):
        amazon, _sale = self.fba_order(quantity=1)
        self.amazon_return(amazon, "NOT-ON-THE-ORDER", disposition="SELLABLE")
        self.import_returns()
        (item,) = self.env["amazon.return"].search([("amazon_order_ref", "=", amazon.order_id)])
        self.assertEqual(item.state, "to_check")
        self.assertIn("NOT-ON-THE-ORDER", item.note)

    def test_a_tracked_product_comes_back_with_its_lot(self):
        env = self.env
        serum = env["product.product"].create(
            {"name": "Serum", "is_storable": True, "tracking": "lot"}
        )
        env["amazon.offer"].create(
            {"account_id": self.account.id, "sku": "SERUM", "product_id": serum.id}
        )
        lot = env["stock.lot"].create({"name": "L-2026-11", "product_id": serum.id})
        env["stock.quant"]._update_available_quantity(serum, self.location, 5, lot_id=lot)
        amazon = self.add_order(
            US,
            [{"sku": "SERUM", "title": "Serum", "quantity": 2, "unit_price": "30.00"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
        )
        self.sync()
        self.amazon_return(amazon, "SERUM", disposition="SELLABLE", license_plate_number="LPN-S")
        self.import_returns()
        (item,) = self.sale_of(amazon).amazon_return_ids
        self.assertEqual(item.state, "booked")
        self.assertEqual(item.move_id.move_line_ids.lot_id, lot)
        self.assertEqual(self.held(serum, self.location), 5 - 2 + 1)

    def test_malformed_rows_never_block_the_report(self):
        """Issue #34: rows Odoo cannot read or store (an order id longer than an
        index holds, a NUL in a reason, a SKU with a tab that shifts the row, a
        quantity that is no number) are kept to check with why; the report's
        good return is booked, the report is read, and the next run goes on."""
        amazon, _sale = self.fba_order(quantity=2)
        self.amazon_return(amazon, "MUG-01", disposition="SELLABLE", license_plate_number="LPN-1")
        self.amazon_return(amazon, "MUG-01", reason="DEFECTIVE\x00", license_plate_number="LPN-2")
        self.amazon_return(amazon, "MUG\t01", license_plate_number="LPN-3")
        self.amazon_return(amazon, "MUG-01", quantity="many", license_plate_number="LPN-4")
        long_order = self.emulator.store.add_return(
            SELLER_ID, amazon.marketplace_id, "1" * 4000, "MUG-01", moment=ago(hours=3)
        )
        _first, second = self.import_returns()
        self.assertEqual(second.created, 1)
        self.assertEqual(second.failed, 4)
        returns = self.env["amazon.return"].search([("account_id", "=", self.account.id)])
        self.assertEqual(returns.filtered(lambda r: r.state == "booked").license_plate, "LPN-1")
        to_check = returns.filtered(lambda r: r.state == "to_check")
        self.assertEqual(len(to_check), 4)
        notes = "\n".join(to_check.mapped("note"))
        for reason in ("control character", "more fields than", "quantity", "characters long"):
            self.assertIn(reason, notes)
        self.assertEqual(to_check.filtered(lambda r: r.amazon_order_ref == "?").sku, "MUG-01")
        self.assertNotIn(long_order.order_id, returns.mapped("amazon_order_ref"))
        requests = self.env["amazon.report.request"].search([("account_id", "=", self.account.id)])
        self.assertEqual(set(requests.mapped("state")), {"done", "empty"})
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "returns")[:1]
        self.assertEqual((log.state, len(log.problem_ids)), ("partial", 4))
        # Read again (the next window overlaps): nothing twice.
        self.import_returns()
        self.assertEqual(
            len(self.env["amazon.return"].search([("account_id", "=", self.account.id)])), 5
        )

    # --- issue #34: any returns report ---------------------------------------------------
    def test_any_returns_report_books_its_valid_rows_once(self):
        self.amazon_order, _sale = self.fba_order(quantity=9)
        mutation = st.lists(st.tuples(st.sampled_from(RETURN_FIELDS), HOSTILE_CELLS), max_size=2)

        @examples(8)
        @given(st.lists(mutation, min_size=1, max_size=4))
        def check(report):
            self.emulator.store.returns.clear()
            rolled_back(self.env, self.check_report, report)

        check()

    def check_report(self, report):
        amazon = self.amazon_order
        for n, corruptions in enumerate(report):
            row = {"order_id": amazon.order_id, "sku": "MUG-01", "quantity": 1}
            row["moment"] = ago(hours=3)
            row.update(corruptions, license_plate_number=f"LPN-{n}")
            self.emulator.store.add_return(SELLER_ID, amazon.marketplace_id, **row)
        self.import_returns()  # raises nothing: each row its own unit
        returns = self.env["amazon.return"].search([("account_id", "=", self.account.id)])
        booked = set(returns.filtered(lambda r: r.state == "booked").mapped("license_plate"))
        for n, corruptions in enumerate(report):
            if not corruptions:
                self.assertIn(f"LPN-{n}", booked)
        requests = self.env["amazon.report.request"].search([("account_id", "=", self.account.id)])
        self.assertNotIn("failed", requests.mapped("state"))
        # Read again (the next window overlaps): nothing twice.
        self.import_returns()
        again = self.env["amazon.return"].search([("account_id", "=", self.account.id)])
        self.assertEqual(again, returns)
