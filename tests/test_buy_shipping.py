"""Amazon Buy Shipping (issue #37): a warehouse user validates an FBM delivery
whose shipping method is Amazon Buy Shipping; the label is rated, bought and
attached through Odoo's carrier framework, against the emulator's Shipping
API v2."""

import base64

from odoo import sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import DE, buy_shipping_carrier
from .test_orders import OrderSyncCase


class BuyShippingCase(OrderSyncCase):
    """An FBM order's delivery shipped with Amazon Buy Shipping, validated by a
    warehouse user who does not own the order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.amazon_shipping = buy_shipping_carrier(env)
        cls.mug.weight = 0.4
        cls.account.buy_shipping_rule = "cheapest"
        cls.clerk = new_test_user(
            env,
            login="amazon_packer",
            groups="sales_team.group_sale_salesman,stock.group_stock_user",
        )

    def setUp(self):
        super().setUp()
        self._forget_purchases()
        self.addCleanup(self._forget_purchases)

    def _forget_purchases(self):
        # Purchases in flight are committed outside the test's transaction.
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("DELETE FROM amazon_shipping_purchase")

    def import_order(self, quantity=2):
        items = [{"sku": "MUG-01", "title": "Mug", "quantity": quantity, "unit_price": "11.90"}]
        amazon = self.add_order(DE, items)
        self.sync()
        sale = self.sale_of(amazon)
        picking = sale.picking_ids.with_user(self.clerk)
        picking.carrier_id = self.amazon_shipping
        return amazon, sale, picking

    def validate(self, picking):
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        return picking.button_validate()


@tagged("post_install", "-at_install")
class TestBuyShipping(BuyShippingCase):
    def test_a_warehouse_user_validating_buys_the_label_which_confirms_the_order(self):
        amazon, sale, picking = self.import_order()
        self.validate(picking)
        self.assertEqual(picking.state, "done")
        (label,) = picking.sudo().amazon_label_ids
        # The account's rule (cheapest) among Amazon's rates.
        self.assertEqual(
            (label.carrier_name, label.service_name),
            ("Amazon Shipping", "Amazon Shipping Standard"),
        )
        self.assertEqual(picking.carrier_tracking_ref, label.tracking_ref)
        self.assertAlmostEqual(picking.carrier_price, label.amount)
        self.assertEqual(label.currency_id.name, "EUR")
        self.assertTrue(base64.b64decode(label.attachment_id.datas).startswith(b"%PDF-1.4"))
        # The rate request: the order, its items, no shipTo; a box of 30x20x10 cm.
        (rates,) = self.emulator.calls_for("getRates")
        channel = rates.body["channelDetails"]
        self.assertEqual(channel["amazonOrderDetails"]["orderId"], amazon.order_id)
        package = rates.body["packages"][0]
        self.assertEqual(
            package["items"], [{"itemIdentifier": amazon.items[0].order_item_id, "quantity": 2}]
        )
        self.assertEqual(
            package["dimensions"],
            {"length": 30.0, "width": 20.0, "height": 10.0, "unit": "CENTIMETER"},
        )
        self.assertEqual(package["weight"], {"value": 0.8, "unit": "KILOGRAM"})
        self.assertNotIn("shipTo", rates.body)
        # The label confirmed the shipment on Amazon: never confirmShipment again.
        self.assertEqual(amazon.status, "SHIPPED")
        self.assertEqual(picking.amazon_sync_state, "sent")
        self.env["stock.picking"]._cron_send_shipments()
        picking.action_amazon_retry()
        self.assertFalse(self.emulator.calls_for("confirmShipment"))
        # The buyer paid shipping on Amazon: the label is no line of the order.
        self.assertFalse(sale.order_line.filtered("is_delivery"))
        action = picking.action_amazon_print_labels()
        self.assertEqual(action["url"], f"/web/content/{label.attachment_id.id}?download=true")
        self.assertIn(label.tracking_ref, self.amazon_shipping.get_tracking_link(picking))

    def test_the_rule_fastest_and_zpl_labels(self):
        self.account.write({"buy_shipping_rule": "fastest", "buy_shipping_format": "ZPL"})
        _amazon, _sale, picking = self.import_order()
        self.validate(picking)
        label = picking.sudo().amazon_label_ids
        self.assertEqual(label.service_name, "Amazon Shipping One-Day")
        self.assertTrue(label.attachment_id.name.endswith(".zpl"))
        self.assertTrue(base64.b64decode(label.attachment_id.datas).startswith(b"^XA"))

    def test_missing_weight_and_size_are_said_before_any_call(self):
        _amazon, _sale, picking = self.import_order()
        self.mug.weight = 0
        self.amazon_shipping.amazon_package_type_id = False
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            self.validate(picking)
        message = str(caught.exception)
        self.assertIn("Set the weight of [MUG-01] Mug", message)
        self.assertIn("set a default package type on Amazon Buy Shipping", message)
        self.assertFalse(self.emulator.calls_for("getRates"))
        self.assertNotEqual(picking.state, "done")

    def test_expired_rates_are_asked_again_once(self):
        label_model = type(self.env["amazon.shipping.label"])
        purchase = label_model._purchase
        store = self.emulator.store

        def late(model, *args):
            store.expire_rates()  # the rates' 10 minutes are over
            return purchase(model, *args)

        self.patch(label_model, "_purchase", late)
        amazon, _sale, picking = self.import_order()
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            self.validate(picking)
        self.assertIn("Amazon refused the label", str(caught.exception))
        self.assertIn("expired", str(caught.exception))
        self.assertEqual(len(self.emulator.calls_for("getRates")), 2)  # once again, not more
        self.assertNotEqual(picking.state, "done")
        # Rates expiring once only: the second try buys.
        expired = []

        def late_once(model, *args):
            if not expired:
                expired.append(store.expire_rates())
            return purchase(model, *args)

        self.patch(label_model, "_purchase", late_once)
        self.validate(picking)
        self.assertEqual(picking.state, "done")
        self.assertEqual(len(store.labels_of(amazon.order_id)), 1)

    def test_amazons_refusal_leaves_the_delivery_unvalidated_with_its_reason(self):
        label_model = type(self.env["amazon.shipping.label"])
        purchase = label_model._purchase
        amazon, _sale, picking = self.import_order()

        def cancelled_meanwhile(model, *args):
            self.emulator.store.set_status(amazon.order_id, "CANCELLED")
            return purchase(model, *args)

        self.patch(label_model, "_purchase", cancelled_meanwhile)
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            self.validate(picking)
        self.assertIn("Amazon refused the label", str(caught.exception))
        self.assertIn("CANCELLED", str(caught.exception))
        self.assertNotEqual(picking.state, "done")
        self.assertFalse(picking.sudo().amazon_label_ids)

    def test_a_crash_after_the_purchase_never_buys_a_second_label(self):
        label_model = type(self.env["amazon.shipping.label"])
        record = label_model._record
        amazon, _sale, picking = self.import_order()

        def crash(model, *args):
            raise RuntimeError("the worker died before Odoo recorded the label")

        self.patch(label_model, "_record", crash)
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.validate(picking)
        self.assertEqual(len(self.emulator.store.labels_of(amazon.order_id)), 1)
        self.assertNotEqual(picking.state, "done")
        self.patch(label_model, "_record", record)
        self.validate(picking)
        self.assertEqual(picking.state, "done")
        first, again = self.emulator.calls_for("purchaseShipment")
        self.assertEqual(
            first.body, again.body
        )  # the same token and rate, sent again with the same key
        self.assertEqual(len(self.emulator.store.labels_of(amazon.order_id)), 1)
        self.assertEqual(len(self.emulator.calls_for("getRates")), 1)
        self.assertEqual(
            picking.sudo().amazon_label_ids.shipment_ref,
            self.emulator.store.labels_of(amazon.order_id)[0].shipment_id,
        )

    def test_purchases_left_behind_a_recorded_label_are_vacuumed(self):
        _amazon, _sale, picking = self.import_order()
        self.validate(picking)
        label = picking.sudo().amazon_label_ids
        purchases = self.env["amazon.shipping.purchase"]
        values = {"picking_ref": picking.id, "package_ref": "1", "request_token": "t"}
        # A process died between its commit and forgetting the purchase; and
        # another purchase was sent and never recorded.
        done = purchases.create(dict(values, rate_ref="r", idempotency_key=label.purchase_key))
        unknown = purchases.create(dict(values, rate_ref="r", idempotency_key="never-recorded"))
        purchases._gc_recorded()
        self.assertFalse(done.exists())
        self.assertTrue(unknown.exists())

    def test_cancelling_the_label_while_amazon_allows_it(self):
        amazon, _sale, picking = self.import_order()
        self.validate(picking)
        label = picking.sudo().amazon_label_ids
        picking.cancel_shipment()
        self.assertEqual(label.state, "cancelled")
        self.assertFalse(picking.carrier_tracking_ref)
        self.assertEqual(amazon.status, "UNSHIPPED")
        self.assertFalse(picking.amazon_sync_state)
        # A new label (Send to Shipper), which the carrier then picks up.
        picking.send_to_shipper()
        new = picking.sudo().amazon_label_ids - label
        self.assertEqual(picking.amazon_sync_state, "sent")
        self.emulator.store.pick_up_label(new.shipment_ref)
        with self.assertRaises(UserError) as caught:
            picking.cancel_shipment()
        self.assertIn("picked it up", str(caught.exception))

    # --- by hand ---------------------------------------------------------------------------
    def open_rates(self, picking):
        action = picking.action_amazon_choose_rate()
        return (
            self.env["amazon.shipping.rate.wizard"].with_user(self.clerk).browse(action["res_id"])
        )

    def test_a_warehouse_user_chooses_the_rate_by_hand(self):
        amazon, sale, picking = self.import_order()
        wizard = self.open_rates(picking)
        shown = {
            (line.carrier_name, line.service_name): (line.amount, line.currency_id.name)
            for line in wizard.line_ids
        }
        # Every service Amazon offers for a 0.8 kg parcel, with its price.
        self.assertEqual(len(shown), 4)
        self.assertEqual(shown[("UPS", "UPS Express Saver")][1], "EUR")
        self.assertTrue(all(line.delivery_end for line in wizard.line_ids))
        # The account's rule (cheapest) is chosen first.
        self.assertEqual(wizard.chosen_line_ids.service_name, "Amazon Shipping Standard")
        ups = wizard.line_ids.filtered(lambda line: line.service_name == "UPS Express Saver")
        ups.action_choose()
        self.assertEqual(wizard.chosen_line_ids, ups)
        self.assertTrue(ups.chosen)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        wizard.action_buy()
        self.assertEqual(picking.state, "done")
        label = picking.sudo().amazon_label_ids
        self.assertEqual((label.carrier_name, label.service_name), ("UPS", "UPS Express Saver"))
        self.assertAlmostEqual(label.amount, ups.amount)
        self.assertAlmostEqual(picking.carrier_price, ups.amount)
        # The rates seen were bought: no second getRates, the rate shown.
        self.assertEqual(len(self.emulator.calls_for("getRates")), 1)
        (purchase,) = self.emulator.calls_for("purchaseShipment")
        self.assertEqual(purchase.body["rateId"], ups.rate_data["rate_id"])
        self.assertEqual(amazon.status, "SHIPPED")
        self.assertFalse(sale.order_line.filtered("is_delivery"))

    def test_a_chosen_rate_that_expired_is_the_same_service_rated_again(self):
        amazon, _sale, picking = self.import_order()
        wizard = self.open_rates(picking)
        dhl = wizard.line_ids.filtered(lambda line: line.service_name == "DHL Paket")
        dhl.action_choose()
        self.emulator.store.expire_rates()  # the person took over 10 minutes
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        wizard.action_buy()
        label = picking.sudo().amazon_label_ids
        self.assertEqual(label.service_name, "DHL Paket")
        self.assertEqual(len(self.emulator.calls_for("getRates")), 2)
        self.assertEqual(len(self.emulator.store.labels_of(amazon.order_id)), 1)

    def test_nobody_buys_a_rate_of_their_own_making(self):
        _amazon, _sale, picking = self.import_order()
        wizard = self.open_rates(picking)
        line = wizard.line_ids[:1]
        # Amazon's answer is the server's: the warehouse reads it, never writes it.
        with self.assertRaises(AccessError):
            line.write({"amount": 0.01})
        with self.assertRaises(AccessError):
            self.env["amazon.shipping.rate.wizard.line"].with_user(self.clerk).create(
                {"wizard_id": wizard.id, "package_ref": "1", "amount": 0.01}
            )
        # Another user's line, named in the context over RPC, is refused.
        other = new_test_user(
            self.env,
            login="other_packer",
            groups="stock.group_stock_user,sales_team.group_sale_salesman",
        )
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            picking.with_user(other).with_context(
                amazon_rate_choice={"1": line.id}
            ).button_validate()
        self.assertIn("was not offered", str(caught.exception))
        self.assertFalse(self.emulator.calls_for("purchaseShipment"))
        # A salesman without the warehouse's rights sees no rates at all.
        seller = new_test_user(
            self.env, login="amazon_seller", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            picking.with_user(seller).action_amazon_choose_rate()
