"""Amazon's rate limits are the seller's, not one process's: every adapter of an
account takes its tokens from the same PostgreSQL rows (amazon.rate.limit).

Each adapter here stands for another worker or server: it has no memory of the
others' calls. Two Odoo processes at once are tested in
tests/pure/test_crash_resume.py."""

import time

from odoo.tests import tagged

from ..models.amazon_rate_limit import ARRIVAL_MARGIN
from ..spapi import USAGE_PLANS
from .common import SELLER_ID, US, AmazonTestCase

# getOrder's plan at Amazon's speed (0.5 per second, burst 30): the burst runs
# dry in a few seconds, and a token comes back every 2 s. Amazon sends the rate
# (x-amzn-RateLimit-Limit), never the burst: both sides know it from the model.
SPEED = 1
RATE, BURST = USAGE_PLANS["getOrder"][0] * SPEED, USAGE_PLANS["getOrder"][1]


@tagged("post_install", "-at_install")
class TestSharedRateLimits(AmazonTestCase):
    def setUp(self):
        super().setUp()
        limiter = self.emulator.limiter
        limiter.speed = SPEED
        self.forget_rate_limits()
        self.addCleanup(self.forget_rate_limits)
        self.addCleanup(setattr, limiter, "speed", 1000)
        self.emulator.calls.clear()
        self.order = self.emulator.store.add_order(
            SELLER_ID, US, [{"sku": "SKU-1", "title": "One", "quantity": 1, "unit_price": "5.00"}]
        )

    def adapter(self, waits):
        """Another worker's adapter: it records its waits, and really waits."""

        def sleep(seconds):
            waits.append(seconds)
            time.sleep(seconds)

        return self.account._get_adapter(sleep=sleep)

    def bucket(self, operation):
        # Committed by the workers' own cursors: read as another process would.
        with self.rate_limits_cursor() as cr:
            cr.execute(
                "SELECT key, rate, burst, tokens FROM amazon_rate_limit WHERE operation = %s",
                (operation,),
            )
            return cr.dictfetchall()

    def refused(self):
        return [call for call in self.emulator.calls_for("getOrder") if call.status == 429]

    def test_a_second_worker_waits_for_what_the_first_spent(self):
        first, second = [], []
        worker_a, worker_b = self.adapter(first), self.adapter(second)
        for _ in range(BURST):
            worker_a.get_order(self.order.order_id)
        self.assertEqual(first, [], "the burst is spent without waiting")
        # Worker B never called: on its own it would believe the burst is whole
        # and call a burst's worth at once. It gets what was refilled while A
        # called (a token per 2 s), then waits for each token. It calls until it
        # has waited, at most a burst's worth: however slow the machine, the
        # refill during A's calls covers fewer calls than a whole burst.
        calls = 0
        while not second and calls < BURST:
            worker_b.get_order(self.order.order_id)
            calls += 1
        self.assertGreaterEqual(len(second), 1, f"B made {calls} calls without waiting")
        self.assertLess(calls, BURST)
        self.assertTrue(all(0 < wait <= 1 / RATE + ARRIVAL_MARGIN for wait in second), second)
        self.assertEqual(self.refused(), [], "Amazon refused nothing")
        [bucket] = self.bucket("getOrder")
        # Amazon's x-amzn-RateLimit-Limit is the rate, one row for the seller.
        self.assertEqual((bucket["rate"], bucket["burst"]), (RATE, BURST))
        self.assertIn(SELLER_ID, bucket["key"])

    def test_a_refusal_empties_the_bucket_for_every_worker(self):
        first, second = [], []
        worker_a = self.adapter(first)
        worker_a.get_order(self.order.order_id)
        # Amazon refuses once (other apps' calls, a plan cut): A retries later...
        self.emulator.faults.add("getOrder", "throttle")
        worker_a.get_order(self.order.order_id)
        self.assertEqual(len(self.refused()), 1)
        # A waited for a token to refill (its backoff), then at most the margin
        # for the call's arrival.
        self.assertGreaterEqual(first[0], 1 / RATE)
        self.assertTrue(all(wait <= ARRIVAL_MARGIN for wait in first[1:]), first)
        [bucket] = self.bucket("getOrder")
        self.assertLessEqual(bucket["tokens"], 1)
        # ...and B, which never saw the 429, does not spend a burst that is gone.
        self.adapter(second).get_order(self.order.order_id)
        self.assertEqual(len(second), 1)
        self.assertEqual(len(self.refused()), 1)

    def test_each_seller_has_its_own_buckets(self):
        other = self.account.copy({"seller_ref": "A2OTHERSELLER", "name": "Other seller"})
        self.env["amazon.rate.limit"]._throttle(
            other._rate_limit_key("client", other._get_endpoint())
        ).wait("getOrder")
        self.adapter([]).get_order(self.order.order_id)
        self.assertEqual(len(self.bucket("getOrder")), 2)
