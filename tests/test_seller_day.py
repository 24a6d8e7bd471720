"""The seller's day (issue #16): Amazon's ship-by and deliver-by windows and
programs on the order, the delivery scheduled by the ship-by date, the
warehouse's "ship today" and "late" filters and the dashboard's counts."""

import threading
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from .common import DE, UK, US
from .test_orders import OrderSyncCase, ago, erika_address


def naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


@tagged("post_install", "-at_install")
class TestShipByDates(OrderSyncCase):
    def to_ship(self, kind):
        """The deliveries the dashboard's "late" or "to ship today" opens."""
        action = self.account.with_context(amazon_ship=kind).action_view_to_ship()
        return self.env["stock.picking"].search(action["domain"])

    def test_the_delivery_leaves_by_amazons_ship_by_date(self):
        """A week-old FBM order due to ship two days after purchase: the
        delivery's scheduled date and deadline are Amazon's ship-by, not the
        import time, and it is late."""
        placed = datetime.now(timezone.utc) - timedelta(days=7)
        ship_from, ship_by = placed, placed + timedelta(days=2)
        deliver_from, deliver_by = placed + timedelta(days=4), placed + timedelta(days=6)
        amazon = self.add_order(
            DE,
            created_time=placed,
            ship_by=(ship_from, ship_by),
            deliver_by=(deliver_from, deliver_by),
            programs=["PRIME"],
        )
        # The account syncs since before the purchase (a first sync reaches back so far).
        self.account.last_orders_sync = naive(placed) - timedelta(hours=1)
        self.sync()
        sale = self.sale_of(amazon)
        self.assertEqual(
            (sale.amazon_ship_by_earliest, sale.amazon_ship_by_date),
            (naive(ship_from), naive(ship_by)),
        )
        self.assertEqual(
            (sale.amazon_deliver_by_earliest, sale.amazon_deliver_by_date),
            (naive(deliver_from), naive(deliver_by)),
        )
        self.assertEqual(sale.amazon_programs, "PRIME")
        picking = sale.picking_ids
        self.assertEqual(picking.scheduled_date, naive(ship_by))
        self.assertEqual(picking.date_deadline, naive(ship_by))
        self.assertEqual(picking.amazon_ship_by_date, naive(ship_by))
        self.assertEqual(self.to_ship("late"), picking)
        self.assertFalse(self.to_ship("today"))
        prime = self.env["sale.order"].search([("amazon_programs", "ilike", "PRIME")])
        self.assertEqual(prime, sale)

    def test_the_chatter_says_where_the_order_came_from_and_when(self):
        amazon = self.add_order(DE)
        # Translated in the run's language: no "no translation language" warning
        # per order (it once filled the crash test's pipe and hung the run).
        with self.assertNoLogs("odoo.tools.translate", "WARNING"):
            self.sync()
        sale = self.sale_of(amazon)
        (note,) = sale.message_ids.filtered(lambda m: amazon.order_id in (m.body or ""))
        self.assertIn("Amazon.de", note.body)
        self.assertIn(self.account.name, note.body)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertIn(str(naive(amazon.created_time))[:16], note.body)

    def test_the_dashboard_counts_orders_by_amazons_purchase_date(self):
        """A week of orders imported at once: "today" counts those placed today."""
        self.env.user.tz = "UTC"
        self.account.last_orders_sync = naive(ago(days=5))
        self.add_order(DE, created_time=ago(days=3))
        self.add_order(DE, created_time=ago(days=4))
        self.add_order(DE, created_time=ago(minutes=30))
        self.sync()
        self.account.invalidate_recordset()
        placed_today = 1 if naive(ago(minutes=30)).date() == naive(ago()).date() else 0
        self.assertEqual((self.account.orders_today, self.account.orders_week), (placed_today, 3))

    def test_the_dashboard_opens_the_accounts_sales_of_30_days_by_marketplace(self):
        self.add_order(DE)
        self.sync()
        action = self.account.action_view_sales_graph()
        self.assertEqual(action["views"][0][1], "graph")
        self.assertEqual(action["context"]["group_by"], ["date:day", "amazon_marketplace_id"])
        self.env.flush_all()
        rows = self.env["sale.report"].search(action["domain"])
        self.assertEqual(rows.amazon_marketplace_id, self.marketplace[DE])
        self.assertEqual(rows.amazon_account_id, self.account)
        # Issue #40: its title names the account, the period and the currency
        # Odoo's analysis converts every order to.
        currency = self.env.company.currency_id.name
        self.assertEqual(
            action["display_name"],
            f"{self.account.name}: sales of the last 30 days, in {currency}",
        )

    def test_the_security_lead_time_plans_the_delivery_earlier(self):
        self.env.company.security_lead = 1
        placed = datetime.now(timezone.utc) - timedelta(hours=1)
        ship_by = placed + timedelta(days=3)
        amazon = self.add_order(DE, created_time=placed, ship_by=(placed, ship_by))
        self.sync()
        picking = self.sale_of(amazon).picking_ids
        self.assertEqual(picking.scheduled_date, naive(ship_by) - timedelta(days=1))
        self.assertEqual(picking.date_deadline, naive(ship_by))

    def test_the_dashboard_counts_deliveries_to_ship_today_and_late(self):
        now = datetime.now(timezone.utc)
        # Ships by the end of the day in the user's time zone (UTC here).
        tonight = datetime.combine(
            now.date() + timedelta(days=1), datetime.min.time(), timezone.utc
        )
        due_today = max(now + timedelta(minutes=5), tonight - timedelta(minutes=30))
        if due_today >= tonight:
            self.skipTest("too close to midnight to have a delivery due today")
        self.env.user.tz = "UTC"
        self.account.last_orders_sync = naive(now) - timedelta(days=4)
        self.account.last_orders_sync = naive(now) - timedelta(days=4)
        late = self.add_order(
            DE, created_time=ago(days=3), ship_by=(now - timedelta(days=3), now - timedelta(days=1))
        )
        today = self.add_order(
            DE, created_time=ago(hours=2), ship_by=(now - timedelta(hours=2), due_today)
        )
        self.add_order(DE, created_time=ago(hours=1), ship_by=(now, now + timedelta(days=2)))
        self.sync()
        account = self.account
        account.invalidate_recordset()
        self.assertEqual((account.pickings_late, account.pickings_ship_today), (1, 1))
        self.assertEqual(self.to_ship("late"), self.sale_of(late).picking_ids)
        self.assertEqual(self.to_ship("today"), self.sale_of(today).picking_ids)
        # Shipped: neither late nor due any more.
        picking = self.sale_of(late).picking_ids
        picking.carrier_tracking_ref = "1ZLATE0001"
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.button_validate()
        account.invalidate_recordset()
        self.assertEqual(account.pickings_late, 0)


