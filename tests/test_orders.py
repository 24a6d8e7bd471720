import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from ..models.amazon_order_import import LOCK_NAMESPACE, IncompletePageError, OrderRun
from ..spapi import ORDER_INCLUDED_DATA, SpApiThrottledError
from ..spapi_emulator import Address
from .common import DE, SELLER_ID, UK, US, AmazonTestCase


def erika_address(marketplace=DE, **changes):
    """The address of the tests' usual buyer, in the marketplace's country."""
    values = {
        "name": "Erika Mustermann",
        "address_line1": "Hauptstr. 1",
        "city": "Berlin",
        "postal_code": "10115",
        "country_code": "DE" if marketplace == DE else ("GB" if marketplace == UK else "US"),
        "state_or_region": "" if marketplace != US else "WA",
    }
    return Address(**{**values, **changes})


def ago(**delta):
    return datetime.now(timezone.utc).replace(microsecond=0) - timedelta(**delta)


@tagged("post_install", "-at_install")
class OrderSyncCase(AmazonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        for code in ("EUR", "USD", "GBP"):
            env.ref(f"base.{code}").active = True
        cls.pricelists = {
            code: env["product.pricelist"].create(
                {"name": f"Amazon {code}", "currency_id": env.ref(f"base.{code}").id}
            )
            for code in ("EUR", "USD")
        }
        # Taxes as a seller sets them: products carry the US sales tax, and a
        # fiscal position maps it to German VAT (price included) for Germany.
        cls.tax_us = env["account.tax"].create(
            {"name": "US sales tax 8%", "amount": 8.0, "type_tax_use": "sale"}
        )
        cls.tax_de = env["account.tax"].create(
            {
                "name": "DE VAT 19% incl.",
                "amount": 19.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        cls.fp_de = env["account.fiscal.position"].create(
            {
                "name": "Germany",
                "auto_apply": True,
                "country_id": env.ref("base.de").id,
                "tax_ids": [(0, 0, {"tax_src_id": cls.tax_us.id, "tax_dest_id": cls.tax_de.id})],
            }
        )
        for xmlid in ("sale", "shipping", "giftwrap", "promotion"):
            env.ref(f"sale_amazon_connector.product_amazon_{xmlid}").taxes_id = cls.tax_us
        cls.mug = env["product.product"].create(
            {
                "name": "Mug",
                "default_code": "MUG-01",
                "is_storable": True,
                "taxes_id": [(6, 0, cls.tax_us.ids)],
            }
        )
        cls.tee = env["product.product"].create(
            {"name": "T-shirt", "is_storable": True, "taxes_id": [(6, 0, cls.tax_us.ids)]}
        )
        cls.tee_offer = env["amazon.offer"].create(
            {"account_id": cls.account.id, "sku": "TEE-M", "product_id": cls.tee.id}
        )
        markets = cls.marketplace[US] | cls.marketplace[DE] | cls.marketplace[UK]
        cls.account.write(
            {
                "available_marketplace_ids": [(6, 0, markets.ids)],
                "marketplace_ids": [(6, 0, markets.ids)],
            }
        )
        for product in (cls.mug, cls.tee):
            env["stock.quant"]._update_available_quantity(
                product, cls.account.warehouse_id.lot_stock_id, 50
            )

    @property
    def OrderImport(self):
        """The orders flow's class as the registry built it (what patches reach)."""
        return type(self.env["amazon.order.import"])

    def setUp(self):
        super().setUp()
        # The emulator lives as long as the class, the database state one test.
        self.emulator.store.orders.clear()
        self.emulator.reset()

    # --- helpers ---------------------------------------------------------------------
    def add_order(self, marketplace=DE, items=None, **values):
        values.setdefault("created_time", ago(hours=1))
        values.setdefault("address", erika_address(marketplace))
        if values["address"] is not None and "buyer_name" not in values:
            values["buyer_name"] = values["address"].name
            values.setdefault(
                "buyer_email",
                f"{values['address'].name.split()[0].lower()}@marketplace.amazon.example",
            )
        items = items or [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}]
        return self.emulator.store.add_order(SELLER_ID, marketplace, items, **values)

    def add_mug_orders(self, seller, count, marketplace=US):
        """``count`` orders of one mug for ``seller``, a minute apart."""
        for n in range(count):
            self.emulator.store.add_order(
                seller,
                marketplace,
                [{"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"}],
                created_time=ago(minutes=50 - n),
            )

    def add_anonymous_fba_order(self, city, state, postal_code, items=None):
        """A US FBA order whose buyer Amazon does not disclose."""
        return self.add_order(
            US,
            items,
            fulfilled_by="AMAZON",
            status="SHIPPED",
            address=Address(
                city=city, state_or_region=state, postal_code=postal_code, country_code="US"
            ),
            buyer_name="",
            buyer_email="",
        )

    def sync(self, **options):
        return self.account._sync_orders(**options)

    def sync_expecting(self, error, **options):
        """Run a sync that must fail with ``error``. (Odoo's assertRaises rolls
        back to a savepoint: what the run committed would vanish with it.)"""
        try:
            self.sync(**options)
        except error:
            return
        self.fail(f"the sync did not raise {error.__name__}")

    def logs_of_orders(self):
        return self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "orders")]
        )

    def sale_of(self, amazon_order):
        return self.env["sale.order"].search(
            [
                ("amazon_account_id", "=", self.account.id),
                ("amazon_order_ref", "=", amazon_order.order_id),
            ]
        )


