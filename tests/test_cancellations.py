"""The seller cancels in Odoo, Amazon is told (issue #35): Amazon's reason and
whole items in a wizard, one flat-file feed per account and marketplace, its
processing report read back onto the order."""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import DE, SELLER_ID
from .test_orders import OrderSyncCase

TWO_ITEMS = [
    {"sku": "MUG-01", "title": "Mug", "quantity": 2, "unit_price": "11.90"},
    {"sku": "TEE-M", "title": "T-shirt M", "quantity": 1, "unit_price": "19.99"},
]


@tagged("post_install", "-at_install")
class TestSellerCancellation(OrderSyncCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.user_id = cls.salesman

    def setUp(self):
        super().setUp()
        self.emulator.store.feeds.clear()

    def imported(self, *amazon_orders):
        self.sync()
        return [self.sale_of(amazon) for amazon in amazon_orders]

    def cancel(self, sale, reason="NoInventory", lines=None, user=None):
        wizard = (
            self.env["amazon.cancel.wizard"]
            .with_user(user or self.salesman)
            .with_context(default_order_id=sale.id)
            .create({"reason": reason})
        )
        if lines is not None:
            wizard.line_ids = lines
        return wizard.action_confirm()

    def tell_amazon(self):
        """The cancellations flow twice: the feed sent, then its report read."""
        Flow = self.env["amazon.cancellation.export"]
        return Flow._run(self.account), Flow._run(self.account)

    def test_the_account_s_button_sends_and_reads_back(self):
        amazon = self.add_order(DE)
        [sale] = self.imported(amazon)
        self.cancel(sale)
        account = self.account.with_user(self.sales_manager)
        notification = account.action_send_cancellations()
        self.assertIn("1 cancellation(s) sent", notification["params"]["message"])
        notification = account.action_send_cancellations()
        self.assertIn("1 confirmed by Amazon", notification["params"]["message"])
        self.assertEqual(sale.amazon_cancel_state, "Cancelled on Amazon")
        with self.assertRaises(AccessError):
            self.account.with_user(self.salesman).action_send_cancellations()

    def test_a_salesman_cancels_an_unshipped_fbm_order_with_a_reason(self):
        amazon = self.add_order(DE, TWO_ITEMS)
        [sale] = self.imported(amazon)
        self.assertEqual(sale.user_id, self.salesman)
        # Odoo's Cancel opens the wizard, with every item chosen.
        action = sale.with_user(self.salesman).action_cancel()
        self.assertEqual(action["res_model"], "amazon.cancel.wizard")
        self.cancel(sale, "ShippingAddressUndeliverable")
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(set(sale.picking_ids.mapped("state")), {"cancel"})
        self.assertEqual(sale.amazon_cancellation_ids.state, "to_send")
        sent, read = self.tell_amazon()
        self.assertEqual(sent.extra["sent"], 1)
        self.assertEqual((read.updated, read.failed), (1, 0))
        self.assertEqual(sale.amazon_cancellation_ids.state, "done")
        self.assertEqual(sale.amazon_cancel_state, "Cancelled on Amazon")
        on_amazon = self.emulator.store.orders[amazon.order_id]
        self.assertEqual(on_amazon.status, "CANCELLED")
        self.assertEqual(
            {(i.cancelled_by, i.cancel_reason) for i in on_amazon.items},
            {("MERCHANT", "ShippingAddressUndeliverable")},
        )
        # The next order sync reads CANCELLED and does nothing more.
        activities = sale.activity_ids
        self.emulator.store.travel(5)  # searchOrders sees changes two minutes old
        self.sync()
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(sale.amazon_status, "CANCELLED")
        self.assertEqual(sale.activity_ids, activities)
        self.assertEqual(len(self.emulator.calls_for("createFeed")), 1)

    def test_someone_else_s_order_needs_a_manager(self):
        amazon = self.add_order(DE, TWO_ITEMS)
        [sale] = self.imported(amazon)
        other = new_test_user(
            self.env, login="other_salesman", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.cancel(sale, user=other)
        self.assertEqual(sale.state, "sale")
        self.cancel(sale, user=self.sales_manager)
        self.assertEqual(sale.state, "cancel")

    def test_another_company_s_manager_cannot_cancel_this_company_s_order(self):
        amazon = self.add_order(DE, TWO_ITEMS)
        [sale] = self.imported(amazon)
        _company, _account, manager = self.seller_in_another_company(
            "Other seller GmbH", "A2OTHERCANCELS", "Atzr|other-cancels", DE
        )
        with self.assertRaises(AccessError):
            self.cancel(sale, user=manager)
        with self.assertRaises(AccessError):
            sale.with_user(manager).action_amazon_cancel()
        self.assertEqual(sale.state, "sale")
        self.assertFalse(sale.amazon_cancellation_ids)

    def test_an_unlinked_account_s_cancellations_wait_for_it(self):
        amazon = self.add_order(DE, TWO_ITEMS)
        [sale] = self.imported(amazon)
        self.cancel(sale)
        Flow = self.env["amazon.cancellation.export"]
        self.assertIn(self.account, Flow._cron_accounts())
        self.account.link_date = False
        self.assertNotIn(self.account, Flow._cron_accounts())

    def test_two_orders_are_cancelled_in_one_feed(self):
        one, two = self.add_order(DE, TWO_ITEMS), self.add_order(DE)
        sales = self.imported(one, two)
        for sale in sales:
            self.cancel(sale)
        self.tell_amazon()
        self.assertEqual(len(self.emulator.calls_for("createFeed")), 1)
        self.assertEqual(
            {self.emulator.store.orders[o.order_id].status for o in (one, two)}, {"CANCELLED"}
        )
        self.assertEqual(set(sales[0].amazon_cancellation_ids.mapped("state")), {"done"})
        self.assertEqual(set(sales[1].amazon_cancellation_ids.mapped("state")), {"done"})

    def test_whole_items_leave_the_rest_of_the_order(self):
        amazon = self.add_order(DE, TWO_ITEMS)
        [sale] = self.imported(amazon)
        tee = sale.order_line.filtered(lambda line: line.product_id == self.tee)
        self.cancel(sale, "BuyerCanceled", lines=tee)
        self.assertEqual(sale.state, "sale")
        self.assertEqual(tee.product_uom_qty, 0)
        open_moves = sale.picking_ids.move_ids.filtered(lambda m: m.state != "cancel")
        self.assertEqual(open_moves.product_id, self.mug)
        self.tell_amazon()
        on_amazon = self.emulator.store.orders[amazon.order_id]
        self.assertEqual(on_amazon.status, "UNSHIPPED")
        cancelled = {i.sku for i in on_amazon.items if i.cancelled_by}
        self.assertEqual(cancelled, {"TEE-M"})

    def test_what_cannot_be_cancelled_is_refused_before_anything_is_sent(self):
        partly = self.add_order(DE, TWO_ITEMS)
        fba = self.add_anonymous_fba_order("Seattle", "WA", "98109")
        gone = self.add_order(DE)
        self.emulator.store.ship_elsewhere(partly.order_id, {"MUG-01": 1})
        self.emulator.store.travel(5)
        sale_partly, sale_fba, sale_gone = self.imported(partly, fba, gone)
        # The buyer cancels on Amazon; the next sync cancels the Odoo order.
        start = self.account.last_orders_sync
        self.emulator.store.set_status(gone.order_id, "CANCELLED")
        self.emulator.store.travel(5)
        self.account.last_orders_sync = start - timedelta(minutes=10)
        self.sync()
        with self.assertRaisesRegex(UserError, "Units of this order have shipped"):
            self.cancel(sale_partly)
        with self.assertRaisesRegex(UserError, "only Amazon can cancel"):
            self.cancel(sale_fba, user=self.sales_manager)
        with self.assertRaisesRegex(UserError, "already cancelled"):
            self.cancel(sale_gone)
        self.assertEqual(sale_gone.state, "cancel")  # Amazon's own cancellation
        self.assertFalse(self.env["amazon.cancellation"].search([]))
        self.tell_amazon()
        self.assertEqual(self.emulator.calls_for("createFeed"), [])

    def test_amazon_refuses_and_the_order_says_why(self):
        amazon = self.add_order(DE, TWO_ITEMS)
        [sale] = self.imported(amazon)
        self.cancel(sale)
        # Shipped in Seller Central meanwhile: Amazon refuses the cancellation.
        self.emulator.store.ship_elsewhere(amazon.order_id, {"MUG-01": 1})
        _sent, read = self.tell_amazon()
        self.assertEqual(read.failed, 1)
        cancellation = sale.amazon_cancellation_ids
        self.assertEqual(cancellation.state, "refused")
        self.assertIn("has shipped items", cancellation.error)
        self.assertIn("Refused by Amazon: ", sale.amazon_cancel_state)
        activity = sale.activity_ids.filtered(
            lambda a: a.summary == "Cancellation refused by Amazon"
        )
        self.assertEqual(activity.user_id, self.salesman)

    def test_a_cancellation_left_sending_is_never_sent_again(self):
        """A run that died after committing Sending (Amazon may have the feed):
        the next run says so on the order and sends nothing."""
        amazon = self.add_order(DE)
        [sale] = self.imported(amazon)
        self.cancel(sale)
        sale.amazon_cancellation_ids.sudo().state = "sending"
        self.tell_amazon()
        self.assertEqual(self.emulator.calls_for("createFeed"), [])
        self.assertIn("Amazon may have it", sale.amazon_cancellation_ids.error)

    def test_the_freed_units_go_out_with_the_next_stock_push_and_agree(self):
        """Amazon puts cancelled units back on sale for every reason but
        NoInventory; the push sends what Odoo has, so both end equal."""
        self.account.fbm_stock_sync = True
        listing = self.emulator.store.add_listing(SELLER_ID, "MUG-01", [DE], quantity=0)
        warehouse = self.account.warehouse_id

        def free():
            return int(self.mug.with_context(warehouse_id=warehouse.id).free_qty)

        def push():
            self.env["amazon.stock.push"]._run(self.account)

        reasons = ("BuyerCanceled", "NoInventory")
        orders = [self.add_order(DE, [dict(TWO_ITEMS[0], quantity=2)]) for _r in reasons]
        sales = self.imported(*orders)
        push()
        self.assertEqual(listing.offers[DE].quantity, free())
        for sale, reason in zip(sales, reasons, strict=True):
            held = free()
            self.cancel(sale, reason)
            self.assertEqual(free(), held + 2)
            self.tell_amazon()
            push()
            self.assertEqual(listing.offers[DE].quantity, free(), reason)
