"""Listings in (issue #15): the seller's listings become offers, matched to
products by internal reference, then by barcode; the rest are to review."""

import importlib.util
import pathlib
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from ..spapi_emulator import listings as emulated_listings
from .common import DE, SELLER_ID, UK, US, AmazonTestCase


@tagged("post_install", "-at_install")
class TestListingsImport(AmazonTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sell_on(US, DE, link_date="2026-12-01 00:00:00")
        Product = cls.env["product.product"]
        cls.mug = Product.create({"name": "Mug", "default_code": "MUG-01", "is_storable": True})
        cls.vase = Product.create({"name": "Vase", "barcode": "4006381333931", "is_storable": True})
        store = cls.emulator.store
        store.add_listing(SELLER_ID, "MUG-01", [US, DE], title="Mug", quantity=4, price="12.90")
        store.add_listing(
            SELLER_ID,
            "VASE-AMZ",
            [DE],
            title="Vase",
            identifiers={"EAN": "4006381333931"},
            fulfillment_channel="AMAZON_EU",
        )
        store.add_listing(SELLER_ID, "UNKNOWN-1", [US], title="Something else")
        for n in range(25):  # more than one page
            store.add_listing(SELLER_ID, f"BULK-{n:02d}", [US], title=f"Bulk {n}")

    def offers(self):
        return self.env["amazon.offer"].search([("account_id", "=", self.account.id)])

    def channels(self, offer):
        return {lst.marketplace_id.api_ref: lst.channel for lst in offer.listing_ids}

    def test_import_creates_matched_offers_and_lists_the_rest_for_review(self):
        calls_before = len(self.emulator.calls_for("searchListingsItems"))
        notification = self.account.with_user(self.sales_manager).action_import_listings()
        self.assertEqual(notification["params"]["type"], "warning")  # some to review
        offers = {offer.sku: offer for offer in self.offers()}
        self.assertEqual(len(offers), 28)
        self.assertEqual(offers["MUG-01"].product_id, self.mug)
        self.assertFalse(offers["MUG-01"].needs_review)
        self.assertEqual(self.channels(offers["MUG-01"]), {US: "fbm", DE: "fbm"})
        self.assertEqual(offers["VASE-AMZ"].product_id, self.vase)  # by its EAN
        self.assertEqual(self.channels(offers["VASE-AMZ"]), {DE: "fba"})
        self.assertEqual(offers["MUG-01"].listing_ids.mapped("amazon_status"), ["buyable"] * 2)
        prices = {
            (lst.marketplace_id.api_ref, lst.amazon_price, lst.currency_id.name)
            for lst in offers["MUG-01"].listing_ids
        }
        self.assertEqual(prices, {(US, 12.9, "USD"), (DE, 12.9, "EUR")})
        unknown = offers["UNKNOWN-1"]
        self.assertTrue(unknown.needs_review)
        default = self.env.ref("sale_amazon_connector.product_amazon_sale")
        self.assertEqual(unknown.product_id, default)  # no product created
        self.assertFalse(
            self.env["product.product"].search([("name", "in", ["Something else", "Bulk 1"])])
        )
        calls = self.emulator.calls_for("searchListingsItems")[calls_before:]
        # One search per marketplace (the channel Amazon returns names none),
        # pages of 20: 27 listings on amazon.com, 2 on amazon.de.
        self.assertEqual(sorted(c.params["marketplaceIds"] for c in calls), sorted([US, US, DE]))
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "listings")]
        )
        self.assertEqual((log.state, log.fetched, log.created), ("done", 29, 29))

    def test_a_second_import_with_nothing_new_writes_nothing(self):
        self.env["amazon.listing.import"]._run(self.account)
        offers = self.offers()

        def write_dates():
            self.env.flush_all()
            self.env.cr.execute(
                "SELECT 'offer', id, write_date FROM amazon_offer WHERE account_id = %s"
                " UNION ALL SELECT 'listing', id, write_date FROM amazon_listing"
                " WHERE account_id = %s",
                [self.account.id, self.account.id],
            )
            return self.env.cr.fetchall()

        before = write_dates()
        result = self.env["amazon.listing.import"]._run(self.account)
        self.assertEqual(
            (result.fetched, result.extra["offers_created"], result.created, result.updated),
            (29, 0, 0, 0),
        )
        self.assertEqual(write_dates(), before)
        self.assertEqual(self.offers(), offers)

    def test_what_amazon_changed_is_updated_and_only_that(self):
        self.env["amazon.listing.import"]._run(self.account)
        mug = self.offers().filtered(lambda o: o.sku == "MUG-01")
        # Amazon now ships the mug on amazon.de, and suppressed it on amazon.com.
        listing = self.emulator.store.get_listing(SELLER_ID, "MUG-01")
        listing.offers[DE].channel = "AMAZON_EU"
        listing.offers[US].issues = [
            {
                "code": "18155",
                "message": "The price is outside the allowed range.",
                "severity": "ERROR",
                "categories": ["INVALID_PRICE"],
                "enforcements": {
                    "actions": [{"action": "LISTING_SUPPRESSED"}],
                    "exemption": {"status": "NOT_EXEMPT"},
                },
            }
        ]
        self.addCleanup(setattr, listing.offers[US], "issues", [])
        self.addCleanup(setattr, listing.offers[DE], "channel", "DEFAULT")
        result = self.env["amazon.listing.import"]._run(self.account)
        self.assertEqual(result.updated, 2)
        self.assertEqual(self.channels(mug), {US: "fbm", DE: "fba"})
        us = mug.listing_ids.filtered(lambda lst: lst.marketplace_id.api_ref == US)
        self.assertEqual(us.amazon_status, "suppressed")
        self.assertIn("18155", us.amazon_issues)

    def test_the_daily_cron_imports_every_linked_account(self):
        self.assertTrue(self.env["amazon.listing.import"]._cron_import())
        self.assertEqual(len(self.offers()), 28)
        self.assertEqual(len(self.offers().listing_ids), 29)

    def test_a_catalogue_beyond_what_a_search_returns_is_read_in_searches_by_date(self):
        """Amazon pages through 1000 SKUs of a search at most (here, 25 of the 27
        listed on amazon.com): the import reads them oldest first and starts the
        next search at the creation date of the last one read."""
        store = self.emulator.store
        for n, listing in enumerate(sorted(store.listings.values(), key=lambda lst: lst.sku)):
            listing.created_time = listing.created_time - timedelta(days=40 - n)
        with patch.object(emulated_listings, "LISTINGS_SEARCH_LIMIT", 25):
            notification = self.account.with_user(self.sales_manager).action_import_listings()
        self.assertEqual(notification["params"]["type"], "warning")  # to review, not partial
        self.assertNotIn("more listings", notification["params"]["message"])
        self.assertEqual(len(self.offers().listing_ids), 29)
        searches = [
            c.params
            for c in self.emulator.calls_for("searchListingsItems")
            if c.params["marketplaceIds"] == US and not c.params.get("pageToken")
        ]
        self.assertEqual(len(searches), 2)
        self.assertEqual(
            {(s["sortBy"], s["sortOrder"]) for s in searches}, {("createdDate", "ASC")}
        )
        self.assertTrue(searches[1]["createdAfter"])
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "listings")], limit=1
        )
        self.assertEqual((log.state, log.fetched, log.failed), ("done", 29, 0))

    def test_a_catalogue_beyond_what_a_search_returns_is_reported_not_taken_as_whole(self):
        """1000 listings created at one instant cannot be read past by date: the
        run says how many were not read (here, the emulator stops at 25 of the
        27 listed on amazon.com, all created within a second)."""
        listings = self.emulator.store.listings.values()
        instant = max(listing.created_time for listing in listings)
        for listing in listings:
            listing.created_time = instant
        with patch.object(emulated_listings, "LISTINGS_SEARCH_LIMIT", 25):
            notification = self.account.with_user(self.sales_manager).action_import_listings()
        self.assertEqual(len(self.offers().listing_ids), 27)  # 25 on .com, 2 on .de
        self.assertIn("2 more listings", notification["params"]["message"])
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "listings")], limit=1
        )
        self.assertEqual((log.state, log.fetched, log.failed), ("partial", 27, 2))

    def test_a_malformed_listing_is_its_own_failure_and_the_others_land(self):
        """Items that break Amazon's model (a price that is no number, a summary
        that is not an object, a control character in a SKU, a SKU longer than
        an index holds) each fail alone, named on the sync log: every other
        listing of their pages lands, and a second run duplicates nothing."""
        store = self.emulator.store
        broken = {
            "BULK-03": [("offers", 0, "price", "amount"), "NaN"],
            "BULK-07": [("summaries", 0), "not an object"],
            "BULK-11": [("sku",), "BULK\x0011"],
            "BULK-13": [("sku",), "B" * 5000],
        }
        for sku, (path, value) in broken.items():
            listing = store.get_listing(SELLER_ID, sku)
            listing.corruptions = [(path, value)]
            self.addCleanup(setattr, listing, "corruptions", [])
        store.get_listing(SELLER_ID, "BULK-03").offers[US].price = "1.00"
        self.addCleanup(setattr, store.get_listing(SELLER_ID, "BULK-03").offers[US], "price", None)
        notification = self.account.with_user(self.sales_manager).action_import_listings()
        self.assertEqual(notification["params"]["type"], "warning")
        self.assertIn("4 failed", notification["params"]["message"])
        skus = set(self.offers().mapped("sku"))
        self.assertEqual(len(skus), 24)
        self.assertFalse(skus & set(broken))
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "listings")], limit=1
        )
        self.assertEqual((log.state, log.fetched, log.created, log.failed), ("partial", 25, 25, 4))
        reasons = log.problem_ids.mapped("reason")
        self.assertEqual(len(reasons), 4)
        self.assertTrue(any("offers[0].price.amount" in r for r in reasons), reasons)
        self.assertTrue(any("summaries[0] is not an object" in r for r in reasons), reasons)
        self.assertTrue(any("sku contains a control character" in r for r in reasons), reasons)
        self.assertTrue(any("sku is 5000 characters long" in r for r in reasons), reasons)
        # Mended on Amazon's side: the next run adds them, and nothing twice.
        for sku in broken:
            store.get_listing(SELLER_ID, sku).corruptions = []
        result = self.env["amazon.listing.import"]._run(self.account)
        self.assertEqual((result.created, result.failed, result.skipped), (4, 0, 25))
        self.assertEqual(len(self.offers()), 28)
        self.assertEqual(len(self.offers().listing_ids), 29)


