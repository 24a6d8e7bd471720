"""Amazon's usage plans: a token bucket per (seller, operation).

Rates and bursts are the defaults published in Amazon's API models (the
conformance tests check this table against ``../shared/spapi-models``).
"""

import threading
import time

# operation: (requests per second, burst)
USAGE_PLANS = {
    "getMarketplaceParticipations": (0.016, 15),
    "searchOrders": (0.0056, 20),
    "getOrder": (0.5, 30),
    "getOrders": (0.0167, 20),
    "getOrderItems": (0.5, 30),
    "confirmShipment": (2.0, 10),
    "getListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 5),
    "searchListingsItems": (5.0, 5),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
    "getInventorySummaries": (2.0, 2),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReportDocument": (0.0167, 15),
    "listTransactions": (0.5, 10),
    "listFinancialEventGroups": (0.5, 30),
    "getDestinations": (1.0, 5),
    "createDestination": (1.0, 5),
    "getDestination": (1.0, 5),
    "deleteDestination": (1.0, 5),
    "getSubscription": (1.0, 5),
    "createSubscription": (1.0, 5),
    "getSubscriptionById": (1.0, 5),
    "deleteSubscriptionById": (1.0, 5),
    "getRates": (80.0, 100),
    "purchaseShipment": (80.0, 100),
    "getShipmentDocuments": (80.0, 100),
    "cancelShipment": (80.0, 100),
    "getTracking": (80.0, 100),
    # Fulfillment Outbound 2020-07-01: each operation's "Usage Plan": 2, burst 30.
    "getFulfillmentPreview": (2.0, 30),
    "createFulfillmentOrder": (2.0, 30),
    "getFulfillmentOrder": (2.0, 30),
    "listAllFulfillmentOrders": (2.0, 30),
    "cancelFulfillmentOrder": (2.0, 30),
}


class TokenBucket:
    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.clock = clock
        self.stamp = clock()

    def take(self):
        """Take one token; return True when the request may proceed."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class RateLimiter:
    """Buckets per (seller, operation). ``speed`` multiplies every rate, so tests
    can run Amazon's real plans faster (a speed of 100 refills 100 times faster)."""

    def __init__(self, speed=1.0, enabled=True):
        self.speed = speed
        self.enabled = enabled
        self.overrides = {}
        self._buckets = {}
        self._lock = threading.Lock()

    def plan(self, operation):
        rate, burst = self.overrides.get(operation) or USAGE_PLANS.get(operation, (10.0, 10))
        return rate * self.speed, burst

    def set_plan(self, operation, rate, burst):
        """Override an operation's plan (rate before the speed factor)."""
        with self._lock:
            self.overrides[operation] = (rate, burst)
            for key in [k for k in self._buckets if k[1] == operation]:
                del self._buckets[key]

    def reset(self):
        with self._lock:
            self._buckets.clear()

    def allow(self, seller_id, operation):
        if not self.enabled:
            return True
        with self._lock:
            bucket = self._buckets.get((seller_id, operation))
            if bucket is None:
                rate, burst = self.plan(operation)
                bucket = self._buckets[(seller_id, operation)] = TokenBucket(rate, burst)
            return bucket.take()

    def limit_header(self, operation):
        rate, _burst = self.plan(operation)
        return f"{rate:g}"