@tagged("post_install", "-at_install")
class TestOrderImport(OrderSyncCase):
    def test_fbm_order_with_shipping_gift_wrap_message_and_promotion(self):
        amazon = self.add_order(
            DE,
            [
                {
                    "sku": "MUG-01",
                    "title": "Mug",
                    "quantity": 2,
                    "unit_price": "11.90",
                    "shipping_price": "4.99",
                    "gift_wrap_price": "2.50",
                    "gift_wrap_level": "Classic",
                    "gift_message": "Alles Gute!",
                    "promotion_discount": "2.38",
                    "promotion_ids": ["WINTER"],
                },
                {"sku": "TEE-M", "title": "T-shirt M", "quantity": 1, "unit_price": "19.99"},
            ],
        )
        result = self.sync()
        self.assertEqual((result.created, result.failed), (1, 0))
        sale = self.sale_of(amazon)
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.amazon_channel, "fbm")
        self.assertEqual(sale.amazon_marketplace_id, self.marketplace[DE])
        self.assertEqual(sale.currency_id.name, "EUR")
        self.assertEqual(sale.pricelist_id, self.pricelists["EUR"])
        self.assertEqual(sale.team_id, self.account.team_id)
        self.assertEqual(sale.date_order, amazon.created_time.replace(tzinfo=None))
        self.assertEqual(sale.fiscal_position_id, self.fp_de)
        products = sale.order_line.filtered(lambda line: not line.display_type)
        by_product = {line.product_id: line for line in products}
        self.assertEqual(by_product[self.mug].product_uom_qty, 2)
        self.assertEqual(by_product[self.mug].price_unit, 11.90)
        self.assertEqual(by_product[self.tee].amazon_offer_id, self.tee_offer)
        shipping = self.env.ref("sale_amazon_connector.product_amazon_shipping")
        giftwrap = self.env.ref("sale_amazon_connector.product_amazon_giftwrap")
        promotion = self.env.ref("sale_amazon_connector.product_amazon_promotion")
        self.assertEqual(by_product[shipping].price_total, 4.99)
        self.assertEqual(by_product[giftwrap].price_total, 2.50)
        self.assertEqual(by_product[promotion].price_total, -2.38)
        self.assertEqual(sale.amazon_gift_message, "Alles Gute!")
        # The delivery order, by Odoo's routes, in the account's warehouse.
        picking = sale.picking_ids
        self.assertEqual(len(picking), 1)
        self.assertEqual(picking.picking_type_id.warehouse_id, self.account.warehouse_id)
        self.assertEqual(picking.amazon_gift_message, "Alles Gute!")
        self.assertEqual(sorted(picking.move_ids.mapped("product_uom_qty")), [1.0, 2.0])
        # Tax-included marketplace: Odoo's total is Amazon's, to the cent
        # (23.80 + 19.99 + 4.99 shipping + 2.50 gift wrap - 2.38 promotion).
        self.assertEqual(Decimal(str(sale.amazon_total)), Decimal("48.90"))
        self.assertAlmostEqual(sale.amount_total, 48.90, places=2)
        self.assertEqual(sale.amazon_total_difference, 0.0)

    def test_another_addon_extends_the_order_flow(self):
        """Issue #20: the flow is an Odoo model; an addon that ``_inherit``s it
        overrides a ``_prepare_*`` hook and calls ``super()``. Here the override
        is put on the registry's class, as an inheriting addon's would be."""
        flow_class = self.OrderImport
        line_class = type(self.env["sale.order.line"])
        prepare_order = flow_class._prepare_order_values
        prepare_line = line_class._prepare_amazon_line_values

        def order_values(flow, run, order):
            values = prepare_order(flow, run, order)
            values["note"] = f"<p>Sold on {run.marketplaces[order.marketplace_ref].name}</p>"
            return values

        def line_values(lines, run, item, *args):
            values = prepare_line(lines, run, item, *args)
            values["name"] = f"{item.sku} (Amazon item {item.item_ref})"
            return values

        amazon = self.add_order(DE)
        with (
            patch.object(flow_class, "_prepare_order_values", order_values),
            patch.object(line_class, "_prepare_amazon_line_values", line_values),
        ):
            self.sync()
        sale = self.sale_of(amazon)
        self.assertIn(f"Sold on {self.marketplace[DE].name}", str(sale.note))
        self.assertTrue(sale.order_line[0].name.startswith("MUG-01 (Amazon item "))
        self.assertEqual(sale.state, "sale")

    def test_us_fba_order_without_personal_data(self):
        amazon = self.add_anonymous_fba_order(
            "Seattle",
            "WA",
            "98109",
            [
                {
                    "sku": "MUG-01",
                    "title": "Mug",
                    "quantity": 3,
                    "unit_price": "10.00",
                    "tax": "2.40",
                }
            ],
        )
        self.sync()
        sale = self.sale_of(amazon)
        self.assertEqual(sale.amazon_channel, "fba")
        self.assertEqual(sale.partner_id.name, "Amazon Customer")
        delivery = sale.partner_shipping_id
        self.assertEqual(delivery.parent_id, sale.partner_id)
        self.assertEqual(
            (delivery.city, delivery.zip, delivery.state_id.code, delivery.country_id.code),
            ("Seattle", "98109", "WA", "US"),
        )
        # No delivery to pick: one done move out of the Amazon location.
        self.assertFalse(sale.picking_ids)
        move = sale.order_line.move_ids
        self.assertEqual(move.state, "done")
        self.assertEqual(move.location_id, self.account.location_id)
        self.assertEqual(move.location_dest_id.usage, "customer")
        self.assertEqual(move.quantity, 3)
        line = sale.order_line.filtered(lambda line: line.product_id == self.mug)
        self.assertEqual(line.qty_delivered, 3)
        # Tax-excluded marketplace: net price plus the product's 8% is Amazon's total.
        self.assertEqual(sale.amazon_total, 32.40)
        self.assertAlmostEqual(sale.amount_total, 32.40, places=2)
        # A second order of another anonymous buyer in the same place: same partners.
        other = self.add_anonymous_fba_order("Seattle", "WA", "98109")
        # In the same page, two anonymous buyers of another town: one new address.
        portland = [self.add_anonymous_fba_order("Portland", "OR", "97201") for _n in range(2)]
        self.account.last_orders_sync = False
        self.sync()
        self.assertEqual(self.sale_of(other).partner_shipping_id, delivery)
        elsewhere = self.sale_of(portland[0]).partner_shipping_id
        self.assertEqual(self.sale_of(portland[1]).partner_shipping_id, elsewhere)
        self.assertEqual(
            (elsewhere.parent_id, elsewhere.city, elsewhere.state_id.code),
            (sale.partner_id, "Portland", "OR"),
        )
        self.assertEqual(
            self.env["res.partner"].search_count(
                [("parent_id", "=", sale.partner_id.id), ("type", "=", "delivery")]
            ),
            2,
        )

    def test_sku_by_offer_internal_reference_or_neither(self):
        amazon = self.add_order(
            DE,
            [
                {"sku": "TEE-M", "title": "T-shirt", "quantity": 1, "unit_price": "19.99"},
                {"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"},
                {"sku": "NEW-SKU", "title": "Brand new thing", "quantity": 1, "unit_price": "5.00"},
            ],
        )
        self.sync()
        sale = self.sale_of(amazon)
        lines = {line.amazon_offer_id.sku: line for line in sale.order_line if line.amazon_offer_id}
        self.assertEqual(lines["TEE-M"].product_id, self.tee)
        # By internal reference: the pairing is remembered as an offer.
        mug_offer = lines["MUG-01"].amazon_offer_id
        self.assertEqual((mug_offer.product_id, mug_offer.needs_review), (self.mug, False))
        # Neither: the default product, Amazon's title, an offer to review.
        new_offer = lines["NEW-SKU"].amazon_offer_id
        self.assertEqual(
            new_offer.product_id, self.env.ref("sale_amazon_connector.product_amazon_sale")
        )
        self.assertTrue(new_offer.needs_review)
        self.assertIn("Brand new thing", lines["NEW-SKU"].name)
        # The packer reads what to pack: Amazon's title and SKU (issue #40).
        self.assertIn("[NEW-SKU] Brand new thing", lines["NEW-SKU"].move_ids.description_picking)
        # Once reviewed, the next order of that SKU gets the chosen product.
        new_offer.product_id = self.tee
        self.assertFalse(new_offer.needs_review)
        again = self.add_order(
            DE,
            [{"sku": "NEW-SKU", "title": "Brand new thing", "quantity": 1, "unit_price": "5.00"}],
            created_time=ago(minutes=3),  # after the last sync
        )
        self.sync()
        self.assertEqual(self.sale_of(again).order_line[0].product_id, self.tee)

    def test_customers_of_another_company_are_never_matched(self):
        """Issue #21, finding 9."""
        other = self.env["res.company"].create({"name": "Other Company"})
        theirs = self.env["res.partner"].create(
            {
                "name": "Erika M. (other company)",
                "email": "erika@marketplace.amazon.example",
                "company_id": other.id,
            }
        )
        amazon = self.add_order(DE)
        self.sync()
        sale = self.sale_of(amazon)
        self.assertNotEqual(sale.partner_id, theirs)
        self.assertEqual(sale.partner_id.company_id, self.env.company)
        self.assertEqual(sale.partner_id.email, theirs.email)
        self.assertFalse(theirs.child_ids)
        self.assertEqual(theirs.name, "Erika M. (other company)")

    def test_business_order_keeps_vat_and_po(self):
        amazon = self.add_order(
            DE,
            business=True,
            vat_number="DE123456789",
            buyer_company="Muster GmbH",
            purchase_order_number="PO-4711",
        )
        self.sync()
        sale = self.sale_of(amazon)
        self.assertEqual(sale.partner_id.vat, "DE123456789")
        self.assertEqual(sale.partner_id.name, "Muster GmbH")
        self.assertTrue(sale.partner_id.is_company)
        self.assertEqual(sale.client_order_ref, "PO-4711")

    def test_returning_buyer_is_not_duplicated(self):
        first = self.add_order(DE)
        second = self.add_order(DE, created_time=ago(minutes=50))
        self.sync()
        one, two = self.sale_of(first), self.sale_of(second)
        self.assertEqual(one.partner_id, two.partner_id)
        self.assertEqual(one.partner_shipping_id, two.partner_shipping_id)
        self.assertEqual(one.partner_shipping_id.type, "delivery")
        moved = self.add_order(
            DE,
            address=Address(
                name="Erika Mustermann",
                address_line1="Neue Str. 9",
                city="Köln",
                postal_code="50667",
                country_code="DE",
            ),
            buyer_email="erika@marketplace.amazon.example",
            created_time=ago(minutes=3),  # after the last sync
        )
        self.sync()
        three = self.sale_of(moved)
        self.assertEqual(three.partner_id, one.partner_id)
        self.assertNotEqual(three.partner_shipping_id, one.partner_shipping_id)
        self.assertEqual(len(one.partner_id.child_ids.filtered(lambda p: p.type == "delivery")), 2)


