"""FBA stock truth (issue #17): Odoo's Amazon location takes what Amazon holds
(getInventorySummaries), through Odoo's inventory adjustments, with a drift
report per product."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..spapi_emulator import Address
from .common import DE, SELLER_ID, US, AmazonTestCase


@tagged("post_install", "-at_install")
class TestFbaReconciliation(AmazonTestCase):
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

    def held(self, product):
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "=", self.location.id)]
        )
        return sum(quants.mapped("quantity"))

    def reconcile(self):
        return self.env["amazon.fba.inventory"]._reconcile(self.account)

    def test_reconciliation_from_a_drifted_state_with_its_report(self):
        record = self.reconcile()
        # Fulfillable plus reserved: the reserved units leave with their orders.
        self.assertEqual(
            (self.held(self.mug), self.held(self.tee), self.held(self.lamp)), (22, 4, 2)
        )
        negatives = self.env["stock.quant"].search(
            [("location_id", "=", self.location.id), ("quantity", "<", 0)]
        )
        self.assertFalse(negatives, "no product is negative at the Amazon location")
        lines = {line.product_id: line for line in record.line_ids}
        mug, tee, lamp = lines[self.mug], lines[self.tee], lines[self.lamp]
        self.assertEqual((mug.odoo_before, mug.fulfillable, mug.amazon_quantity), (-3, 20, 22))
        self.assertEqual(mug.drift, 25)
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
        self.assertEqual(len(moves), 2)
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

    def test_units_one_network_reports_in_several_marketplaces_count_once(self):
        """Pan-European FBA, remote fulfilment: the same units in each
        marketplace's summary. Counted once, with the largest figure."""
        self.emulator.store.set_fba_stock(SELLER_ID, US, "MUG-01", fulfillable=18)
        self.addCleanup(self.emulator.store.fba_stock.pop, (SELLER_ID, US, "MUG-01"))
        self.reconcile()
        self.assertEqual(self.held(self.mug), 22)

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
