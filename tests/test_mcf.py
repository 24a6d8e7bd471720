"""Multi-Channel Fulfillment (issue #38): a salesman confirms a webshop order
whose line takes the account's route "Fulfilled by Amazon (MCF)"; the flow
previews and creates the fulfillment order under the delivery's reference;
Amazon's packages validate the delivery (a backorder for the rest), with
their tracking; cancelling asks Amazon; bad input is refused with Amazon's or
Odoo's reason and nothing half-sent."""

from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import DE, SELLER_ID, AmazonTestCase
from .test_orders import ago


@tagged("post_install", "-at_install")
class TestMultiChannelFulfillment(AmazonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.sell_on(DE, link_date="2026-12-01 00:00:00")
        manager = cls.account.with_user(cls.sales_manager)
        manager.mcf_marketplace_id = cls.marketplace[DE]
        manager.action_enable_mcf()
        cls.mug = env["product.product"].create(
            {"name": "Mug", "default_code": "MUG-01", "is_storable": True, "list_price": 12}
        )
        cls.tee = env["product.product"].create(
            {"name": "Tee", "default_code": "TEE-M", "is_storable": True, "list_price": 20}
        )
        env["amazon.offer"].create(
            {"account_id": cls.account.id, "sku": "MUG-01", "product_id": cls.mug.id}
        )
        env["stock.quant"]._update_available_quantity(cls.mug, cls.account.location_id, 10)
        cls.customer = env["res.partner"].create(
            {
                "name": "Webshop Kunde",
                "street": "Hauptstr. 1",
                "city": "Berlin",
                "zip": "10115",
                "country_id": env.ref("base.de").id,
                "email": "kunde@example.com",
            }
        )
        cls.warehouse_user = new_test_user(
            env, login="amazon_mcf_packer", groups="stock.group_stock_user"
        )

    def setUp(self):
        super().setUp()
        store = self.emulator.store
        store.fulfillment_orders.clear()
        self.emulator.reset_calls()
        store.set_fba_stock(SELLER_ID, DE, "MUG-01", fulfillable=10, reserved=0)

    def webshop_order(self, product=None, quantity=3, customer=None):
        """A salesman's order of the webshop, shipped by Amazon."""
        sale = (
            self.env["sale.order"]
            .with_user(self.salesman)
            .create(
                {
                    "partner_id": (customer or self.customer).id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": (product or self.mug).id,
                                "product_uom_qty": quantity,
                                "route_id": self.account.mcf_route_id.id,
                            },
                        )
                    ],
                }
            )
        )
        sale.action_confirm()
        return sale, sale.picking_ids

    def sync(self):
        return self.env["amazon.mcf.sync"]._run(self.account)

    def test_a_webshop_order_is_shipped_by_amazon_package_by_package(self):
        self.env.company.stock_move_email_validation = True  # Odoo's shipping email
        sale, picking = self.webshop_order(quantity=3)
        self.assertEqual(picking.location_id, self.account.location_id)
        self.assertEqual(picking.amazon_mcf_state, "to_send")
        self.sync()
        ref = picking.name.replace("/", "-")
        self.assertEqual((picking.amazon_mcf_state, picking.amazon_mcf_ref), ("sent", ref))
        # Amazon's previews on the order: each speed, its fees and dates.
        previews = sale.amazon_mcf_preview_ids
        self.assertEqual(set(previews.mapped("speed")), {"Standard", "Expedited", "Priority"})
        self.assertTrue(all(p.fulfillable and p.fee > 0 and p.arrival_by for p in previews))
        order = self.emulator.store.fulfillment_orders[SELLER_ID, ref]
        request = order.request
        self.assertEqual(request["shippingSpeedCategory"], "Standard")
        self.assertEqual(request["destinationAddress"]["postalCode"], "10115")
        self.assertEqual(
            [(i["sellerSku"], i["quantity"]) for i in request["items"]], [("MUG-01", 3)]
        )
        self.assertEqual(request["displayableOrderId"], sale.name)
        # A first package of 2: the delivery done with 2, a backorder of 1.
        item = request["items"][0]["sellerFulfillmentOrderItemId"]
        self.emulator.store.ship_fulfillment_order(SELLER_ID, ref, {item: 2})
        self.sync()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.move_ids.quantity, 2)
        self.assertTrue(picking.carrier_tracking_ref.startswith("DHL"))
        # Not an Amazon buyer: Odoo's usual rules, its shipping email included.
        self.assertTrue(picking.message_ids.filtered(lambda m: self.customer in m.partner_ids))
        backorder = sale.picking_ids - picking
        self.assertEqual(backorder.amazon_mcf_ref, ref)
        self.assertEqual(backorder.amazon_mcf_state, "sent")
        self.assertEqual(backorder.move_ids.product_uom_qty, 1)
        # The rest: the backorder done; Amazon's order complete; the Amazon
        # location went down by what Amazon shipped.
        self.emulator.store.ship_fulfillment_order(SELLER_ID, ref)
        self.sync()
        self.assertEqual(backorder.state, "done")
        self.assertEqual((picking | backorder).mapped("amazon_mcf_state"), ["done", "done"])
        self.assertEqual(backorder.amazon_mcf_status, "Complete")
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.mug, self.account.location_id), 7
        )
        self.assertEqual(sale.order_line.qty_delivered, 3)
        # Followed by a warehouse user: what they read of it.
        seen = backorder.with_user(self.warehouse_user)
        self.assertEqual(seen.amazon_mcf_state, "done")
        self.assertTrue(
            seen.amazon_mcf_preview_ids
            | picking.with_user(self.warehouse_user).amazon_mcf_preview_ids
        )
        # Sent once, read back without a second creation.
        self.assertEqual(len(self.emulator.calls_for("createFulfillmentOrder")), 1)

    def test_what_amazon_cannot_ship_is_refused_and_nothing_sent(self):
        _sale, no_offer = self.webshop_order(product=self.tee, quantity=1)
        stranger = self.customer.copy({"name": "Falsche PLZ", "zip": "ABCDE"})
        _sale, bad_address = self.webshop_order(quantity=1, customer=stranger)
        _sale, too_many = self.webshop_order(quantity=11)
        cap = self.env["product.product"].create({"name": "Cap", "is_storable": True})
        self.env["amazon.offer"].create(
            {"account_id": self.account.id, "sku": "CAP-1", "product_id": cap.id}
        )
        _sale, unknown_sku = self.webshop_order(product=cap, quantity=1)
        self.sync()
        self.assertEqual(unknown_sku.amazon_mcf_state, "refused")
        self.assertIn("CAP-1: InvalidSKU", unknown_sku.amazon_mcf_error)
        self.assertEqual(no_offer.amazon_mcf_state, "refused")
        self.assertIn("Tee have no Amazon offer", no_offer.amazon_mcf_error)
        self.assertEqual(bad_address.amazon_mcf_state, "refused")
        self.assertIn("InvalidDestinationAddress", bad_address.amazon_mcf_error)
        self.assertEqual(too_many.amazon_mcf_state, "refused")
        self.assertIn("MUG-01: InventoryUnavailable", too_many.amazon_mcf_error)
        self.assertFalse(self.emulator.calls_for("createFulfillmentOrder"))
        for picking in (no_offer, bad_address, too_many):
            self.assertTrue(picking.activity_ids, picking.name)
            self.assertNotEqual(picking.state, "done")
        # The address mended, the warehouse sends it again: Amazon takes it.
        stranger.zip = "10115"
        bad_address.with_user(self.warehouse_user).action_amazon_mcf_retry()
        self.assertFalse(bad_address.activity_ids)
        self.sync()
        self.assertEqual(bad_address.amazon_mcf_state, "sent")
        self.assertEqual(len(self.emulator.calls_for("createFulfillmentOrder")), 1)

    def test_a_crash_between_the_creation_and_its_record_sends_nothing_twice(self):
        _sale, picking = self.webshop_order(quantity=2)
        picking_model = type(picking)
        write = picking_model.write
        crashed = []

        def crash_once(records, vals):
            if vals.get("amazon_mcf_state") == "sent" and not crashed:
                crashed.append(True)
                raise RuntimeError("the worker died before Odoo recorded the order")
            return write(records, vals)

        self.patch(picking_model, "write", crash_once)
        self.sync()
        self.assertEqual(picking.amazon_mcf_state, "to_send")
        self.assertEqual(len(self.emulator.store.fulfillment_orders), 1)
        self.sync()
        self.assertEqual(picking.amazon_mcf_state, "sent")
        self.assertEqual(len(self.emulator.store.fulfillment_orders), 1)
        self.assertEqual(self.emulator.store.fba_stock[SELLER_ID, DE, "MUG-01"].reserved, 2)

    def test_cancelling_asks_amazon_while_it_allows_it(self):
        _sale, picking = self.webshop_order(quantity=2)
        _sale, late = self.webshop_order(quantity=1)
        self.sync()
        picking.with_user(self.warehouse_user).action_cancel()
        self.assertEqual((picking.state, picking.amazon_mcf_state), ("cancel", "cancelled"))
        store = self.emulator.store
        self.assertEqual(
            store.fulfillment_orders[SELLER_ID, picking.amazon_mcf_ref].status, "Cancelled"
        )
        self.assertEqual(store.fba_stock[SELLER_ID, DE, "MUG-01"].reserved, 1)
        store.advance_fulfillment_order(SELLER_ID, late.amazon_mcf_ref, "Processing")
        with self.assertRaises(UserError) as caught:
            late.with_user(self.warehouse_user).action_cancel()
        self.assertIn("can no longer be cancelled", str(caught.exception))
        self.assertNotEqual(late.state, "cancel")

    def test_an_order_amazon_finds_unfulfillable_raises_an_activity(self):
        _sale, picking = self.webshop_order(quantity=2)
        self.sync()
        self.emulator.store.advance_fulfillment_order(
            SELLER_ID, picking.amazon_mcf_ref, "Unfulfillable"
        )
        self.sync()
        self.assertEqual(picking.amazon_mcf_state, "refused")
        self.assertIn("Unfulfillable", picking.amazon_mcf_error)
        self.assertTrue(picking.activity_ids)

    def test_the_fba_reconciliation_counts_mcf_shipments_once(self):
        """Amazon shipped an MCF order before Odoo read it: the reconciliation
        applies the package first, and books no drift for those units."""
        _sale, picking = self.webshop_order(quantity=3)
        self.sync()
        self.emulator.store.ship_fulfillment_order(SELLER_ID, picking.amazon_mcf_ref)
        result = self.env["amazon.fba.inventory"]._run(self.account)
        self.assertEqual(picking.state, "done")
        line = result.extra["reconciliation"].line_ids.filtered(
            lambda row: row.product_id == self.mug
        )
        self.assertEqual((line.amazon_quantity, line.odoo_before, line.drift), (7, 7, 0))
        self.assertEqual(
            self.env["stock.quant"]._get_available_quantity(self.mug, self.account.location_id), 7
        )

    def test_amazons_mcf_fees_are_booked_once_in_the_payout(self):
        store = self.emulator.store
        store.transactions.clear()
        store.event_groups.clear()
        group = store.add_event_group(SELLER_ID, "FEG-MCF", "EUR", ago(days=2))
        _sale, picking = self.webshop_order(quantity=2)
        self.sync()
        store.ship_fulfillment_order(SELLER_ID, picking.amazon_mcf_ref)
        self.sync()
        for transaction in store.transactions:
            transaction.posted -= timedelta(hours=1)  # listed two minutes after posting
        group.processing_status, group.fund_transfer_status = "Closed", "Succeeded"
        group.end = group.transfer_date = ago(hours=1)
        finances = self.env["amazon.finance.import"]
        finances._run(self.account)
        finances._run(self.account)  # read again: booked once
        payout = self.env["amazon.payout"].search([("ref", "=", "FEG-MCF")])
        self.assertEqual(payout.state, "booked")
        fees = payout.move_id.line_ids.filtered(
            lambda line: "FBAPerUnitFulfillmentFee" in (line.name or "")
        )
        self.assertAlmostEqual(fees.debit, 8.20)
        transactions = self.env["amazon.finance.transaction"].search(
            [("account_id", "=", self.account.id)]
        )
        self.assertEqual(len(transactions), 1)
        self.assertEqual(len(self.env["account.move"].search([("id", "=", payout.move_id.id)])), 1)
