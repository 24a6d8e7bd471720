"""The seller's day (issue #16): Amazon's ship-by and deliver-by windows and
programs on the order, the delivery scheduled by the ship-by date, the
warehouse's "ship today" and "late" filters and the dashboard's counts."""

from datetime import datetime, timedelta, timezone

from odoo.tests import tagged

from .common import DE
from .test_orders import OrderSyncCase, ago


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