@tagged("post_install", "-at_install")
class TestOrderChanges(OrderSyncCase):
    def test_cancellation_before_delivery_cancels_order_and_picking(self):
        amazon = self.add_order(DE)
        self.sync()
        sale = self.sale_of(amazon)
        self.emulator.store.set_status(amazon.order_id, "CANCELLED")
        self.emulator.store.travel(minutes=5)
        result = self.sync()
        self.assertEqual(result.updated, 1)
        self.assertEqual(sale.state, "cancel")
        self.assertEqual(sale.picking_ids.state, "cancel")
        self.assertEqual(sale.amazon_status, "CANCELLED")

    def test_cancellation_after_delivery_asks_a_person(self):
        amazon = self.add_order(DE)
        self.sync()
        sale = self.sale_of(amazon)
        picking = sale.picking_ids
        picking.carrier_tracking_ref = "1Z-TRACK"
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True)._action_done()
        self.emulator.store.set_status(amazon.order_id, "CANCELLED")
        self.emulator.store.travel(minutes=5)
        self.sync()
        self.assertEqual(sale.state, "sale")
        self.assertEqual(sale.amazon_status, "CANCELLED")
        self.assertEqual(sale.activity_ids.summary, "Cancelled on Amazon after delivery")

    def test_status_update_changes_the_same_order(self):
        amazon = self.add_order(
            DE,
            [
                {"sku": "MUG-01", "title": "Mug", "quantity": 1, "unit_price": "11.90"},
                {"sku": "TEE-M", "title": "Tee", "quantity": 1, "unit_price": "19.99"},
            ],
        )
        self.sync()
        sale = self.sale_of(amazon)
        amazon.items[0].quantity_shipped = 1
        self.emulator.store.set_status(amazon.order_id, "PARTIALLY_SHIPPED")
        self.emulator.store.travel(minutes=5)
        result = self.sync()
        self.assertEqual((result.created, result.updated), (0, 1))
        self.assertEqual(self.sale_of(amazon), sale)
        self.assertEqual(sale.amazon_status, "PARTIALLY_SHIPPED")

    def test_same_window_twice_changes_nothing(self):
        orders = [self.add_order(DE, created_time=ago(minutes=30 + n)) for n in range(3)]
        self.sync()
        sales = self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])
        stamps = sales.mapped("write_date")
        self.account.last_orders_sync = fields.Datetime.now() - timedelta(days=1)
        result = self.sync()
        self.assertEqual(
            (result.fetched, result.created, result.updated, result.skipped), (3, 0, 0, 3)
        )
        again = self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])
        self.assertEqual(again, sales)
        self.assertEqual(again.mapped("write_date"), stamps)
        self.assertEqual(
            len(
                self.env["res.partner"].search([("email", "=", "erika@marketplace.amazon.example")])
            ),
            1,
        )
        self.assertEqual(len(orders), len(sales))

    def test_pending_orders_wait(self):
        amazon = self.add_order(DE, status="PENDING")
        self.assertEqual(self.sync().skipped, 0)  # pending is not even searched
        self.assertFalse(self.sale_of(amazon))
        self.emulator.store.set_status(amazon.order_id, "UNSHIPPED")
        self.emulator.store.travel(minutes=5)
        self.sync()
        self.assertTrue(self.sale_of(amazon))

    def test_cursor_advances_to_the_end_of_the_window(self):
        before = fields.Datetime.now()
        self.add_order(DE)
        self.sync()
        self.assertGreaterEqual(self.account.last_orders_sync, before - timedelta(minutes=3))
        self.assertFalse(self.account.orders_window_end)
        params = self.emulator.calls_for("searchOrders")[-1].params
        self.assertEqual(set(params["marketplaceIds"].split(",")), {US, DE, UK})
        self.assertIn("lastUpdatedBefore", params)


