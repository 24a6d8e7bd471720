"""FBA stock truth (issue #17): Odoo's Amazon location takes what Amazon holds
(getInventorySummaries), through Odoo's inventory adjustments, with a drift
report per product."""

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..spapi_emulator import Address
from .common import DE, SELLER_ID, UK, US, AmazonTestCase

FR = "A13V1IB3VIYZZH"


@tagged("post_install", "-at_install")
class TestFbaReconciliation(AmazonTestCase):
    seller_marketplaces = (US, DE, UK, FR)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(US, DE)
        env = cls.env
        cls.location = cls.account.location_id or cls.account.company_id._amazon_get_fba_location()
        cls.mug, cls.tee, cls.lamp = (
            env["product.product"].create({"name": name, "is_storable": True})
            for name in ("Mug", "T-shirt", "Lamp")
        )
        for sku, product in (("MUG-01", cls.mug), ("TEE-M", cls.tee), ("LAMP", cls.lamp)):
            env["amazon.offer"].create(
                {"account_id": cls.account.id, "sku": sku, "product_id": product.id}
            )
        # The drifted state of a seller whose FBA orders took goods out of a
        # location nothing ever filled: negative mugs, tees counted by hand.
        Quant = env["stock.quant"]
        Quant._update_available_quantity(cls.mug, cls.location, -3)
        Quant._update_available_quantity(cls.tee, cls.location, 10)
        Quant._update_available_quantity(cls.lamp, cls.location, 2)
        store = cls.emulator.store
        store.set_fba_stock(SELLER_ID, DE, "MUG-01", fulfillable=20, reserved=2, inbound_shipped=5)
        store.set_fba_stock(SELLER_ID, DE, "TEE-M", fulfillable=4, unfulfillable=1)
        store.set_fba_stock(SELLER_ID, DE, "LAMP", fulfillable=2)
        store.set_fba_stock(SELLER_ID, DE, "NOT-IN-ODOO", fulfillable=5)

    def held(self, product, location=None):
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "=", (location or self.location).id)]
        )
        return sum(quants.mapped("quantity"))

    def reconcile(self):
        return self.env["amazon.fba.inventory"]._run(self.account).extra["reconciliation"]

    def test_reconciliation_from_a_drifted_state_with_its_report(self):
        record = self.reconcile()
        # Fulfillable, reserved (they leave with their orders) and shipped to Amazon.
        self.assertEqual(
            (self.held(self.mug), self.held(self.tee), self.held(self.lamp)), (27, 4, 2)
        )
        # Amazon's unsellable units: at Amazon Damaged.
        damaged = self.env.company.amazon_fba_damaged_location_id
        self.assertEqual(self.held(self.tee, damaged), 1)
        negatives = self.env["stock.quant"].search(
            [("location_id", "=", self.location.id), ("quantity", "<", 0)]
        )
        self.assertFalse(negatives, "no product is negative at the Amazon location")
        lines = {line.product_id: line for line in record.line_ids}
        mug, tee, lamp = lines[self.mug], lines[self.tee], lines[self.lamp]
        self.assertEqual((mug.odoo_before, mug.fulfillable, mug.amazon_quantity), (-3, 20, 27))
        self.assertEqual(mug.drift, 30)
        self.assertEqual((mug.reserved, mug.inbound), (2, 5))
        self.assertIn("never brought in", mug.cause)
        self.assertEqual((tee.odoo_before, tee.drift, tee.unfulfillable), (10, -6, 1))
        self.assertIn("unsellable", tee.cause)
        self.assertEqual((lamp.drift, lamp.cause), (0, False))
        self.assertEqual(record.unknown_skus, "NOT-IN-ODOO")
        self.assertEqual((record.product_count, record.adjusted_count), (3, 2))
        # Odoo's inventory adjustments, dated and labelled with their source.
        moves = self.env["stock.move"].search(
            [("is_inventory", "=", True), ("product_id", "in", (self.mug | self.tee).ids)]
        )
        self.assertEqual(len(moves), 3)  # the mug's, the tee's and the damaged tee's
        self.assertTrue(all(m.state == "done" for m in moves))
        self.assertTrue(all(m.name.startswith("Amazon FBA stock of") for m in moves))
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "fba_stock")]
        )
        self.assertEqual(log.state, "done")
        # Amazon was asked as its model says: per marketplace, with details.
        calls = self.emulator.calls_for("getInventorySummaries")
        self.assertEqual({c.params["marketplaceIds"] for c in calls}, {US, DE})
        self.assertTrue(all(c.params["details"] == "true" for c in calls))

    def test_a_second_reconciliation_with_nothing_new_adjusts_nothing(self):
        self.reconcile()
        moves = self.env["stock.move"].search_count([("is_inventory", "=", True)])
        record = self.reconcile()
        self.assertEqual(record.adjusted_count, 0)
        self.assertEqual(self.env["stock.move"].search_count([("is_inventory", "=", True)]), moves)
        self.assertEqual(set(record.line_ids.mapped("drift")), {0})

    def test_units_count_once_per_network_and_networks_add_up(self):
        """Pan-European FBA: amazon.de and amazon.fr show the same units, counted
        once with the largest figure. The UK's fulfilment centres hold their own."""
        store = self.emulator.store
        store.set_fba_stock(SELLER_ID, FR, "MUG-01", fulfillable=18)
        store.set_fba_stock(SELLER_ID, UK, "MUG-01", fulfillable=7)
        self.addCleanup(store.fba_stock.pop, (SELLER_ID, FR, "MUG-01"))
        self.addCleanup(store.fba_stock.pop, (SELLER_ID, UK, "MUG-01"))
        french = self.env["amazon.marketplace"].search([("api_ref", "=", FR)])
        self.sell_on(US, DE, UK)
        self.account.available_marketplace_ids |= french
        self.account.marketplace_ids |= french
        self.assertEqual(
            (self.marketplace[DE] | french | self.marketplace[UK]).mapped("fba_network"),
            ["EU", "EU", "GB"],
        )
        record = self.reconcile()
        self.assertEqual(self.held(self.mug), 27 + 7)
        line = record.line_ids.filtered(lambda line: line.product_id == self.mug)
        self.assertEqual((line.fulfillable, line.reserved, line.inbound), (27, 2, 5))

    def test_a_product_amazon_no_longer_holds_goes_to_zero(self):
        # The emulator is the class's: the SKU comes back after the test.
        key = (SELLER_ID, DE, "TEE-M")
        self.addCleanup(
            self.emulator.store.fba_stock.__setitem__, key, self.emulator.store.fba_stock.pop(key)
        )
        record = self.reconcile()
        self.assertEqual(self.held(self.tee), 0)
        self.assertEqual(
            record.line_ids.filtered(lambda line: line.product_id == self.tee).drift, -10
        )

    def test_a_malformed_summary_is_its_sku_s_failure_never_taken_for_none(self):
        """A summary that breaks Amazon's model (a bucket that is no quantity) is
        its SKU's failure on the sync log: the product keeps what Odoo held
        (unread is not gone), and the other products are reconciled."""
        stock = self.emulator.store.fba_stock[(SELLER_ID, DE, "TEE-M")]
        stock.corruptions = [(("inventoryDetails", "fulfillableQuantity"), -4)]
        self.addCleanup(setattr, stock, "corruptions", [])
        record = self.reconcile()
        self.assertEqual((self.held(self.mug), self.held(self.tee)), (27, 10))
        self.assertNotIn(self.tee, record.line_ids.product_id)
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "fba_stock")[:1]
        self.assertEqual((log.state, log.failed), ("partial", 1))
        self.assertIn("TEE-M", log.error)
        self.assertIn("inventoryDetails.fulfillableQuantity", log.error)
        # A summary naming no SKU may be any product's: none is taken for gone.
        stock.corruptions = [(("sellerSku",), {"not": "a SKU"})]
        key = (SELLER_ID, DE, "LAMP")
        self.addCleanup(
            self.emulator.store.fba_stock.__setitem__, key, self.emulator.store.fba_stock.pop(key)
        )
        self.reconcile()
        self.assertEqual((self.held(self.tee), self.held(self.lamp)), (10, 2))
        # Mended: the next run reconciles it.
        stock.corruptions = []
        self.reconcile()
        self.assertEqual((self.held(self.tee), self.held(self.lamp)), (4, 0))

    def test_only_managers_reconcile_from_the_account(self):
        with self.assertRaises(AccessError):
            self.account.with_user(self.salesman).action_reconcile_fba_stock()
        action = self.account.with_user(self.sales_manager).action_reconcile_fba_stock()
        self.assertEqual(action["res_model"], "amazon.fba.reconciliation")
        record = self.env["amazon.fba.reconciliation"].browse(action["res_id"])
        self.assertEqual(
            record.with_user(self.salesman).line_ids.product_id, self.mug | self.tee | self.lamp
        )

    def test_units_reserved_for_a_pending_order_leave_with_the_order(self):
        """Amazon reserves 2 mugs for an order it ships after the
        reconciliation: the order's import takes them out, never below zero."""
        env = self.env
        env.ref("base.EUR").active = True
        env["product.pricelist"].create({"name": "EUR", "currency_id": env.ref("base.EUR").id})
        store = self.emulator.store
        store.set_fba_stock(SELLER_ID, DE, "MUG-01", fulfillable=0, reserved=2, inbound_shipped=0)
        self.addCleanup(
            store.set_fba_stock,
            SELLER_ID,
            DE,
            "MUG-01",
            fulfillable=20,
            reserved=2,
            inbound_shipped=5,
        )
        self.reconcile()
        self.assertEqual(self.held(self.mug), 2)
        store.add_order(
            SELLER_ID,
            DE,
            [{"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "9.90"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
            buyer_name="Erika Mustermann",
            buyer_email="erika@marketplace.amazon.example",
            address=Address(
                name="Erika Mustermann", city="Berlin", postal_code="10115", country_code="DE"
            ),
        )
        self.account._sync_orders()
        self.assertEqual(self.held(self.mug), 0)

    def test_send_to_amazon_is_one_transfer_the_reconciliation_confirms(self):
        """Replenishing Amazon: a reordering rule at the Amazon location plans a
        Send to Amazon transfer from the warehouse; once validated, Amazon
        counts the units inbound, then fulfillable, and the reconciliations
        find nothing to adjust."""
        env, store = self.env, self.emulator.store
        warehouse = self.account.warehouse_id
        picking_type = env["stock.picking.type"].search(
            [("amazon_send_to_amazon", "=", True), ("warehouse_id", "=", warehouse.id)]
        )
        self.assertEqual(len(picking_type), 1)
        self.assertEqual(picking_type.default_location_dest_id, self.location)
        route = env["stock.rule"].search([("picking_type_id", "=", picking_type.id)]).route_id
        self.assertEqual(len(route), 1)
        self.reconcile()
        self.assertEqual(self.held(self.lamp), 2)
        env["stock.quant"]._update_available_quantity(self.lamp, warehouse.lot_stock_id, 30)
        env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.lamp.id,
                "location_id": self.location.id,
                "warehouse_id": warehouse.id,
                "route_id": route.id,
                "product_min_qty": 5,
                "product_max_qty": 10,
            }
        ).action_replenish()
        picking = env["stock.picking"].search([("picking_type_id", "=", picking_type.id)])
        self.assertEqual(len(picking), 1)
        self.assertEqual(
            (picking.location_id, picking.location_dest_id), (warehouse.lot_stock_id, self.location)
        )
        self.assertEqual(picking.move_ids.product_uom_qty, 8)
        picking.action_assign()
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.held(self.lamp), 10)
        # On their way: Amazon counts them inbound. Then received.
        self.addCleanup(store.set_fba_stock, SELLER_ID, DE, "LAMP", fulfillable=2)
        for fulfillable, shipped, receiving in ((2, 8, 0), (2, 3, 5), (10, 0, 0)):
            store.set_fba_stock(
                SELLER_ID,
                DE,
                "LAMP",
                fulfillable=fulfillable,
                inbound_shipped=shipped,
                inbound_receiving=receiving,
            )
            record = self.reconcile()
            line = record.line_ids.filtered(lambda line: line.product_id == self.lamp)
            self.assertEqual((line.drift, self.held(self.lamp)), (0, 10))


