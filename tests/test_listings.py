"""Listings in (issue #15): the seller's listings become offers, matched to
products by internal reference, then by barcode; the rest are to review."""

from unittest.mock import patch

from odoo.tests import tagged

from ..spapi_emulator import server as emulator_server
from .common import DE, SELLER_ID, US, AmazonTestCase


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
        store.add_listing(SELLER_ID, "MUG-01", [US, DE], title="Mug", quantity=4)
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

    def test_import_creates_matched_offers_and_lists_the_rest_for_review(self):
        calls_before = len(self.emulator.calls_for("searchListingsItems"))
        notification = self.account.with_user(self.sales_manager).action_import_listings()
        self.assertEqual(notification["params"]["type"], "warning")  # some to review
        offers = {offer.sku: offer for offer in self.offers()}
        self.assertEqual(len(offers), 28)
        self.assertEqual(offers["MUG-01"].product_id, self.mug)
        self.assertFalse(offers["MUG-01"].needs_review)
        self.assertEqual(offers["MUG-01"].channel, "fbm")
        self.assertEqual(offers["VASE-AMZ"].product_id, self.vase)  # by its EAN
        self.assertEqual(offers["VASE-AMZ"].channel, "fba")
        self.assertEqual(offers["VASE-AMZ"].marketplace_id, self.marketplace[DE])
        unknown = offers["UNKNOWN-1"]
        self.assertTrue(unknown.needs_review)
        default = self.env.ref("sale_amazon_connector.product_amazon_sale")
        self.assertEqual(unknown.product_id, default)  # no product created
        self.assertFalse(
            self.env["product.product"].search([("name", "in", ["Something else", "Bulk 1"])])
        )
        calls = self.emulator.calls_for("searchListingsItems")[calls_before:]
        self.assertEqual(len(calls), 2)  # pages of 20
        self.assertEqual(set(calls[0].params["marketplaceIds"].split(",")), {US, DE})
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "listings")]
        )
        self.assertEqual((log.state, log.fetched, log.created), ("done", 28, 28))

    def test_a_second_import_with_nothing_new_writes_nothing(self):
        self.env["amazon.listing.import"]._import(self.account)
        offers = self.offers()
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, write_date FROM amazon_offer WHERE id IN %s", [tuple(offers.ids)]
        )
        before = dict(self.env.cr.fetchall())
        stats = self.env["amazon.listing.import"]._import(self.account)
        self.assertEqual((stats["listings"], stats["created"]), (28, 0))
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id, write_date FROM amazon_offer WHERE id IN %s", [tuple(offers.ids)]
        )
        self.assertEqual(dict(self.env.cr.fetchall()), before)
        self.assertEqual(self.offers(), offers)

    def test_the_daily_cron_imports_every_linked_account(self):
        self.assertTrue(self.env["amazon.listing.import"]._cron_import())
        self.assertEqual(len(self.offers()), 28)

    def test_a_catalogue_beyond_what_a_search_returns_is_reported_not_taken_as_whole(self):
        """Amazon pages through 1000 SKUs of a search at most (here, the emulator
        stops at 25 of the 28)."""
        with patch.object(emulator_server, "LISTINGS_SEARCH_LIMIT", 25):
            notification = self.account.with_user(self.sales_manager).action_import_listings()
        self.assertEqual(len(self.offers()), 25)
        self.assertIn("3 more listings", notification["params"]["message"])
        log = self.env["amazon.sync.log"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "listings")], limit=1
        )
        self.assertEqual((log.state, log.fetched, log.failed), ("partial", 25, 3))
