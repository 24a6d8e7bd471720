from datetime import timedelta
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models import amazon_stock_push
from ..models.amazon_stock_push import StockRun
from ..models.flow_run import lock_namespace
from ..spapi_emulator import Address
from .common import CLIENT_ID, DE, SELLER_ID, UK, US, AmazonTestCase
from .test_flow_robustness import HOSTILE_VALUES, examples, rolled_back

# The paths of a patchListingsItem answer (ListingsItemSubmissionResponse),
# an issue's included.
PATCH_ANSWER_PATHS = [
    ("sku",),
    ("status",),
    ("submissionId",),
    ("issues",),
    ("issues", 0),
    ("issues", 0, "code"),
    ("issues", 0, "message"),
    ("issues", 0, "severity"),
    ("identifiers",),
]


def run_push(account, adapter):
    """The stock flow's run, without the sync log: its FlowResult."""
    run = StockRun(account, adapter)
    account.env["amazon.stock.push"].with_env(run.env)._run_steps(run)
    return run.result


def apply_reports(account, adapter):
    run = StockRun(account, adapter)
    account.env["amazon.stock.push"].with_env(run.env)._apply_feed_reports(run)
    return run.result


@tagged("post_install", "-at_install")
class TestStockPush(AmazonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(US, DE, fbm_stock_sync=True)
        cls.stock = cls.account.warehouse_id.lot_stock_id
        cls.products = {}
        for sku, quantity in (("SKU-A", 7), ("SKU-B", 3), ("SKU-C", 0)):
            product = cls.env["product.product"].create(
                {"name": sku, "default_code": sku, "is_storable": True}
            )
            if quantity:
                cls.env["stock.quant"]._update_available_quantity(product, cls.stock, quantity)
            cls.products[sku] = product
        cls.service = cls.env["product.product"].create({"name": "Engraving", "type": "service"})
        cls.consumable = cls.env["product.product"].create({"name": "Sticker", "type": "consu"})
        cls.offers = cls.env["amazon.offer"].create(
            [
                {
                    "account_id": cls.account.id,
                    "sku": sku,
                    "product_id": product.id,
                    "listing_ids": [Command.create({"marketplace_id": cls.marketplace[US].id})],
                }
                for sku, product in [
                    *cls.products.items(),
                    ("SKU-SERVICE", cls.service),
                    ("SKU-STICKER", cls.consumable),
                ]
            ]
        )

    def setUp(self):
        super().setUp()
        self.emulator.reset()
        self.emulator.store.listings.clear()
        for sku in ("SKU-A", "SKU-B", "SKU-C", "SKU-SERVICE", "SKU-STICKER"):
            self.emulator.store.add_listing(SELLER_ID, sku, [US], quantity=99, handling_time=3)

    def offer(self, sku, marketplace=US):
        """The SKU's listing in ``marketplace``."""
        offer = self.offers.filtered(lambda o: o.sku == sku)
        return offer.listing_ids.filtered(lambda lst: lst.marketplace_id.api_ref == marketplace)

    def listing(self, sku):
        return self.emulator.store.get_listing(SELLER_ID, sku)

    def push(self, **adapter_options):
        adapter = self.account._get_adapter(**adapter_options)
        return run_push(self.account, adapter)

    def assert_amazon_equals_odoo(self):
        for sku, product in self.products.items():
            self.assertEqual(
                self.listing(sku).quantity,
                int(product.with_context(warehouse_id=self.account.warehouse_id.id).free_qty),
                sku,
            )

    def test_first_full_push(self):
        stats = self.push()
        self.assertEqual(stats.extra["sent"], 3)
        patches = self.emulator.calls_for("patchListingsItem")
        self.assertEqual(
            sorted(c.path.rsplit("/", 1)[1] for c in patches), ["SKU-A", "SKU-B", "SKU-C"]
        )
        body = patches[0].body
        self.assertEqual(body["patches"][0]["op"], "merge")
        self.assertEqual(body["patches"][0]["path"], "/attributes/fulfillment_availability")
        self.assert_amazon_equals_odoo()
        # merge keeps the handling time Amazon had.
        self.assertEqual(self.listing("SKU-A").handling_time, 3)
        offer = self.offer("SKU-A")
        self.assertEqual((offer.stock_sync_state, offer.last_quantity_sent), ("synced", 7))
        self.assertTrue(offer.last_quantity_date)
        # Services and non-storable goods are never sent.
        self.assertEqual(self.listing("SKU-SERVICE").quantity, 99)
        self.assertEqual(self.listing("SKU-STICKER").quantity, 99)
        self.assertEqual(self.offer("SKU-STICKER").stock_sync_state, "never")

    def test_no_change_no_call(self):
        self.push()
        self.emulator.reset_calls()
        stats = self.push()
        self.assertEqual(stats.extra["sent"], 0)
        self.assertEqual(self.emulator.calls, [])  # not even a token

    def test_a_patch_answer_that_breaks_the_model_is_its_listing_s_error(self):
        """Issue #34: Amazon answers one patch with issues that are not an
        array: that listing is in error with why, named on the sync log, and
        the push goes on to the others."""
        listing = self.listing("SKU-B")
        listing.answer_corruptions = [(("issues",), "none"), (("status",), "INVALID")]
        self.addCleanup(setattr, listing, "answer_corruptions", [])
        notification = self.account.action_push_stock()
        self.assertEqual(notification["params"]["type"], "warning")
        self.assertEqual(self.offer("SKU-B").stock_sync_state, "error")
        self.assertIn("issues is not an array", self.offer("SKU-B").stock_sync_error)
        self.assertEqual(
            {self.offer(sku).stock_sync_state for sku in ("SKU-A", "SKU-C")}, {"synced"}
        )
        log = self.account.sync_log_ids.filtered(lambda log: log.kind == "stock")[:1]
        self.assertEqual((log.state, log.updated, log.failed), ("partial", 2, 1))
        self.assertIn("issues is not an array", log.error)

    def test_a_second_push_at_once_skips_the_account(self):
        """One push per account at a time (issue #20: the flows share the lock)."""
        with self.registry.cursor() as other:
            other.execute(
                "SELECT pg_advisory_lock(%s, %s)", (lock_namespace("stock"), self.account.id)
            )
            try:
                stats = self.push()
                notification = self.account.action_push_stock()
            finally:
                other.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", (lock_namespace("stock"), self.account.id)
                )
        self.assertTrue(stats.locked)
        self.assertEqual((stats.extra["sent"], self.offer("SKU-A").stock_sync_state), (0, "never"))
        self.assertFalse(self.emulator.calls_for("patchListingsItem"))
        self.assertIn("in progress", notification["params"]["message"])
        self.assertEqual(self.push().extra["sent"], 3)

    def test_a_delivery_sends_only_its_sku(self):
        self.push()
        self.emulator.reset_calls()
        customer = self.env["res.partner"].create({"name": "Buyer"})
        picking = self.env["stock.picking"].create(
            {
                "partner_id": customer.id,
                "picking_type_id": self.account.warehouse_id.out_type_id.id,
                "location_id": self.stock.id,
                "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "A",
                            "product_id": self.products["SKU-A"].id,
                            "product_uom_qty": 2,
                            "location_id": self.stock.id,
                            "location_dest_id": self.env.ref("stock.stock_location_customers").id,
                        },
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        # Reserved stock is no longer available: Amazon hears of it before delivery.
        self.push()
        (call,) = self.emulator.calls_for("patchListingsItem")
        self.assertTrue(call.path.endswith("/SKU-A"))
        self.assertEqual(self.listing("SKU-A").quantity, 5)
        picking.move_ids.picked = True
        picking._action_done()
        self.emulator.reset_calls()
        self.push()
        self.assertEqual(self.emulator.calls_for("patchListingsItem"), [])  # 5 either way
        self.assert_amazon_equals_odoo()

    def test_cap_and_never_negative(self):
        self.offer("SKU-A").offer_id.quantity_cap = 4
        self.env["stock.quant"]._update_available_quantity(self.products["SKU-C"], self.stock, -2)
        self.push()
        self.assertEqual(self.listing("SKU-A").quantity, 4)
        self.assertEqual(self.listing("SKU-C").quantity, 0)

    def test_throttled_push_resumes(self):
        self.emulator.limiter.speed = 1
        self.emulator.limiter.set_plan("patchListingsItem", 0.001, 2)
        self.addCleanup(self.emulator.limiter.overrides.clear)
        self.addCleanup(self.forget_rate_limits)
        self.addCleanup(setattr, self.emulator.limiter, "speed", 1000)
        try:
            self.push(max_throttle_retries=0)
        except Exception as error:
            self.assertEqual(type(error).__name__, "SpApiThrottledError")
        storable = self.offers.filtered(lambda o: o.product_id.is_storable)
        states = storable.listing_ids.mapped("stock_sync_state")
        self.assertEqual(sorted(states), ["never", "synced", "synced"])
        self.emulator.limiter.overrides.clear()
        self.forget_rate_limits()
        self.push()
        self.assert_amazon_equals_odoo()
        self.assertEqual(
            len([c for c in self.emulator.calls_for("patchListingsItem") if c.status == 200]), 3
        )

    def test_fba_switch_withdraws_the_fbm_quantity_once(self):
        self.push()
        self.assertEqual(self.listing("SKU-B").quantity, 3)
        # An FBA order arrives for SKU-B: Amazon ships it now.
        for code in ("EUR", "USD"):
            self.env.ref(f"base.{code}").active = True
        self.env["product.pricelist"].create(
            {"name": "USD", "currency_id": self.env.ref("base.USD").id}
        )
        self.emulator.store.add_order(
            SELLER_ID,
            US,
            [{"sku": "SKU-B", "title": "B", "quantity": 1, "unit_price": "5.00"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
            address=Address(city="Austin", postal_code="73301", country_code="US"),
        )
        self.account._sync_orders()
        self.assertEqual(self.offer("SKU-B").channel, "fba")
        self.emulator.reset_calls()
        self.push()
        (call,) = self.emulator.calls_for("patchListingsItem")
        self.assertTrue(call.path.endswith("/SKU-B"))
        self.assertEqual(self.listing("SKU-B").quantity, 0)
        self.emulator.reset_calls()
        self.push()
        self.assertEqual(self.emulator.calls_for("patchListingsItem"), [])

    def test_afn_listing_is_never_pushed_as_fbm(self):
        self.listing("SKU-A").fulfillment_channel = "AMAZON_NA"
        self.push()
        offer = self.offer("SKU-A")
        self.assertEqual(offer.channel, "fba")
        self.assertEqual(self.listing("SKU-A").quantity, 99)  # untouched
        patched = [c.path.rsplit("/", 1)[1] for c in self.emulator.calls_for("patchListingsItem")]
        self.assertEqual(sorted(patched), ["SKU-B", "SKU-C"])
        self.emulator.reset_calls()
        self.push()
        self.assertEqual(self.emulator.calls_for("patchListingsItem"), [])

    def test_refused_quantity_is_shown_and_not_resent(self):
        del self.emulator.store.listings[(SELLER_ID, "SKU-B")]
        self.push()
        offer = self.offer("SKU-B")
        self.assertEqual(offer.stock_sync_state, "error")
        self.assertIn("does not match any listing", offer.stock_sync_error)
        self.emulator.reset_calls()
        self.push()
        self.assertEqual(self.emulator.calls_for("patchListingsItem"), [])

    # --- issue #34: any answer Amazon gives --------------------------------------------
    def _skus(self):
        return sorted(self.products)

    def test_any_patch_answers_sync_the_readable_ones_and_resend_nothing(self):
        mutation = st.lists(st.tuples(st.sampled_from(PATCH_ANSWER_PATHS), HOSTILE_VALUES))

        @examples(12)
        @given(st.lists(mutation.map(lambda m: m[:2]), min_size=3, max_size=3))
        def check(answers):
            rolled_back(self.env, self.check_answers, answers)

        check()

    def check_answers(self, answers):
        for sku, corruptions in zip(self._skus(), answers, strict=True):
            listing = self.listing(sku)
            listing.quantity = 99
            listing.answer_corruptions = list(corruptions)
        try:
            result = self.push()  # raises nothing: each listing its own unit
        finally:
            for sku in self._skus():
                self.listing(sku).answer_corruptions = []
        self.assertLessEqual(result.updated + result.failed + result.skipped, len(answers))
        for sku, corruptions in zip(self._skus(), answers, strict=True):
            state = self.offer(sku).stock_sync_state
            if not corruptions:
                self.assertEqual(state, "synced", sku)
                free = self.products[sku].with_context(warehouse_id=self.account.warehouse_id.id)
                self.assertEqual(self.listing(sku).quantity, int(free.free_qty), sku)
            self.assertIn(state, ("synced", "error"), sku)
        # The next push: what is synced is not sent again.
        synced = {sku for sku in self._skus() if self.offer(sku).stock_sync_state == "synced"}
        before = len(self.emulator.calls_for("patchListingsItem"))
        self.push()
        sent = self.emulator.calls_for("patchListingsItem")[before:]
        self.assertFalse(synced & {call.path.rsplit("/", 1)[-1] for call in sent})


@tagged("post_install", "-at_install")
class TestStockPerMarketplace(AmazonTestCase):
    """Amazon sets quantities per seller, SKU and marketplace (issue #15)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(US, DE, UK, fbm_stock_sync=True)
        stock = cls.account.warehouse_id.lot_stock_id
        cls.mug = cls.env["product.product"].create(
            {"name": "Mug", "default_code": "MUG", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(cls.mug, stock, 6)

    def setUp(self):
        super().setUp()
        self.emulator.reset()
        self.emulator.store.listings.clear()
        # FBA on amazon.com, merchant-fulfilled on amazon.de and amazon.co.uk.
        self.listing = self.emulator.store.add_listing(
            SELLER_ID, "MUG", [US, DE, UK], quantity=40, channels={US: "AMAZON_NA"}
        )

    def amazon(self):
        return {m: (o.channel, o.quantity) for m, o in self.listing.offers.items()}

    def push(self):
        return run_push(self.account, self.account._get_adapter())

    def import_listings(self):
        return self.env["amazon.listing.import"]._run(self.account)

    def test_fba_on_one_fbm_on_two_gets_its_quantity_on_those_two(self):
        self.import_listings()
        offer = self.env["amazon.offer"].search([("sku", "=", "MUG")])
        channels = {lst.marketplace_id.api_ref: lst.channel for lst in offer.listing_ids}
        self.assertEqual(channels, {US: "fba", DE: "fbm", UK: "fbm"})
        stats = self.push()
        self.assertEqual(stats.extra["sent"], 2)
        self.assertEqual(
            self.amazon(), {US: ("AMAZON_NA", 40), DE: ("DEFAULT", 6), UK: ("DEFAULT", 6)}
        )
        patched = sorted(
            c.params["marketplaceIds"] for c in self.emulator.calls_for("patchListingsItem")
        )
        self.assertEqual(patched, sorted([DE, UK]))  # one marketplace per patch
        states = {lst.marketplace_id.api_ref: lst.stock_sync_state for lst in offer.listing_ids}
        self.assertEqual(states, {US: "never", DE: "synced", UK: "synced"})

    def test_an_fba_order_switches_its_marketplace_only(self):
        self.listing.offers[US].channel = "DEFAULT"  # merchant-fulfilled everywhere at first
        self.import_listings()
        self.push()
        self.assertEqual(
            self.amazon(), {US: ("DEFAULT", 6), DE: ("DEFAULT", 6), UK: ("DEFAULT", 6)}
        )
        # Amazon now ships the mug on amazon.de: an FBA order there says so.
        self.listing.offers[DE].channel = "AMAZON_EU"
        self.env.ref("base.EUR").active = True
        self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": self.env.ref("base.EUR").id}
        )
        self.emulator.store.add_order(
            SELLER_ID,
            DE,
            [{"sku": "MUG", "title": "Mug", "quantity": 1, "unit_price": "5.00"}],
            fulfilled_by="AMAZON",
            status="SHIPPED",
            address=Address(city="Berlin", postal_code="10115", country_code="DE"),
        )
        self.account._sync_orders()
        offer = self.env["amazon.offer"].search([("sku", "=", "MUG")])
        channels = {lst.marketplace_id.api_ref: lst.channel for lst in offer.listing_ids}
        self.assertEqual(channels, {US: "fbm", DE: "fba", UK: "fbm"})
        # The .de merchant quantity is withdrawn once; the others keep theirs.
        self.emulator.reset_calls()
        self.push()
        (call,) = self.emulator.calls_for("patchListingsItem")
        self.assertEqual(call.params["marketplaceIds"], DE)
        self.assertEqual(
            self.amazon(), {US: ("DEFAULT", 6), DE: ("DEFAULT", 0), UK: ("DEFAULT", 6)}
        )
        # Stock moves: .com and .co.uk hear of it, .de never again.
        stock = self.account.warehouse_id.lot_stock_id
        self.env["stock.quant"]._update_available_quantity(self.mug, stock, 3)
        self.env.invalidate_all()  # as the next cron transaction sees it
        self.emulator.reset_calls()
        self.push()
        patched = sorted(
            c.params["marketplaceIds"] for c in self.emulator.calls_for("patchListingsItem")
        )
        self.assertEqual(patched, sorted([US, UK]))
        self.assertEqual(self.amazon()[US], ("DEFAULT", 9))

    def test_many_changes_go_in_one_feed_per_marketplace(self):
        self.import_listings()
        products = self.env["product.product"].create(
            [{"name": f"Bulk {n}", "is_storable": True} for n in range(25)]
        )
        for n, product in enumerate(products):
            self.env["amazon.offer"].create(
                {
                    "account_id": self.account.id,
                    "sku": f"BULK-{n}",
                    "product_id": product.id,
                    "listing_ids": [
                        Command.create({"marketplace_id": self.marketplace[ref].id})
                        for ref in (DE, UK)
                    ],
                }
            )
            self.emulator.store.add_listing(SELLER_ID, f"BULK-{n}", [US, DE, UK], quantity=5)
        stats = self.push()
        self.assertEqual((stats.extra["feeds"], stats.extra["sent"], stats.updated), (2, 52, 52))
        feeds = [c.body["marketplaceIds"] for c in self.emulator.calls_for("createFeed")]
        self.assertEqual(sorted(feeds), sorted([[DE], [UK]]))
        bulk = self.emulator.store.get_listing(SELLER_ID, "BULK-0")
        quantities = {m: o.quantity for m, o in bulk.offers.items()}
        self.assertEqual(quantities, {US: 5, DE: 0, UK: 0})  # .com is not the seller's here
        self.assertEqual(
            self.amazon(), {US: ("AMAZON_NA", 40), DE: ("DEFAULT", 6), UK: ("DEFAULT", 6)}
        )


@tagged("post_install", "-at_install")
class TestStockAllocation(AmazonTestCase):
    """Two accounts of one company sell the same lamp from one warehouse: in
    "split" allocation the quantities offered never add up to more than the
    free quantity (issue #15)."""

    SELLER_B = "A2SECONDSELLER"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(US, DE, fbm_stock_sync=True)
        cls.emulator.store.add_seller(
            cls.SELLER_B, [UK], client_id=CLIENT_ID, refresh_token="Atzr|second-seller"
        )
        cls.account_b = cls.env["amazon.account"].create(
            {
                "name": "Second seller",
                "signup_marketplace_id": cls.marketplace[UK].id,
                "environment": "custom",
                "custom_api_url": cls.emulator.url,
                "seller_ref": cls.SELLER_B,
                "refresh_token": "Atzr|second-seller",
                "available_marketplace_ids": [(6, 0, cls.marketplace[UK].ids)],
                "marketplace_ids": [(6, 0, cls.marketplace[UK].ids)],
                "fbm_stock_sync": True,
            }
        )
        cls.lamp = cls.env["product.product"].create(
            {"name": "Lamp", "default_code": "LAMP", "is_storable": True}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.lamp, cls.account.warehouse_id.lot_stock_id, 10
        )
        for account, refs in ((cls.account, (US, DE)), (cls.account_b, (UK,))):
            cls.env["amazon.offer"].create(
                {
                    "account_id": account.id,
                    "sku": "LAMP",
                    "product_id": cls.lamp.id,
                    "listing_ids": [
                        Command.create({"marketplace_id": cls.marketplace[ref].id}) for ref in refs
                    ],
                }
            )

    def setUp(self):
        super().setUp()
        self.emulator.reset()
        self.emulator.store.listings.clear()
        self.emulator.store.add_listing(SELLER_ID, "LAMP", [US, DE], quantity=0)
        self.emulator.store.add_listing(self.SELLER_B, "LAMP", [UK], quantity=0)

    def offered(self):
        for account in (self.account, self.account_b):
            run_push(account, account._get_adapter())
        a = self.emulator.store.get_listing(SELLER_ID, "LAMP").offers
        b = self.emulator.store.get_listing(self.SELLER_B, "LAMP").offers
        return {"US": a[US].quantity, "DE": a[DE].quantity, "UK (B)": b[UK].quantity}

    def test_each_listing_offers_all_by_default(self):
        self.assertEqual(self.env.company.amazon_stock_allocation, "each")
        self.assertEqual(self.account_b.warehouse_id, self.account.warehouse_id)
        self.assertEqual(self.offered(), {"US": 10, "DE": 10, "UK (B)": 10})

    def test_split_never_offers_more_than_the_free_quantity(self):
        self.env.company.amazon_stock_allocation = "split"
        # Both accounts at 100%: scaled to half each; A's half split over .com and .de.
        self.assertEqual(self.offered(), {"US": 3, "DE": 2, "UK (B)": 5})
        # A keeps 2 back and offers 60%, B 40%: (10-2)*60% = 4 (2+2), 10*40% = 4.
        self.account.write({"stock_buffer": 2, "stock_share": 60})
        self.account_b.stock_share = 40
        self.assertEqual(self.offered(), {"US": 2, "DE": 2, "UK (B)": 4})
        # Three sold: 7 free, and still never more than that offered.
        self.env["stock.quant"]._update_available_quantity(
            self.lamp, self.account.warehouse_id.lot_stock_id, -3
        )
        self.env.invalidate_all()
        offered = self.offered()
        self.assertEqual(offered, {"US": 2, "DE": 1, "UK (B)": 2})
        self.assertLessEqual(sum(offered.values()), 7)

    def test_a_share_is_a_percent(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.account.stock_share = 150
            self.env.flush_all()


@tagged("post_install", "-at_install")
class TestStockFeed(AmazonTestCase):
    """A large catalog goes in one JSON_LISTINGS_FEED."""

    def setUp(self):
        super().setUp()
        self.emulator.reset()
        self.emulator.store.listings.clear()

    def test_large_catalog_in_one_feed(self):
        account = self.account
        self.sell_on(US, fbm_stock_sync=True)
        count = 3000
        products = self.env["product.product"].create(
            [{"name": f"Item {n}", "is_storable": True} for n in range(count)]
        )
        stock = account.warehouse_id.lot_stock_id
        for product in products[:5]:
            self.env["stock.quant"]._update_available_quantity(product, stock, 12)
        offers = self.env["amazon.offer"].create(
            [
                {
                    "account_id": account.id,
                    "sku": f"BULK-{n:05d}",
                    "product_id": product.id,
                    "listing_ids": [Command.create({"marketplace_id": self.marketplace[US].id})],
                }
                for n, product in enumerate(products)
            ]
        )
        offers = offers.listing_ids
        invalid = {"BULK-00007", "BULK-01234", "BULK-02999"}
        for offer in offers:
            if offer.sku not in invalid:
                self.emulator.store.add_listing(SELLER_ID, offer.sku, [US], quantity=1)
        adapter = account._get_adapter()
        stats = run_push(account, adapter)
        self.assertEqual(stats.extra["feeds"], 1)
        self.assertEqual(len(self.emulator.calls_for("createFeed")), 1)
        self.assertEqual(self.emulator.calls_for("patchListingsItem"), [])
        self.assertEqual((stats.updated, stats.failed), (count - 3, 3))
        errors = offers.filtered(lambda o: o.stock_sync_state == "error")
        self.assertEqual(set(errors.mapped("sku")), invalid)
        self.assertTrue(all("does not match any listing" in e.stock_sync_error for e in errors))
        synced = offers - errors
        self.assertEqual(set(synced.mapped("stock_sync_state")), {"synced"})
        # What Amazon has is what Odoo has.
        for offer in synced[:10] | synced[-5:]:
            listing = self.emulator.store.get_listing(SELLER_ID, offer.sku)
            self.assertEqual(listing.quantity, offer.last_quantity_sent)
        self.assertEqual(self.emulator.store.get_listing(SELLER_ID, "BULK-00000").quantity, 12)
        # The errors are listed for the admin.
        action = account.action_view_offers()
        in_error = self.env["amazon.offer"].search(
            action["domain"] + [("listing_ids.stock_sync_state", "=", "error")]
        )
        self.assertEqual(set(in_error.mapped("sku")), invalid)

    def test_feed_report_applied_when_amazon_has_processed_it(self):
        account = self.account
        offers, _feed_id = self.pending_feed("F", count=30)
        self.emulator.store.feed_processing_delay = 0
        with patch.object(amazon_stock_push, "PATCH_LIMIT", 20):
            stats = run_push(account, account._get_adapter())
        self.assertEqual(stats.updated, 30)
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"synced"})
        self.assertEqual(len(self.emulator.calls_for("createFeed")), 1)  # not sent twice

    def pending_feed(self, prefix, count=25):
        """``count`` offers whose quantities went in one feed Amazon has not
        processed yet: (offers, feed id)."""
        account = self.account
        self.sell_on(US)
        products = self.env["product.product"].create(
            [{"name": f"{prefix}{n}", "is_storable": True} for n in range(count)]
        )
        offers = (
            self.env["amazon.offer"]
            .create(
                [
                    {
                        "account_id": account.id,
                        "sku": f"{prefix}-{n}",
                        "product_id": p.id,
                        "listing_ids": [
                            Command.create({"marketplace_id": self.marketplace[US].id})
                        ],
                    }
                    for n, p in enumerate(products)
                ]
            )
            .listing_ids
        )
        for offer in offers:
            self.emulator.store.add_listing(SELLER_ID, offer.sku, [US], quantity=4)
        self.emulator.store.feed_processing_delay = 3600
        self.addCleanup(setattr, self.emulator.store, "feed_processing_delay", 0)
        run_push(account, account._get_adapter())
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"pending"})
        return offers, self.emulator.calls_for("createFeed")[-1].response["feedId"]

    def assert_sent_again(self, offers, feeds_before):
        account = self.account
        self.emulator.store.feed_processing_delay = 0
        stats = run_push(account, account._get_adapter())
        self.assertEqual(stats.updated, len(offers))
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"synced"})
        self.assertEqual(len(self.emulator.calls_for("createFeed")), feeds_before + 1)
        self.assertEqual(self.emulator.store.get_listing(SELLER_ID, offers[0].sku).quantity, 0)

    def test_a_feed_amazon_does_not_apply_is_an_error_and_sent_again(self):
        """A CANCELLED (or FATAL) feed is final: its offers leave 'pending' with
        Amazon's reason, and the next push sends their quantities again."""
        offers, feed_id = self.pending_feed("C")
        self.emulator.store.cancel_feed(feed_id)
        self.emulator.store.feed_processing_delay = 0
        apply_reports(self.account, self.account._get_adapter())
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"error"})
        self.assertIn("CANCELLED", offers[0].stock_sync_error)
        # The next push sends them again, and Amazon ends with Odoo's figures.
        self.assert_sent_again(offers, feeds_before=1)

    def test_a_feed_report_elsewhere_is_never_fetched_and_the_stock_sent_again(self):
        """Issue #33: a processing report whose document URL is not Amazon's
        storage is refused: the feed's listings are in error with why, the
        report is never asked again, and their quantities go out anew."""
        offers, _feed_id = self.pending_feed("R", count=21)
        self.emulator.store.feed_processing_delay = 0
        self.emulator.faults.add("getFeedDocument", "foreign_url")
        apply_reports(self.account, self.account._get_adapter())
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"error"})
        self.assertIn("document URL refused", offers[0].stock_sync_error)
        self.assertIn("169.254.169.254", offers[0].stock_sync_error)
        asked = len(self.emulator.calls_for("getFeedDocument"))
        self.assert_sent_again(offers, feeds_before=1)
        self.assertEqual(len(self.emulator.calls_for("getFeedDocument")), asked + 1, "the new one")

    def test_an_unreadable_feed_report_never_blocks_the_push(self):
        """Issue #34: a processing report that is no JSON, or whose issues are
        not what the schema says, leaves its feed not applied with why (the
        quantities go out again); the other feeds' reports are applied and
        the push goes on."""
        store = self.emulator.store
        feeds = {}
        for prefix, content in (
            ("J", b"<html>Service Unavailable</html>"),
            ("I", b'{"issues": "none"}'),
            ("M", b'{"issues": [{"severity": "ERROR", "messageId": "one", "code": "1"}]}'),
            ("G", None),  # a good report
        ):
            offers, feed_id = self.pending_feed(prefix, count=21)
            feeds[prefix] = (offers, feed_id, content)
        store.feed_processing_delay = 0
        for _offers, feed_id, content in feeds.values():
            feed = store.feeds[feed_id]
            self.emulator.process_feed(feed)
            if content is not None:
                store.documents[feed.result_document_id].content = content
        apply_reports(self.account, self.account._get_adapter())
        expected = {"J": "JSON", "I": "issues is not an array", "M": "issues[0].messageId"}
        for prefix, why in expected.items():
            offers = feeds[prefix][0]
            self.assertEqual(set(offers.mapped("stock_sync_state")), {"error"}, prefix)
            self.assertIn(why, offers[0].stock_sync_error, prefix)
        self.assertEqual(set(feeds["G"][0].mapped("stock_sync_state")), {"synced"})
        # The next push sends the quantities of the three feeds again.
        feeds_before = len(self.emulator.calls_for("createFeed"))
        stats = run_push(self.account, self.account._get_adapter())
        self.assertEqual(stats.updated, 63)
        self.assertEqual(len(self.emulator.calls_for("createFeed")), feeds_before + 1)

    def test_a_feed_amazon_forgets_or_never_finishes_is_released(self):
        offers, feed_id = self.pending_feed("N", count=21)
        del self.emulator.store.feeds[feed_id]  # getFeed answers 404
        apply_reports(self.account, self.account._get_adapter())
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"error"})
        self.assertIn("NOT_FOUND", offers[0].stock_sync_error)
        self.assert_sent_again(offers, feeds_before=1)
        # A feed still IN_QUEUE after a day is given up, and its quantities resent.
        for product in offers.product_id:
            self.env["stock.quant"]._update_available_quantity(
                product, self.account.warehouse_id.lot_stock_id, 3
            )
        self.env.invalidate_all()  # as a new cron transaction would see it
        self.emulator.store.feed_processing_delay = 10**6
        run_push(self.account, self.account._get_adapter())
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"pending"})
        apply_reports(self.account, self.account._get_adapter())
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"pending"})  # not yet
        offers.write({"feed_date": fields.Datetime.now() - timedelta(hours=25)})
        apply_reports(self.account, self.account._get_adapter())
        self.assertEqual(set(offers.mapped("stock_sync_state")), {"error"})
        self.assertIn("24 hours", offers[0].stock_sync_error)
