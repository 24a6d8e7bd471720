"""No bad record ever stops a flow (issue #34): a page of orders holding
malformed ones, as Amazon's answers sometimes are, imports its valid orders,
records each bad one with the reason and the field, and the window advances."""

import secrets
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo.tests import tagged

from ..models.amazon_listing_import import LISTING_DATA
from ..models.amazon_order_import import OrderRun
from ..spapi_emulator.render import render_fba_summary, render_listing
from .common import DE, SELLER_ID, US, AmazonTestCase
from .test_orders import OrderSyncCase, ago

# (what the review fed the import, the corruption, the field the reason names)
HOSTILE = [
    ("a field of the wrong type", ("orderItems", 0, "quantityOrdered"), "2", "quantityOrdered"),
    ("an object of the wrong type", ("buyer",), ["Erika"], "buyer is not an object"),
    ("an item that is not an object", ("orderItems",), ["MUG-01"], "orderItems[0]"),
    (
        "a non-finite amount",
        ("orderItems", 0, "product", "price", "unitPrice", "amount"),
        "NaN",
        "unitPrice.amount is not a finite number",
    ),
    (
        "an overflowing amount",
        ("proceeds", "grandTotal", "amount"),
        "1e400",
        "proceeds.grandTotal.amount is out of range",
    ),
    (
        "a control character in a name",
        ("recipient", "deliveryAddress", "name"),
        "Erika\x00Mustermann",
        "recipient.deliveryAddress.name contains a control character",
    ),
    (
        "a string longer than PostgreSQL's index allows",
        ("orderItems", 0, "product", "sellerSku"),
        secrets.token_urlsafe(3000),
        "sellerSku is 4000 characters long",
    ),
    ("no order id at all", ("orderId",), None, "orderId is missing"),
]


@tagged("post_install", "-at_install")
class TestMalformedOrders(OrderSyncCase):
    def failures(self):
        return self.env["amazon.order.failure"].search([("account_id", "=", self.account.id)])

    def add_hostile_page(self):
        """Three valid orders and, between them, one order per hostile input."""
        valid, hostile = [], {}
        for n, (what, path, value, named) in enumerate(HOSTILE):
            if n % 3 == 0:
                valid.append(self.add_order(DE, created_time=ago(minutes=50 - 2 * n)))
            order = self.add_order(DE, created_time=ago(minutes=49 - 2 * n))
            order.corruptions.append((path, value))
            hostile[what] = (order, named)
        return valid, hostile

    def test_a_malformed_page_imports_its_valid_orders_and_the_window_advances(self):
        valid, hostile = self.add_hostile_page()
        result = self.sync()
        self.assertEqual(result.created, len(valid))
        self.assertEqual(result.failed, len(hostile))
        for order in valid:
            self.assertEqual(self.sale_of(order).state, "sale")
        # Each bad order is listed with why, naming the field.
        failures = self.failures()
        self.assertEqual(len(failures), len(hostile))
        for what, (order, named) in hostile.items():
            if what == "no order id at all":
                failure = failures.filtered(lambda f: f.amazon_order_ref.startswith("?"))
            else:
                failure = failures.filtered(lambda f, o=order: f.amazon_order_ref == o.order_id)
                self.assertFalse(self.sale_of(order), what)
            self.assertEqual(len(failure), 1, what)
            self.assertIn(named, failure.reason, what)
        # The window is done: the next run starts after it.
        self.assertTrue(self.account.last_orders_sync)
        self.assertFalse(self.account.orders_window_end)
        log = self.logs_of_orders()[:1]
        self.assertEqual(log.state, "partial")
        self.assertEqual(len(log.problem_ids), len(hostile))

        # The next runs retry the failures a few times, duplicate nothing, then
        # leave them to a person.
        flow = self.OrderImport
        for attempt in range(2, flow.unit_attempts + 2):
            result = self.sync()
            self.assertEqual(result.created, 0)
            expected = min(attempt, flow.unit_attempts)
            self.assertEqual(set(self.failures().mapped("attempts")), {expected})
        self.assertTrue(all(self.failures().mapped("set_aside")))
        self.assertEqual(self.sync().failed, 0)  # set aside: not retried
        for order in valid:
            self.assertEqual(len(self.sale_of(order)), 1)

        # Amazon's data put right, Retry Now imports the order.
        order, _named = hostile["a control character in a name"]
        order.corruptions.clear()
        failure = self.failures().filtered(lambda f: f.amazon_order_ref == order.order_id)
        failure.action_retry()
        self.assertEqual(self.sale_of(order).state, "sale")
        self.assertFalse(failure.exists())

    def test_a_database_error_is_one_order_s_failure(self):
        """An order the mapper accepts but the database refuses (here: the
        reference of an order already imported, a unique violation) rolls back
        alone; the orders around it are imported."""
        first = self.add_order(DE, created_time=ago(minutes=50))
        self.sync()
        # In the next window (from 5 minutes before the last run's end).
        orders = [self.add_order(DE, created_time=ago(minutes=4, seconds=-n)) for n in range(3)]
        bad = orders[1].order_id
        prepare = self.OrderImport._prepare_order_values

        def clashing(flow, run, order):
            values = prepare(flow, run, order)
            if order.ref == bad:
                values["amazon_order_ref"] = first.order_id
            return values

        with patch.object(self.OrderImport, "_prepare_order_values", clashing):
            result = self.sync()
        self.assertEqual((result.created, result.failed), (2, 1))
        self.assertEqual(self.sale_of(orders[0]).state, "sale")
        self.assertEqual(self.sale_of(orders[2]).state, "sale")
        failure = self.failures()
        self.assertEqual(failure.amazon_order_ref, bad)
        self.assertIn("UniqueViolation", failure.reason)
        self.assertEqual(len(self.sale_of(first)), 1)
        # The next run (unpatched) imports it.
        self.sync()
        self.assertEqual(self.sale_of(orders[1]).state, "sale")

    def test_payloads_that_are_not_orders(self):
        """An array item of searchOrders that is no object at all is a failure
        of its own, never the page's."""
        amazon = self.add_order(DE)
        adapter = self.account._get_adapter()
        run = OrderRun(self.account, adapter)
        good = adapter.get_order(amazon.order_id)
        self.env["amazon.order.import"].with_env(run.env)._process_orders(
            run, ["garbage", 42, None, [good], good]
        )
        self.assertEqual((run.result.created, run.result.failed), (1, 4))
        self.assertEqual(self.sale_of(amazon).state, "sale")
        self.assertEqual(len(self.failures()), 4)
        self.assertTrue(
            all(ref.startswith("?") for ref in self.failures().mapped("amazon_order_ref"))
        )