@tagged("post_install", "-at_install")
class TestNoContactOutsideAmazon(OrderSyncCase):
    """Amazon forbids contacting buyers outside its messaging: Odoo's delivery
    SMS and confirmation mail, turned on company-wide, never reach them."""

    def validate(self, picking):
        picking.carrier_tracking_ref = "1ZNOCONTACT"
        picking.move_ids.quantity = picking.move_ids.product_uom_qty
        picking.move_ids.picked = True
        # stock_sms texts nobody in tests: make it believe it is live, so that
        # only the connector's guard stands between the buyer and an SMS.
        thread = threading.current_thread()
        testing = getattr(thread, "testing", False)
        thread.testing = False
        try:
            with patch.object(type(self.env.registry), "in_test_mode", lambda _registry: False):
                picking.with_context(skip_backorder=True).button_validate()
        finally:
            thread.testing = testing
        self.assertEqual(picking.state, "done")

    def confirmations(self, picking):
        template = self.env.company.stock_mail_confirmation_template_id
        return picking.message_ids.filtered(
            lambda m: (
                m.subtype_id == self.env.ref("mail.mt_comment")
                and template.name
                and m.model == "stock.picking"
            )
        )

    def test_no_delivery_sms_nor_mail_to_an_amazon_buyer(self):
        company = self.env.company
        company.stock_move_email_validation = True
        sms = "stock_move_sms_validation" in company._fields
        if sms:
            company.stock_move_sms_validation = True
            company.has_received_warning_stock_sms = True
        amazon = self.add_order(DE, address=erika_address(phone="+49 30 1234567"))
        self.sync()
        sale = self.sale_of(amazon)
        # The phone is the carrier's: on the delivery address, not the contact.
        self.assertEqual(sale.partner_shipping_id.phone, "+49 30 1234567")
        self.assertFalse(sale.partner_id.phone)
        mails_before = self.env["mail.mail"].search_count([])
        sms_before = self.env["sms.sms"].search_count([]) if sms else 0
        picking = sale.picking_ids
        self.validate(picking)
        self.assertFalse(self.confirmations(picking))
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        if sms:
            self.assertEqual(self.env["sms.sms"].search_count([]), sms_before)
        # The same settings do mail a customer of the shop (the rule is Amazon's only).
        customer = self.env["res.partner"].create(
            {"name": "Shop customer", "email": "shop@example.com"}
        )
        shop_sale = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [Command.create({"product_id": self.mug.id, "product_uom_qty": 1})],
            }
        )
        shop_sale.action_confirm()
        if sms:
            company.stock_move_sms_validation = False  # no IAP account here to text with
        self.validate(shop_sale.picking_ids)
        self.assertTrue(self.confirmations(shop_sale.picking_ids))