@tagged("post_install", "-at_install")
class TestOrderSyncRobustness(OrderSyncCase):
    def test_concurrent_run_skips_the_account(self):
        amazon = self.add_order(DE)
        with self.registry.cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, self.account.id))
            try:
                result = self.sync()
            finally:
                other.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, self.account.id)
                )
        self.assertTrue(result.locked)
        self.assertFalse(self.sale_of(amazon))
        self.assertEqual(self.sync().created, 1)

    def test_throttled_run_resumes_where_it_stopped(self):
        orders = [self.add_order(DE, created_time=ago(minutes=40 - n)) for n in range(5)]
        self.emulator.limiter.speed = 1
        self.emulator.limiter.set_plan("searchOrders", 0.0001, 1)
        self.addCleanup(self.emulator.limiter.reset)
        self.addCleanup(setattr, self.emulator.limiter, "speed", 1000)
        self.addCleanup(self.emulator.limiter.overrides.clear)
        self.addCleanup(self.forget_rate_limits)
        with patch.object(self.OrderImport, "page_size", 2):
            self.sync_expecting(SpApiThrottledError, max_throttle_retries=0)
        self.assertEqual(
            len(self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])), 2
        )
        self.assertTrue(self.account.orders_page_token)
        self.assertFalse(self.account.last_orders_sync)
        self.emulator.limiter.overrides.clear()
        self.forget_rate_limits()
        with patch.object(self.OrderImport, "page_size", 2):
            result = self.sync()
        self.assertEqual(result.created, 3)
        for order in orders:
            self.assertEqual(len(self.sale_of(order)), 1)
        self.assertTrue(self.account.last_orders_sync)
        first_resumed = self.emulator.calls_for("searchOrders")[-result.pages]
        self.assertIn("paginationToken", first_resumed.params)

    def test_crash_mid_batch_resumes_without_gap_or_duplicate(self):
        orders = [self.add_order(DE, created_time=ago(minutes=40 - n)) for n in range(5)]
        crash_on = orders[3].order_id
        original = self.OrderImport._prepare_order_values

        def crashing(flow, run, order):
            if order.ref == crash_on:
                # The process dies (not an error a unit's boundary takes).
                raise KeyboardInterrupt("worker killed")
            return original(flow, run, order)

        with (
            patch.object(self.OrderImport, "page_size", 2),
            patch.object(self.OrderImport, "_prepare_order_values", crashing),
        ):
            self.sync_expecting(KeyboardInterrupt)
        # Page 1 (orders 0-1) is kept; page 2 (2-3) rolled back whole.
        imported = self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])
        self.assertEqual(
            sorted(imported.mapped("amazon_order_ref")), sorted(o.order_id for o in orders[:2])
        )
        with patch.object(self.OrderImport, "page_size", 2):
            self.sync()
        for order in orders:
            self.assertEqual(len(self.sale_of(order)), 1)

    def test_a_three_page_window_with_every_dataset(self):
        """Issue #14: every page of a window comes back whole from a server that
        binds its pagination tokens to the query, as Amazon documents."""
        cancelled = self.add_order(DE, created_time=ago(hours=1))
        self.sync()
        self.assertEqual(self.sale_of(cancelled).state, "sale")
        self.emulator.reset_calls()
        # The next window: seven new orders and, fifth in line (page 2 of pages of
        # three), the cancellation of the order imported above.
        new = []
        for n in range(7):
            if n % 2:
                new.append(self.add_order(DE, created_time=ago(seconds=70 - 10 * n)))
            else:
                new.append(
                    self.add_anonymous_fba_order("Seattle", "WA", "98101")
                    if n != 2
                    else self.add_order(US, created_time=ago(seconds=70 - 10 * n))
                )
                new[-1].created_time = new[-1].last_updated_time = ago(seconds=70 - 10 * n)
        self.emulator.store.set_status(cancelled.order_id, "CANCELLED", at=ago(seconds=35))
        self.emulator.store.travel(minutes=5)
        with patch.object(self.OrderImport, "page_size", 3):
            result = self.sync()
        self.assertEqual((result.pages, result.created, result.updated), (3, 7, 1))
        self.assertEqual(result.failed, 0)
        self.assertFalse(self.env["amazon.order.failure"].search([]))
        for order in new:
            sale = self.sale_of(order)
            self.assertEqual(len(sale), 1)
            self.assertEqual(
                sale.amazon_channel, "fba" if order.fulfilled_by == "AMAZON" else "fbm"
            )
        self.assertEqual(self.sale_of(cancelled).state, "cancel")
        # What Amazon received: the same query on every page, every dataset asked.
        calls = self.emulator.calls_for("searchOrders")
        self.assertEqual([c.status for c in calls], [200, 200, 200])
        self.assertEqual(["paginationToken" in c.params for c in calls], [False, True, True])
        queries = [{k: v for k, v in c.params.items() if k != "paginationToken"} for c in calls]
        self.assertTrue(queries[0] == queries[1] == queries[2])
        self.assertEqual(set(queries[0]["includedData"].split(",")), set(ORDER_INCLUDED_DATA))
        self.assertEqual(self.logs_of_orders()[:1].state, "done")

    def test_a_page_without_a_needed_dataset_ends_the_run(self):
        """Orders lacking FULFILLMENT are Amazon's answer to an incomplete request:
        the run stops, nothing of the page is written, no order is "failed"."""
        orders = [self.add_order(DE, created_time=ago(minutes=40 - n)) for n in range(3)]
        basic = tuple(d for d in ORDER_INCLUDED_DATA if d != "FULFILLMENT")
        with patch.object(self.OrderImport, "included_data", basic):
            self.sync_expecting(IncompletePageError)
        self.assertFalse(
            self.env["sale.order"].search([("amazon_account_id", "=", self.account.id)])
        )
        self.assertFalse(self.env["amazon.order.failure"].search([]))
        self.assertFalse(self.account.last_orders_sync)
        log = self.logs_of_orders()[:1]
        self.assertEqual(log.state, "failed")
        self.assertIn("FULFILLMENT", log.error)
        # The next, complete run imports them all.
        self.assertEqual(self.sync().created, 3)
        for order in orders:
            self.assertEqual(len(self.sale_of(order)), 1)

    def test_an_imported_order_is_never_failed_because_of_its_payload(self):
        amazon = self.add_order(DE)
        self.sync()
        adapter = self.account._get_adapter()
        payload = adapter.get_order(amazon.order_id)
        payload["lastUpdatedTime"] = payload["createdTime"] = "not a date"
        run = OrderRun(self.account, adapter)
        self.env["amazon.order.import"]._process_orders(run, [payload])
        self.assertEqual((run.result.failed, run.result.skipped), (0, 1))
        self.assertFalse(self.env["amazon.order.failure"].search([]))
        self.assertEqual(self.sale_of(amazon).state, "sale")

    def test_a_stored_failure_without_a_dataset_is_fetched_again(self):
        """Failures recorded from incomplete pages (before issue #14) heal."""
        amazon = self.add_order(DE)
        payload = self.account._get_adapter().get_order(amazon.order_id)
        del payload["fulfillment"]
        failure = self.env["amazon.order.failure"].create(
            {
                "account_id": self.account.id,
                "amazon_order_ref": amazon.order_id,
                "reason": "unknown fulfillment channel None",
                "payload": json.dumps(payload),
            }
        )
        self.account.last_orders_sync = fields.Datetime.now()  # outside the window
        self.emulator.reset_calls()
        self.sync()
        self.assertEqual(len(self.sale_of(amazon)), 1)
        self.assertFalse(failure.exists())
        self.assertEqual(len(self.emulator.calls_for("getOrder")), 1)

    def test_one_accounts_error_never_stops_the_cron(self):
        """Issue #21, finding 6: any error of one account (here a configuration
        error, not Amazon's) is that account's, logged; the others go on."""
        broken = self.env["amazon.account"].create(
            {
                "name": "0 Broken account",  # first in line
                "signup_marketplace_id": self.marketplace[US].id,
                "environment": "custom",
                "custom_api_url": "ftp://nowhere",
                "seller_ref": "A2BROKENSELLER",
                "refresh_token": "Atzr|broken",
                "available_marketplace_ids": [(6, 0, self.marketplace[DE].ids)],
                "marketplace_ids": [(6, 0, self.marketplace[DE].ids)],
            }
        )
        amazon = self.add_order(DE)
        self.assertTrue(self.env["amazon.order.import"]._cron_sync())
        self.assertEqual(len(self.sale_of(amazon)), 1)
        log = self.env["amazon.sync.log"].search([("account_id", "=", broken.id)])
        self.assertEqual(log.state, "failed")
        self.assertIn("not valid", log.error)
        broken.fbm_stock_sync = self.account.fbm_stock_sync = True
        self.assertTrue(self.env["amazon.stock.push"]._cron_push())
        logs = self.env["amazon.sync.log"].search([("kind", "=", "stock")])
        self.assertEqual(logs.filtered(lambda log: log.account_id == broken).state, "failed")
        self.assertNotEqual(
            logs.filtered(lambda log: log.account_id == self.account).state, "failed"
        )

    def test_one_bad_order_among_good_ones(self):
        good = self.add_order(DE, created_time=ago(minutes=50))
        bad = self.add_order(UK, created_time=ago(minutes=45))  # no GBP pricelist
        also_good = self.add_order(DE, created_time=ago(minutes=40))
        result = self.sync()
        self.assertEqual((result.created, result.failed), (2, 1))
        self.assertTrue(self.sale_of(good) and self.sale_of(also_good))
        failure = self.env["amazon.order.failure"].search([("amazon_order_ref", "=", bad.order_id)])
        self.assertIn("No pricelist in GBP", failure.reason)
        self.assertIn(bad.order_id, failure.payload)
        self.assertEqual(len(failure.activity_ids), 1)
        self.assertEqual(self.account.order_failure_count, 1)
        # The run says it left a failure behind, and so does the dashboard.
        self.assertEqual(self.logs_of_orders()[:1].state, "partial")
        self.account.invalidate_recordset()
        self.assertEqual(
            (self.account.last_orders_state, self.account.last_orders_failed), ("partial", 1)
        )
        self.assertTrue(self.account.last_orders_success)
        # Retried by the next run: still failing, updated, no second activity.
        first_failure = failure.last_failure
        self.sync()
        self.assertEqual(failure.attempts, 2)
        self.assertEqual(len(failure.activity_ids), 1)
        self.assertEqual(
            len(self.env["amazon.order.failure"].search([("amazon_order_ref", "=", bad.order_id)])),
            1,
        )
        self.assertGreaterEqual(failure.last_failure, first_failure)
        # Fixed: the next run imports it and forgets the failure.
        self.env["product.pricelist"].create(
            {"name": "GBP", "currency_id": self.env.ref("base.GBP").id}
        )
        self.sync()
        self.assertTrue(self.sale_of(bad))
        self.assertFalse(failure.exists())

    def test_an_order_odoo_cannot_confirm_is_recorded_and_the_page_goes_on(self):
        good = self.add_order(DE, created_time=ago(minutes=50))
        bad = self.add_order(DE, created_time=ago(minutes=45))
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder.action_confirm

        def confirm(orders):
            if bad.order_id in orders.mapped("amazon_order_ref"):
                raise UserError("This order cannot be confirmed")
            return original(orders)

        with patch.object(SaleOrder, "action_confirm", confirm):
            result = self.sync()
        self.assertEqual((result.created, result.failed), (1, 1))
        self.assertEqual(self.sale_of(good).state, "sale")
        self.assertFalse(self.sale_of(bad))
        failure = self.env["amazon.order.failure"].search([("amazon_order_ref", "=", bad.order_id)])
        self.assertIn("cannot be confirmed", failure.reason)
        # The next run retries it; it goes through once Odoo can confirm it.
        self.sync()
        self.assertEqual(self.sale_of(bad).state, "sale")
        self.assertFalse(failure.exists())

    def test_an_order_odoo_cannot_create_is_recorded_and_the_page_goes_on(self):
        good = self.add_order(DE, created_time=ago(minutes=50))
        bad = self.add_order(DE, created_time=ago(minutes=45))
        also_good = self.add_order(DE, created_time=ago(minutes=40))
        SaleOrder = type(self.env["sale.order"])
        original = SaleOrder.create
        batches = []

        def create(orders, vals_list):
            vals_list = [vals_list] if isinstance(vals_list, dict) else vals_list
            refs = [vals.get("amazon_order_ref") for vals in vals_list]
            batches.append(len(refs))
            if bad.order_id in refs:
                raise UserError("This order cannot be created")
            return original(orders, vals_list)

        with patch.object(SaleOrder, "create", create):
            result = self.sync()
        # One batch of three, refused; then one by one.
        self.assertEqual(batches, [3, 1, 1, 1])
        self.assertEqual((result.created, result.failed), (2, 1))
        self.assertEqual(self.sale_of(good).state, "sale")
        self.assertEqual(self.sale_of(also_good).state, "sale")
        self.assertFalse(self.sale_of(bad))
        failure = self.env["amazon.order.failure"].search([("amazon_order_ref", "=", bad.order_id)])
        self.assertIn("cannot be created", failure.reason)
        self.sync()
        self.assertEqual(self.sale_of(bad).state, "sale")
        self.assertFalse(failure.exists())

    def test_customer_of_a_failed_order_is_not_reused_after_its_rollback(self):
        # Same new buyer twice: the first order fails after its contact was
        # created; that creation is rolled back and the second order must create
        # the contact again rather than point at the vanished one.
        first = self.add_order(DE, created_time=ago(minutes=50), buyer_email="new@example.com")
        second = self.add_order(DE, created_time=ago(minutes=45), buyer_email="new@example.com")
        offers = type(self.env["amazon.offer"])
        original = offers._amazon_for_item

        def for_item(model, run, item, order):
            if order.ref == first.order_id:
                raise UserError("No product for this one")
            return original(model, run, item, order)

        with patch.object(offers, "_amazon_for_item", for_item):
            result = self.sync()
        self.assertEqual((result.created, result.failed), (1, 1))
        contact = self.sale_of(second).partner_id
        self.assertEqual(contact.email, "new@example.com")
        self.assertEqual(
            self.env["res.partner"].search_count([("email", "=", "new@example.com")]), 1
        )

    def test_unknown_marketplace_is_a_recorded_failure(self):
        netherlands = "A1805IZSGTT6HS"
        self.emulator.store.sellers[SELLER_ID].marketplace_ids.append(netherlands)
        self.addCleanup(self.emulator.store.sellers[SELLER_ID].marketplace_ids.remove, netherlands)
        amazon = self.add_order(netherlands)
        run = OrderRun(self.account, self.account._get_adapter())
        del run.marketplaces[netherlands]
        self.env["amazon.order.import"]._process_orders(
            run, [self.account._get_adapter().get_order(amazon.order_id)]
        )
        failure = self.env["amazon.order.failure"].search(
            [("amazon_order_ref", "=", amazon.order_id)]
        )
        self.assertIn("unknown to Odoo", failure.reason)

    def test_recover_order_outside_the_window(self):
        old = self.add_order(DE, created_time=ago(days=20))
        self.sync()
        self.assertFalse(self.sale_of(old))
        wizard = self.env["amazon.recover.order.wizard"].create(
            {"account_id": self.account.id, "amazon_order_ref": f" {old.order_id} "}
        )
        action = wizard.action_recover()
        self.assertEqual(action["res_id"], self.sale_of(old).id)
        # Recovering it again refreshes, never duplicates.
        wizard.action_recover()
        self.assertEqual(len(self.sale_of(old)), 1)

    def test_queries_per_order_do_not_grow_with_the_database(self):
        def import_batch(count):
            for n in range(count):
                self.add_order(
                    DE,
                    created_time=ago(minutes=55 - n % 50),
                    buyer_email=f"buyer{len(self.emulator.store.orders)}@example.com",
                    buyer_name=f"Buyer {len(self.emulator.store.orders)}",
                )
            self.account.last_orders_sync = False
            before = self.cr.sql_log_count
            result = self.sync()
            return (self.cr.sql_log_count - before) / result.created, result

        small, result = import_batch(5)
        self.assertEqual(result.created, 5)
        larger, result = import_batch(20)  # with 5 orders already there
        self.assertEqual(result.created, 20)
        # Per-order queries are bounded and do not grow with the orders already in
        # the database (the first batch also pays the per-run set-up).
        self.assertLess(larger, 150)
        self.assertLessEqual(larger, small * 1.05)