def examples(count):
    """Hypothesis's settings for a flow's property test: ``count`` examples,
    the same ones every run (CI reproduces what a developer saw)."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def rolled_back(env, check, *args):
    """``check(*args)`` in a savepoint rolled back after: one Hypothesis
    example leaves nothing for the next."""
    savepoint = env.cr.savepoint()
    try:
        check(*args)
    finally:
        savepoint.close(rollback=True)


def _paths(value, prefix=()):
    if prefix:
        yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


HOSTILE_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    st.sampled_from(["NaN", "Infinity", "1e400", "x" * 4000, "a\x00b", "\x1b[31m"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@tagged("post_install", "-at_install")
class TestOrdersFlowProperties(OrderSyncCase):
    """For any page of orders, valid or mutated away from Amazon's model: no
    exception escapes an order's boundary, every valid order lands, the counts
    add up, and a re-run duplicates nothing."""

    def test_any_page_imports_its_valid_orders_and_a_rerun_duplicates_nothing(self):
        template = self.add_order(DE)
        adapter = self.account._get_adapter()
        paths = list(_paths(adapter.get_order(template.order_id)))
        adapter.close()
        del self.emulator.store.orders[template.order_id]
        mutation = st.lists(st.tuples(st.sampled_from(paths), HOSTILE_VALUES), max_size=2)

        @examples(60)
        @given(st.lists(mutation, min_size=1, max_size=6))
        def check(page):
            self.emulator.store.orders.clear()
            savepoint = self.env.cr.savepoint()
            try:
                self.check_page(page)
            finally:
                savepoint.close(rollback=True)

        check()

    def check_page(self, page):
        orders = []
        for n, corruptions in enumerate(page):
            order = self.add_order(DE, created_time=ago(minutes=50 - n))
            order.corruptions.extend(corruptions)
            orders.append(order)
        result = self.sync()  # raises nothing: every order is its own unit
        self.assertEqual(result.created + result.failed + result.skipped, len(orders))
        for order in orders:
            if not order.corruptions:
                self.assertEqual(self.sale_of(order).state, "sale")
        mine = [("amazon_account_id", "=", self.account.id)]
        imported = self.env["sale.order"].search_count(mine)
        self.assertEqual(imported, result.created)
        again = self.sync()
        self.assertEqual(again.created, 0)
        refs = self.env["sale.order"].search(mine)
        self.assertEqual(len(refs), imported)
        self.assertEqual(len(set(refs.mapped("amazon_order_ref"))), imported)


@tagged("post_install", "-at_install")
class TestListingsFlowProperties(AmazonTestCase):
    """For any catalogue, its items valid or mutated away from Amazon's
    model: no exception escapes a listing's boundary, every valid listing
    lands, and a re-run duplicates nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(US, link_date="2026-12-01 00:00:00")

    def test_any_catalogue_imports_its_valid_listings_and_a_rerun_duplicates_nothing(self):
        store = self.emulator.store
        sample = store.add_listing(SELLER_ID, "SAMPLE", [US], title="Sample", price="9.90")
        paths = list(_paths(render_listing(sample, LISTING_DATA, [US])))
        mutation = st.lists(st.tuples(st.sampled_from(paths), HOSTILE_VALUES), max_size=2)

        @examples(40)
        @given(st.lists(mutation, min_size=1, max_size=6))
        def check(catalogue):
            store.listings.clear()
            savepoint = self.env.cr.savepoint()
            try:
                self.check_catalogue(catalogue)
            finally:
                savepoint.close(rollback=True)

        check()

    def check_catalogue(self, catalogue):
        store = self.emulator.store
        listings = []
        for n, corruptions in enumerate(catalogue):
            listing = store.add_listing(SELLER_ID, f"SKU-{n}", [US], title=f"Item {n}")
            listing.corruptions = list(corruptions)
            listings.append(listing)
        Import = self.env["amazon.listing.import"]
        result = Import._run(self.account)  # raises nothing: every listing is its own unit
        self.assertLessEqual(result.created + result.failed, len(listings))
        offers = self.env["amazon.offer"].search([("account_id", "=", self.account.id)])
        skus = set(offers.mapped("sku"))
        for listing in listings:
            if not listing.corruptions:
                self.assertIn(listing.sku, skus)
        again = Import._run(self.account)
        self.assertEqual(again.created, 0)
        offers_again = self.env["amazon.offer"].search([("account_id", "=", self.account.id)])
        self.assertEqual(offers_again, offers)
        self.assertEqual(len(offers.listing_ids), result.created)