@tagged("post_install", "-at_install")
class TestTaxesPerMarketplace(OrderSyncCase):
    """Totals that match Amazon's: the destination's VAT price-included on
    VAT-included marketplaces, the tax Amazon collects as marketplace
    facilitator shown but not the seller's, and words when totals differ."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.tax_uk = env["account.tax"].create(
            {
                "name": "UK VAT 20% incl.",
                "amount": 20.0,
                "type_tax_use": "sale",
                "price_include_override": "tax_included",
            }
        )
        # Not applied by country: the marketplace's own position serves its orders.
        cls.fp_uk = env["account.fiscal.position"].create(
            {
                "name": "Amazon.co.uk",
                "tax_ids": [(0, 0, {"tax_src_id": cls.tax_us.id, "tax_dest_id": cls.tax_uk.id})],
            }
        )
        cls.marketplace[UK].with_company(cls.account.company_id).fiscal_position_id = cls.fp_uk
        env["product.pricelist"].create(
            {"name": "Amazon GBP", "currency_id": env.ref("base.GBP").id}
        )
        # A price-excluded 20%: Amazon's VAT-included prices do not divide evenly.
        cls.tax_uk_excluded = env["account.tax"].create(
            {"name": "UK VAT 20% excl.", "amount": 20.0, "type_tax_use": "sale"}
        )

    def test_amazon_collects_the_us_sales_tax_as_marketplace_facilitator(self):
        """A US order whose items Amazon taxes as marketplace facilitator: the
        product's 8% sales tax is not added, the tax Amazon collected is shown,
        and Odoo's total is Amazon's less that tax, to the cent."""
        amazon = self.add_order(
            US,
            [
                {
                    "sku": "MUG-01",
                    "title": "Mug",
                    "quantity": 3,
                    "unit_price": "10.00",
                    "shipping_price": "4.99",
                    "tax": "2.79",
                    "tax_model": "MARKETPLACE_FACILITATOR",
                }
            ],
        )
        self.sync()
        # What Amazon sent: the item's tax collection model.
        sent = self.emulator.store.get_order(amazon.order_id)
        self.assertEqual(sent.items[0].tax_model, "MARKETPLACE_FACILITATOR")
        sale = self.sale_of(amazon)
        self.assertAlmostEqual(sale.amazon_total, 37.78, places=2)  # 30.00 + 4.99 + 2.79
        self.assertEqual(sale.amazon_tax, 2.79)
        self.assertEqual(sale.amazon_marketplace_tax, 2.79)
        self.assertFalse(sale.order_line.tax_id)  # shipping included: Amazon taxed it all
        self.assertEqual(sale.amount_tax, 0.0)
        self.assertAlmostEqual(sale.amount_total, 34.99, places=2)
        self.assertEqual(sale.amazon_total_difference, 0.0)
        self.assertFalse(sale.amazon_total_explanation)

    def test_the_sellers_own_sales_tax_is_charged_where_amazon_does_not_collect_it(self):
        """Without the marketplace facilitator model the tax is the seller's:
        Odoo's tax applies and matches Amazon's."""
        amazon = self.add_order(
            US,
            [
                {
                    "sku": "MUG-01",
                    "title": "Mug",
                    "quantity": 1,
                    "unit_price": "10.00",
                    "tax": "0.80",
                }
            ],
        )
        self.sync()
        sale = self.sale_of(amazon)
        self.assertEqual(sale.order_line.filtered("product_id").tax_id[:1], self.tax_us)
        self.assertEqual((sale.amazon_tax, sale.amazon_marketplace_tax), (0.80, 0.0))
        self.assertAlmostEqual(sale.amount_total, 10.80, places=2)
        self.assertFalse(sale.amazon_total_explanation)

    def test_the_marketplaces_fiscal_position_serves_orders_odoo_finds_none_for(self):
        """amazon.co.uk: no position applies by country, the marketplace's does
        (UK VAT 20% price-included), and the total is Amazon's to the cent for
        quantities whose net price does not divide evenly."""
        amazon = self.add_order(
            UK,
            [
                {
                    "sku": "MUG-01",
                    "title": "Mug",
                    "quantity": 3,
                    "unit_price": "9.99",
                    "shipping_price": "3.49",
                }
            ],
        )
        self.sync()
        sale = self.sale_of(amazon)
        self.assertEqual(sale.fiscal_position_id, self.fp_uk)
        self.assertEqual(sale.order_line.tax_id, self.tax_uk)
        self.assertEqual(sale.amazon_total, 33.46)
        self.assertAlmostEqual(sale.amount_total, 33.46, places=2)
        self.assertAlmostEqual(sale.amount_tax, 5.58, delta=0.011)  # 33.46 - 33.46 / 1.2
        self.assertEqual(sale.amazon_total_difference, 0.0)

    def test_a_difference_is_explained_in_words(self):
        """A price-excluded tax on a VAT-included marketplace, and Odoo's tax
        differing from Amazon's on a tax-excluded one: the order says why."""
        self.fp_uk.tax_ids.tax_dest_id = self.tax_uk_excluded
        uk = self.add_order(
            UK, [{"sku": "MUG-01", "title": "Mug", "quantity": 3, "unit_price": "9.99"}]
        )
        us = self.add_order(
            US,
            [
                {
                    "sku": "MUG-01",
                    "title": "Mug",
                    "quantity": 1,
                    "unit_price": "10.00",
                    "tax": "0.95",
                }
            ],
        )
        self.sync()
        uk_sale, us_sale = self.sale_of(uk), self.sale_of(us)
        self.assertIn("not price-included", uk_sale.amazon_total_explanation)
        self.assertIn("UK VAT 20% excl.", uk_sale.amazon_total_explanation)
        self.assertNotEqual(uk_sale.amazon_total_difference, 0.0)
        self.assertAlmostEqual(us_sale.amazon_total_difference, 0.15, places=2)
        self.assertIn("Amazon charged", us_sale.amazon_total_explanation)
        self.assertIn("0.95", us_sale.amazon_total_explanation)
        self.assertIn("0.80", us_sale.amazon_total_explanation)
        differing = self.env["sale.order"].search(
            [("amazon_account_id", "=", self.account.id), ("amazon_total_difference", "!=", 0)]
        )
        self.assertIn(us_sale, differing)
        # Lines changed after the import: said too.
        us_sale.order_line[0].price_unit = 12.0
        self.assertIn("changed after the import", us_sale.amazon_total_explanation)