@tagged("post_install", "-at_install")
class TestFbaTrackedProducts(AmazonTestCase):
    """Lot- and serial-tracked products sold through FBA: the lots Odoo holds at
    the Amazon location go first in, first out; without one, the order says so
    and a person enters the lot Amazon shipped."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(US)
        env = cls.env
        env["product.pricelist"].create({"name": "USD", "currency_id": env.ref("base.USD").id})
        cls.location = cls.account.location_id or cls.account.company_id._amazon_get_fba_location()
        cls.serum = env["product.product"].create(
            {"name": "Serum", "is_storable": True, "tracking": "lot"}
        )
        cls.camera = env["product.product"].create(
            {"name": "Camera", "is_storable": True, "tracking": "serial"}
        )
        for sku, product in (("SERUM", cls.serum), ("CAM", cls.camera)):
            env["amazon.offer"].create(
                {"account_id": cls.account.id, "sku": sku, "product_id": product.id}
            )
        Lot = env["stock.lot"]
        cls.older, cls.newer = (
            Lot.create({"name": name, "product_id": cls.serum.id}) for name in ("L-OLD", "L-NEW")
        )
        # Sent to Amazon in two shipments, the older lot first.
        Quant = env["stock.quant"]
        Quant._update_available_quantity(
            cls.serum, cls.location, 3, lot_id=cls.older, in_date="2026-01-05 08:00:00"
        )
        Quant._update_available_quantity(
            cls.serum, cls.location, 5, lot_id=cls.newer, in_date="2026-03-05 08:00:00"
        )
        cls.stock_user = new_test_user(
            env,
            login="amazon_fba_stock",
            groups="stock.group_stock_user,stock.group_production_lot",
        )

    def fba_order(self, sku, quantity):
        store = self.emulator.store
        order = store.add_order(
            SELLER_ID,
            US,
            [{"sku": sku, "title": sku, "quantity": quantity, "unit_price": "20.00"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
            buyer_name="Jane Doe",
            buyer_email="jane@marketplace.amazon.example",
            address=Address(
                name="Jane Doe", city="Seattle", postal_code="98101", country_code="US"
            ),
        )
        # The emulator is the class's: its order goes with the test.
        self.addCleanup(store.orders.pop, order.order_id)
        self.account._sync_orders()
        return self.env["sale.order"].search([("amazon_order_ref", "=", order.order_id)])

    def lot_quantity(self, lot):
        return sum(
            self.env["stock.quant"]
            .search([("lot_id", "=", lot.id), ("location_id", "=", self.location.id)])
            .mapped("quantity")
        )

    def test_an_fba_order_takes_its_lots_first_in_first_out(self):
        sale = self.fba_order("SERUM", 4)
        line = sale.order_line.filtered(lambda line: line.product_id == self.serum)
        move = line.move_ids
        self.assertEqual(move.state, "done")
        self.assertEqual(
            {(line.lot_id.name, line.quantity) for line in move.move_line_ids},
            {("L-OLD", 3), ("L-NEW", 1)},
        )
        self.assertEqual((self.lot_quantity(self.older), self.lot_quantity(self.newer)), (0, 4))
        self.assertFalse(sale.picking_ids, "Amazon shipped it: no delivery in Odoo")
        self.assertEqual(line.qty_delivered, 4)

    def test_a_serial_odoo_does_not_hold_is_asked_for_on_the_order(self):
        sale = self.fba_order("CAM", 1)
        self.assertEqual(sale.amazon_channel, "fba")
        self.assertEqual(sale.state, "sale", "the sale is in Odoo all the same")
        picking = sale.picking_ids
        self.assertEqual(len(picking), 1)
        self.assertEqual(picking.location_id, self.location)
        self.assertNotIn(picking.state, ("done", "cancel"))
        self.assertFalse(picking.move_line_ids.lot_id, "never a made-up serial")
        activity = sale.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertIn("Camera", activity.note)
        self.assertIn(picking.name, activity.note)
        # Not the warehouse's work to ship: the dashboard leaves it out.
        self.assertEqual(self.account.pickings_ship_today + self.account.pickings_late, 0)
        # A second sync books nothing twice.
        self.account._sync_orders()
        self.assertEqual(len(sale.picking_ids), 1)
        self.assertEqual(len(sale.order_line.move_ids), 1)
        line = sale.order_line.filtered(lambda line: line.product_id == self.camera)
        # The warehouse enters the serial Amazon shipped and validates.
        serial = self.env["stock.lot"].create({"name": "CAM-0001", "product_id": self.camera.id})
        as_user = picking.with_user(self.stock_user)
        as_user.move_ids.move_line_ids.unlink()
        as_user.move_ids.move_line_ids = [
            (
                0,
                0,
                {
                    "product_id": self.camera.id,
                    "lot_id": serial.id,
                    "quantity": 1,
                    "location_id": self.location.id,
                    "location_dest_id": picking.location_dest_id.id,
                    "picking_id": picking.id,
                },
            )
        ]
        as_user.move_ids.picked = True
        as_user.button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(line.qty_delivered, 1)
        self.assertEqual(picking.amazon_sync_state, False, "Amazon shipped it: nothing to confirm")
        self.assertFalse(self.emulator.calls_for("confirmShipment"))