@tagged("post_install", "-at_install")
class TestFbaFlowProperties(AmazonTestCase):
    """For any inventory, its summaries valid or mutated away from Amazon's
    model: no exception escapes a summary's boundary, every product whose
    summary reads takes Amazon's quantity, and one whose summary does not
    keeps what Odoo held (unread is not gone)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(DE, link_date="2026-12-01 00:00:00")
        cls.products = cls.env["product.product"].create(
            [{"name": f"FBA {n}", "is_storable": True} for n in range(6)]
        )
        cls.env["amazon.offer"].create(
            [
                {"account_id": cls.account.id, "sku": f"FBA-{n}", "product_id": product.id}
                for n, product in enumerate(cls.products)
            ]
        )
        cls.location = cls.account.location_id

    def held(self, product):
        quants = self.env["stock.quant"].search(
            [("product_id", "=", product.id), ("location_id", "=", self.location.id)]
        )
        return sum(quants.mapped("quantity"))

    def test_any_inventory_reconciles_what_reads_and_keeps_the_rest(self):
        store = self.emulator.store
        sample = store.set_fba_stock(SELLER_ID, DE, "SAMPLE", fulfillable=1, reserved=1)
        paths = list(_paths(render_fba_summary(sample, True)))
        del store.fba_stock[(SELLER_ID, DE, "SAMPLE")]
        mutation = st.lists(st.tuples(st.sampled_from(paths), HOSTILE_VALUES), max_size=2)

        @examples(30)
        @given(st.lists(mutation, min_size=len(self.products), max_size=len(self.products)))
        def check(inventory):
            savepoint = self.env.cr.savepoint()
            try:
                self.check_inventory(inventory)
            finally:
                savepoint.close(rollback=True)
                store.fba_stock.clear()

        check()

    def check_inventory(self, inventory):
        store = self.emulator.store
        for n, (product, corruptions) in enumerate(zip(self.products, inventory, strict=True)):
            self.env["stock.quant"]._update_available_quantity(product, self.location, 5)
            stock = store.set_fba_stock(SELLER_ID, DE, f"FBA-{n}", fulfillable=n, reserved=1)
            stock.corruptions = list(corruptions)
        result = self.env["amazon.fba.inventory"]._run(self.account)  # raises nothing
        record = result.extra["reconciliation"]
        self.assertTrue(record)
        for n, product in enumerate(self.products):
            if not inventory[n]:
                self.assertEqual(self.held(product), n + 1)  # fulfillable + reserved
            elif product not in record.line_ids.product_id:
                self.assertEqual(self.held(product), 5)  # not read: as Odoo held it