def _migration(version):
    path = pathlib.Path(__file__).parent.parent / "migrations" / version / "post-migrate.py"
    spec = importlib.util.spec_from_file_location(f"sac_migration_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestListingsMigration(AmazonTestCase):
    """18.0.0.3.0 moves the channel and stock state of each offer to its
    listings. The columns 18.0.0.2.0 had on amazon_offer are made here (an
    upgrade leaves them in place), filled, then migrated."""

    def test_offers_of_18_0_0_2_0_get_their_listings(self):
        self.sell_on(US, DE, UK)
        cr = self.env.cr
        cr.execute(
            """
            ALTER TABLE amazon_offer
                ADD COLUMN marketplace_id int, ADD COLUMN channel varchar,
                ADD COLUMN stock_sync_state varchar, ADD COLUMN last_quantity_sent int,
                ADD COLUMN last_quantity_date timestamp, ADD COLUMN stock_sync_error text,
                ADD COLUMN attempted_quantity int, ADD COLUMN feed_ref varchar,
                ADD COLUMN feed_message_ref int, ADD COLUMN feed_date timestamp,
                ADD COLUMN fba_zero_pending boolean
            """
        )
        product = self.env["product.product"].create({"name": "Mug", "is_storable": True})
        mug, vase = self.env["amazon.offer"].create(
            [
                {"account_id": self.account.id, "sku": sku, "product_id": product.id}
                for sku in ("MUG", "VASE")
            ]
        )
        cr.execute(
            """
            UPDATE amazon_offer SET marketplace_id = %s, channel = 'fbm',
                   stock_sync_state = 'synced', last_quantity_sent = 7, attempted_quantity = 7,
                   last_quantity_date = '2026-11-30 10:00:00', fba_zero_pending = false
             WHERE id = %s
            """,
            [self.marketplace[DE].id, mug.id],
        )
        cr.execute(
            "UPDATE amazon_offer SET channel = 'fba', stock_sync_state = 'never' WHERE id = %s",
            [vase.id],
        )
        customer = self.env["res.partner"].create({"name": "Buyer"})
        self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "amazon_account_id": self.account.id,
                "amazon_marketplace_id": self.marketplace[UK].id,
                "amazon_channel": "fba",
                "order_line": [
                    Command.create(
                        {"product_id": product.id, "product_uom_qty": 1, "amazon_offer_id": mug.id}
                    )
                ],
            }
        )
        buyer = self.env["res.partner"].create(
            {"name": "Erika", "phone": "+49 30 1234567", "amazon_buyer": True}
        )
        delivery = self.env["res.partner"].create(
            {
                "name": "Erika",
                "type": "delivery",
                "parent_id": buyer.id,
                "phone": "+49 30 1234567",
                "amazon_buyer": True,
            }
        )
        self.env.flush_all()
        _migration("18.0.0.3.0").migrate(cr, "18.0.0.2.0")
        self.env.invalidate_all()
        self.assertEqual((buyer.phone, delivery.phone), (False, "+49 30 1234567"))
        listings = {
            (lst.offer_id.sku, lst.marketplace_id.api_ref): lst for lst in (mug | vase).listing_ids
        }
        self.assertEqual(set(listings), {("MUG", DE), ("MUG", UK), ("VASE", US)})
        de = listings["MUG", DE]
        self.assertEqual(
            (de.channel, de.stock_sync_state, de.last_quantity_sent), ("fbm", "synced", 7)
        )
        self.assertEqual(listings["MUG", UK].channel, "fba")  # an FBA order there
        self.assertEqual(listings["VASE", US].channel, "fba")  # the account's marketplace
        # Run twice (an interrupted upgrade): nothing doubles.
        _migration("18.0.0.3.0").migrate(cr, "18.0.0.2.0")
        self.env.invalidate_all()
        self.assertEqual(len((mug | vase).listing_ids), 3)
