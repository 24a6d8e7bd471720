from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import DE
from .test_orders import OrderSyncCase, ago


@tagged("post_install", "-at_install")
class TestShipmentConfirmation(OrderSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ups = cls.env["delivery.carrier"].create(
            {
                "name": "UPS Ground",
                "product_id": cls.env.ref("sale_amazon_connector.product_amazon_shipping").id,
                "amazon_carrier_code": "UPS",
            }
        )
        cls.local_courier = cls.env["delivery.carrier"].create(
            {
                "name": "Kurier Schmidt",
                "product_id": cls.env.ref("sale_amazon_connector.product_amazon_shipping").id,
            }
        )

    def import_fbm_order(self, mug=2, tee=1):
        items = [{"sku": "MUG-01", "title": "Mug", "quantity": mug, "unit_price": "11.90"}]
        if tee:
            items.append({"sku": "TEE-M", "title": "Tee", "quantity": tee, "unit_price": "19.99"})
        amazon = self.add_order(DE, items)
        self.sync()
        sale = self.sale_of(amazon)
        return amazon, sale, sale.picking_ids

    def validate(
        self, picking, quantities=None, tracking="1Z999AA1", carrier=None, backorder=False
    ):
        picking.carrier_id = carrier or self.ups
        picking.carrier_tracking_ref = tracking
        for move in picking.move_ids.filtered(lambda m: m.state != "cancel"):
            move.quantity = (quantities or {}).get(move.product_id, move.product_uom_qty)
            move.picked = True
        context = (
            {}
            if backorder
            else {"skip_backorder": True, "picking_ids_not_to_backorder": picking.ids}
        )
        result = picking.with_context(**context).button_validate()
        if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
            wizard = (
                self.env["stock.backorder.confirmation"].with_context(result["context"]).create({})
            )
            wizard.process()
        return picking

    def send(self):
        self.env["stock.picking"]._cron_send_shipments()

    def item_ref(self, amazon, sku):
        return next(i.order_item_id for i in amazon.items if i.sku == sku)

    # --- tests -----------------------------------------------------------------------------
    def test_full_shipment(self):
        amazon, sale, picking = self.import_fbm_order()
        self.validate(picking)
        self.assertEqual(picking.amazon_sync_state, "to_send")
        self.assertFalse(self.emulator.calls_for("confirmShipment"))  # not inside validation
        self.send()
        self.assertEqual(picking.amazon_sync_state, "sent")
        self.assertTrue(picking.amazon_sync_date)
        (call,) = self.emulator.calls_for("confirmShipment")
        self.assertEqual(call.path, f"/orders/v0/orders/{amazon.order_id}/shipmentConfirmation")
        detail = call.body["packageDetail"]
        self.assertEqual(call.body["marketplaceId"], DE)
        self.assertEqual((detail["carrierCode"], detail["carrierName"]), ("UPS", "UPS Ground"))
        self.assertEqual(detail["trackingNumber"], "1Z999AA1")
        self.assertTrue(detail["packageReferenceId"].isdigit())
        # What Amazon recorded is what was shipped, line by line.
        self.assertEqual(
            sorted((i["orderItemId"], i["quantity"]) for i in detail["orderItems"]),
            sorted([(self.item_ref(amazon, "MUG-01"), 2), (self.item_ref(amazon, "TEE-M"), 1)]),
        )
        self.assertEqual(amazon.status, "SHIPPED")
        self.assertEqual([i.quantity_shipped for i in amazon.items], [2, 1])
        # The next order sync brings Amazon's status back.
        self.emulator.store.travel(minutes=5)
        self.sync()
        self.assertEqual(sale.amazon_status, "SHIPPED")

    def test_two_partial_shipments_via_backorder(self):
        amazon, sale, picking = self.import_fbm_order(mug=2, tee=1)
        self.validate(picking, {self.mug: 1, self.tee: 0}, tracking="TRACK-1", backorder=True)
        backorder = sale.picking_ids - picking
        self.assertEqual(len(backorder), 1)
        self.send()
        self.assertEqual(amazon.status, "PARTIALLY_SHIPPED")
        self.validate(backorder, tracking="TRACK-2")
        self.send()
        self.assertEqual(amazon.status, "SHIPPED")
        first, second = self.emulator.calls_for("confirmShipment")
        self.assertNotEqual(
            first.body["packageDetail"]["packageReferenceId"],
            second.body["packageDetail"]["packageReferenceId"],
        )
        self.assertEqual(
            first.body["packageDetail"]["orderItems"],
            [{"orderItemId": self.item_ref(amazon, "MUG-01"), "quantity": 1}],
        )
        self.assertEqual(
            sorted(
                (i["orderItemId"], i["quantity"])
                for i in second.body["packageDetail"]["orderItems"]
            ),
            sorted([(self.item_ref(amazon, "MUG-01"), 1), (self.item_ref(amazon, "TEE-M"), 1)]),
        )
        self.assertEqual(len(amazon.packages), 2)
        self.assertEqual(set(sale.picking_ids.mapped("amazon_sync_state")), {"sent"})

    # --- what Amazon already shipped (issue #40) -------------------------------------------
    def delivered(self, sale, product):
        line = sale.order_line.filtered(lambda line: line.product_id == product)
        return line.qty_delivered

    def test_a_partly_shipped_order_ships_only_what_is_left(self):
        """Amazon says 2 of 6 mugs left (in Seller Central): the delivery holds
        the 4 left, the 2 are delivered from the warehouse's stock, and what the
        warehouse then ships is what Amazon takes."""
        amazon = self.add_order(
            DE,
            [
                {"sku": "MUG-01", "title": "Mug", "quantity": 6, "unit_price": "11.90"},
                {"sku": "TEE-M", "title": "Tee", "quantity": 1, "unit_price": "19.99"},
            ],
        )
        self.emulator.store.ship_elsewhere(amazon.order_id, {"MUG-01": 2}, ago(hours=1))
        self.sync()
        sale = self.sale_of(amazon)
        self.assertEqual(sale.amazon_status, "PARTIALLY_SHIPPED")
        self.assertEqual(sale.amazon_status_label, "Partially Shipped")
        delivery = sale.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        self.assertEqual(len(delivery), 1)
        demand = {m.product_id: m.product_uom_qty for m in delivery.move_ids}
        self.assertEqual(demand, {self.mug: 4, self.tee: 1})
        self.assertEqual(self.delivered(sale, self.mug), 2)
        (left,) = sale.order_line.move_ids.filtered(lambda m: m.state == "done")
        warehouse = self.account.warehouse_id
        self.assertEqual((left.location_id, left.product_uom_qty), (warehouse.lot_stock_id, 2))
        # One more mug leaves outside Odoo; the next sync takes it off the delivery.
        self.emulator.store.ship_elsewhere(amazon.order_id, {"MUG-01": 1}, ago(minutes=5))
        self.sync()
        self.assertEqual(
            delivery.move_ids.filtered(lambda m: m.product_id == self.mug).product_uom_qty, 3
        )
        self.assertEqual(self.delivered(sale, self.mug), 3)
        self.sync()  # nothing new: nothing recorded twice
        self.assertEqual(self.delivered(sale, self.mug), 3)
        self.validate(delivery)
        self.send()
        self.assertEqual(delivery.amazon_sync_state, "sent", delivery.amazon_sync_error)
        self.assertEqual(amazon.status, "SHIPPED")
        self.assertEqual([i.quantity_shipped for i in amazon.items], [6, 1])
        # Seen by the next sync (searchOrders looks two minutes back at least),
        # and later than the change Odoo last read.
        amazon.last_updated_time = ago(minutes=3)
        self.sync()
        self.assertEqual(self.delivered(sale, self.mug), 6, "Odoo's shipment is counted once")
        self.assertEqual(sale.amazon_status, "SHIPPED")

    def test_an_item_shipped_whole_elsewhere_leaves_the_delivery(self):
        amazon, sale, picking = self.import_fbm_order(mug=2, tee=1)
        self.emulator.store.ship_elsewhere(amazon.order_id, {"TEE-M": 1})
        self.emulator.store.travel(minutes=5)
        self.sync()
        tee_move = picking.move_ids.filtered(lambda m: m.product_id == self.tee)
        self.assertEqual(tee_move.state, "cancel")
        self.assertEqual(self.delivered(sale, self.tee), 1)
        self.validate(picking)
        self.send()
        self.assertEqual(picking.amazon_sync_state, "sent", picking.amazon_sync_error)
        self.assertEqual(amazon.status, "SHIPPED")

    def test_order_in_two_packages(self):
        amazon, _sale, picking = self.import_fbm_order(mug=2, tee=1)
        picking.carrier_id = self.ups
        picking.carrier_tracking_ref = "PKG-A,PKG-B"
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        mug_lines = picking.move_line_ids.filtered(lambda line: line.product_id == self.mug)
        tee_lines = picking.move_line_ids - mug_lines
        package_a = self.env["stock.quant.package"].create({"name": "A"})
        package_b = self.env["stock.quant.package"].create({"name": "B"})
        mug_lines.result_package_id = package_a
        tee_lines.result_package_id = package_b
        picking.with_context(skip_backorder=True).button_validate()
        self.send()
        calls = self.emulator.calls_for("confirmShipment")
        self.assertEqual(len(calls), 2)
        details = sorted(
            (c.body["packageDetail"] for c in calls), key=lambda d: d["trackingNumber"]
        )
        self.assertEqual([d["trackingNumber"] for d in details], ["PKG-A", "PKG-B"])
        self.assertEqual(
            details[0]["orderItems"][0]["orderItemId"], self.item_ref(amazon, "MUG-01")
        )
        self.assertEqual(len({d["packageReferenceId"] for d in details}), 2)
        self.assertEqual(amazon.status, "SHIPPED")

    def test_resending_a_package_edits_it(self):
        amazon, _sale, picking = self.import_fbm_order(tee=0)
        self.validate(picking, tracking="WRONG-1")
        self.send()
        picking.carrier_tracking_ref = "RIGHT-1"
        picking.action_amazon_retry()
        self.assertEqual(len(self.emulator.calls_for("confirmShipment")), 2)
        self.assertEqual([p.tracking_number for p in amazon.packages], ["RIGHT-1"])

    def test_missing_tracking_number_stops_validation(self):
        _amazon, _sale, picking = self.import_fbm_order(tee=0)
        with self.assertRaisesRegex(UserError, "Amazon needs a tracking number"):
            self.validate(picking, tracking=False)
        self.assertNotEqual(picking.state, "done")
        self.assertFalse(picking.amazon_sync_state)
        self.send()
        self.assertFalse(self.emulator.calls_for("confirmShipment"))

    def test_carrier_without_code_is_other_with_its_name(self):
        _amazon, _sale, picking = self.import_fbm_order(tee=0)
        self.validate(picking, carrier=self.local_courier)
        self.send()
        detail = self.emulator.calls_for("confirmShipment")[0].body["packageDetail"]
        self.assertEqual(
            (detail["carrierCode"], detail["carrierName"]), ("Other", "Kurier Schmidt")
        )

    def test_self_delivery_needs_no_tracking(self):
        self.local_courier.amazon_carrier_code = "Self Delivery"
        _amazon, _sale, picking = self.import_fbm_order(tee=0)
        self.validate(picking, carrier=self.local_courier, tracking=False)
        self.send()
        detail = self.emulator.calls_for("confirmShipment")[0].body["packageDetail"]
        self.assertEqual(detail["carrierCode"], "Other")
        self.assertEqual(detail["trackingNumber"], picking.name)
        self.assertEqual(picking.amazon_sync_state, "sent")

    def test_amazon_refusal_then_retry_after_the_fix(self):
        amazon, _sale, picking = self.import_fbm_order(tee=0)
        self.emulator.store.set_status(amazon.order_id, "CANCELLED")  # Amazon will refuse
        self.validate(picking)
        self.send()
        self.assertEqual(picking.amazon_sync_state, "failed")
        self.assertIn("CANCELLED", picking.amazon_sync_error)
        activity = self.account.activity_ids.filtered(
            lambda a: "refused by Amazon" in (a.summary or "")
        )
        self.assertEqual(len(activity), 1)
        self.assertIn(picking.name, str(activity.note))
        message = self.account.message_ids[0]
        self.assertIn(self.account.responsible_id.partner_id, message.partner_ids)
        # The cron does not hammer Amazon with a refused confirmation.
        self.send()
        self.assertEqual(len(self.emulator.calls_for("confirmShipment")), 1)
        # Fixed on Amazon's side: Retry sends it.
        self.emulator.store.set_status(amazon.order_id, "UNSHIPPED")
        action = picking.action_amazon_retry()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(picking.amazon_sync_state, "sent")
        self.assertFalse(picking.amazon_sync_error)

    def test_a_warehouse_user_without_email_ships_and_retries(self):
        """Issue #21, findings 1 and 11: a warehouse login (Sales: own documents,
        Inventory: user, no email address) validates an Amazon delivery it cannot
        read the order of; Amazon's answer alone decides the delivery's status."""
        amazon, sale, picking = self.import_fbm_order(tee=0)
        sale.user_id = self.sales_manager  # someone else's order
        clerk = new_test_user(
            self.env,
            login="amazon_clerk",
            groups="sales_team.group_sale_salesman,stock.group_stock_user",
        )
        clerk.partner_id.email = False
        self.assertFalse(picking.sale_id.with_user(clerk).has_access("read"))
        picking = picking.with_user(clerk)
        self.validate(picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.amazon_sync_state, "to_send")
        # The send right after the validation's commit, on a cursor of its own
        # (test mode: that cursor shares this test's transaction).
        self.env.flush_all()  # as the commit would
        self.registry.enter_test_mode(self.cr)
        try:
            self.env.cr.postcommit.run()
        finally:
            self.registry.leave_test_mode()
        picking.invalidate_recordset()
        self.assertEqual(picking.amazon_sync_state, "sent")
        self.assertFalse(picking.amazon_sync_error)
        self.assertEqual(len(self.emulator.calls_for("confirmShipment")), 1)
        self.assertEqual(amazon.status, "SHIPPED")
        note = picking.sudo().message_ids.filtered(lambda m: "confirmed to Amazon" in str(m.body))
        self.assertEqual(note.author_id, self.env.ref("base.partner_root"))
        # The warehouse may send it again (Amazon edits the same package)...
        action = picking.action_amazon_retry()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(picking.amazon_sync_state, "sent")
        self.assertEqual(len(self.emulator.calls_for("confirmShipment")), 2)
        self.assertEqual(len(amazon.packages), 1)
        # ...a salesman may not.
        with self.assertRaises(AccessError):
            picking.with_user(self.salesman).action_amazon_retry()

    def test_two_senders_never_send_the_same_delivery_twice(self):
        """Issue #21, finding 8: the cron read its batch before the post-commit
        send confirmed the delivery; it must not send it again."""
        _amazon, _sale, picking = self.import_fbm_order(tee=0)
        self.validate(picking)
        cron_batch = self.env["stock.picking"].search([("amazon_sync_state", "=", "to_send")])
        self.assertIn(picking, cron_batch)
        picking._amazon_send()  # the post-commit send gets there first
        cron_batch._amazon_send()
        self.assertEqual(len(self.emulator.calls_for("confirmShipment")), 1)
        self.assertEqual(picking.amazon_sync_state, "sent")

    def test_an_error_that_is_not_amazons_leaves_the_delivery_to_send(self):
        _amazon, _sale, picking = self.import_fbm_order(tee=0)
        self.validate(picking)
        refresh_token = self.account.refresh_token
        self.account.refresh_token = False  # unlinked: Odoo's problem, not a refusal
        self.send()
        self.assertEqual(picking.amazon_sync_state, "to_send")
        self.assertTrue(picking.amazon_sync_error)
        self.assertFalse(self.emulator.calls_for("confirmShipment"))
        self.account.refresh_token = refresh_token
        self.send()
        self.assertEqual(picking.amazon_sync_state, "sent")

    def test_a_delivery_that_fails_in_odoo_is_its_own_and_the_others_are_sent(self):
        """Issue #34: a delivery whose confirmation fails in Odoo (here, a bug in
        its packages) stays To Send with the reason, named on the sync log;
        the other delivery of the run is confirmed."""
        items = [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}]
        orders = [self.add_order(DE, items) for _n in range(2)]
        self.sync()
        broken, fine = (self.sale_of(order).picking_ids for order in orders)
        self.validate(broken)
        self.validate(fine)
        packages = type(broken)._amazon_packages

        def failing(picking):
            if picking == broken:
                raise ZeroDivisionError("a bug")
            return packages(picking)

        with patch.object(type(broken), "_amazon_packages", failing):
            self.send()
        self.assertEqual((broken.amazon_sync_state, fine.amazon_sync_state), ("to_send", "sent"))
        self.assertIn("ZeroDivisionError: a bug", broken.amazon_sync_error)
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "shipments")[:1]
        self.assertEqual((log.fetched, log.updated, log.skipped), (2, 1, 1))
        self.send()
        self.assertEqual(broken.amazon_sync_state, "sent")

    def test_emulator_throttling_or_down_postpones(self):
        amazon, _sale, picking = self.import_fbm_order(tee=0)
        self.validate(picking)
        self.emulator.faults.add("confirmShipment", "throttle", count=20)
        self.send()
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.amazon_sync_state, "to_send")
        self.assertIn("Not sent yet", picking.amazon_sync_error)
        url = self.account.custom_api_url
        self.account.custom_api_url = "http://127.0.0.1:9"
        self.send()
        self.assertEqual(picking.amazon_sync_state, "to_send")
        self.account.custom_api_url = url
        self.emulator.faults.clear()
        self.account.action_sync_pickings()
        self.assertEqual(picking.amazon_sync_state, "sent")
        self.assertEqual(amazon.status, "SHIPPED")

    def test_returns_and_fba_orders_never_confirm(self):
        _amazon, _sale, picking = self.import_fbm_order(tee=0)
        self.validate(picking)
        self.send()
        calls = len(self.emulator.calls_for("confirmShipment"))
        wizard = (
            self.env["stock.return.picking"]
            .with_context(active_id=picking.id, active_model="stock.picking")
            .create({})
        )
        wizard.product_return_moves.quantity = 1
        action = wizard.action_create_returns()
        returned = self.env["stock.picking"].browse(action["res_id"])
        returned.move_ids.quantity = 1
        returned.move_ids.picked = True
        returned.button_validate()
        self.assertFalse(returned.amazon_sync_state)
        fba = self.add_order(DE, fulfilled_by="AMAZON", status="SHIPPED")
        self.sync()
        self.assertFalse(self.sale_of(fba).picking_ids)
        self.send()
        self.assertEqual(len(self.emulator.calls_for("confirmShipment")), calls)