@tagged("post_install", "-at_install")
class TestTwoCompanies(OrderSyncCase):
    """Issue #21: two companies, each with its own Amazon account, and one buyer
    who bought from both. No record of one reaches the other."""

    SELLER_B = "A2ODOOSELLERB"
    TOKEN_B = "Atzr|odoo-tests-seller-b"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company_b, cls.account_b, manager_b = cls.seller_in_another_company(
            "Seller B GmbH", cls.SELLER_B, cls.TOKEN_B, DE
        )
        cls.managers = {
            env.company: new_test_user(
                env,
                login=f"amazon_manager_{env.company.id}",
                groups="sales_team.group_sale_manager,stock.group_stock_user",
                company_id=env.company.id,
                company_ids=[(6, 0, env.company.ids)],
            ),
            cls.company_b: manager_b,
        }

    def test_the_cron_serves_each_company_in_its_own(self):
        """Odoo's cron runs as its own user, in that user's company: each account's
        turn still writes in the account's company (issue #19: the crons' turns)."""
        (self.account | self.account_b).write({"link_date": "2026-12-01 00:00:00"})
        self.forget_rate_limits()
        self.addCleanup(self.forget_rate_limits)
        ours = self.add_order(DE)
        theirs = self.emulator.store.add_order(
            self.SELLER_B,
            DE,
            [{"sku": "B-ONLY-SKU", "title": "Vase", "quantity": 1, "unit_price": "30.00"}],
            created_time=ago(hours=1),
            address=erika_address(),
        )
        cron = self.env.ref("sale_amazon_connector.ir_cron_amazon_sync_orders")
        cron.method_direct_trigger()
        sale_a = self.sale_of(ours)
        sale_b = self.env["sale.order"].search([("amazon_order_ref", "=", theirs.order_id)])
        self.assertEqual((sale_a.company_id, sale_b.company_id), (self.env.company, self.company_b))
        self.assertEqual(sale_b.picking_ids.company_id, self.company_b)
        self.assertEqual(sale_b.partner_id.company_id, self.company_b)
        logs = self.env["amazon.sync.log"].search([("kind", "=", "orders")])
        self.assertEqual(set(logs.mapped("state")), {"done"})
        self.assertEqual(logs.account_id, self.account | self.account_b)

    def test_no_record_of_one_company_reaches_the_other(self):
        ours = self.add_order(DE)  # Erika, through account A
        theirs = self.emulator.store.add_order(
            self.SELLER_B,
            DE,
            [{"sku": "B-ONLY-SKU", "title": "Vase", "quantity": 1, "unit_price": "30.00"}],
            created_time=ago(hours=1),
            buyer_name="Erika Mustermann",
            buyer_email="erika@marketplace.amazon.example",  # the same buyer
            address=erika_address(),
        )
        self.sync()
        self.account_b.with_company(self.company_b)._sync_orders()
        sale_a = self.sale_of(ours)
        sale_b = self.env["sale.order"].search([("amazon_order_ref", "=", theirs.order_id)])
        self.assertEqual(sale_b.amazon_account_id, self.account_b)
        self.assertEqual((sale_a.company_id, sale_b.company_id), (self.env.company, self.company_b))
        # One customer per company, each in its own company, never shared.
        self.assertNotEqual(sale_a.partner_id, sale_b.partner_id)
        self.assertEqual(sale_b.partner_id.company_id, self.company_b)
        self.assertEqual(sale_b.partner_shipping_id.company_id, self.company_b)
        self.assertEqual(sale_b.picking_ids.company_id, self.company_b)
        offer_b = self.env["amazon.offer"].search([("sku", "=", "B-ONLY-SKU")])
        self.assertEqual(offer_b.account_id, self.account_b)
        self.assertFalse(self.env["amazon.order.failure"].search([]))
        # Each company's manager sees only their company's Amazon records.
        for company, own_account, own_sale in (
            (self.env.company, self.account, sale_a),
            (self.company_b, self.account_b, sale_b),
        ):
            env = self.env(user=self.managers[company])
            with self.subTest(company=company.name):
                self.assertEqual(env["amazon.account"].search([]), own_account)
                self.assertEqual(
                    env["sale.order"].search([("amazon_order_ref", "!=", False)]), own_sale
                )
                self.assertEqual(
                    env["res.partner"].search([("email", "=", "erika@marketplace.amazon.example")]),
                    own_sale.partner_id,
                )
                self.assertEqual(
                    env["stock.picking"].search([("sale_id.amazon_order_ref", "!=", False)]),
                    own_sale.picking_ids,
                )
                self.assertEqual(env["amazon.sync.log"].search([]).account_id, own_account)
                self.assertTrue(
                    all(o.account_id == own_account for o in env["amazon.offer"].search([]))
                )
