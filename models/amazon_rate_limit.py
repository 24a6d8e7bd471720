"""Amazon's rate limits, shared by every Odoo process of the database.

Amazon gives each selling partner and application a token bucket per operation
(a rate and a burst, the "usage plan"). If every Odoo worker, cron thread and
server kept its own buckets, each would spend the whole plan and together they
would be refused (429). So the buckets live here, one row per seller and
operation, and every process takes its tokens from the same row:

- taking a token is one ``INSERT ... ON CONFLICT DO UPDATE`` on its own short
  transaction: PostgreSQL's row lock orders the takers, whatever process or
  server they run in, and the lock is held for that statement only;
- the clock is the database's (``clock_timestamp()``), the same for all servers;
- a taker may leave the bucket below zero: it then owes the time until its
  token would have been refilled, sleeps that long, and goes. Takers queue in
  the order they came, none is refused, and the row never holds a lock while
  anyone sleeps. A caller that will not wait that long (a cron's turn) gives
  the token back and gets ``SpApiRateLimitWait``;
- the rate is Amazon's: the default plan of the API model until Amazon's
  answer says otherwise in ``x-amzn-RateLimit-Limit``; a 429 empties the bucket.
"""

import time

from odoo import api, fields, models, sql_db

from ..spapi import USAGE_PLANS, SpApiRateLimitWait

# Amazon's limits for an operation the API models give no plan for (the
# adapter's own default).
DEFAULT_PLAN = (1.0, 10)
# Seconds added to every wait: Amazon's bucket starts, and counts, when our
# calls arrive, a network trip after we took the token. Paced to the exact
# instant, a call would now and then arrive a little early and be refused.
ARRIVAL_MARGIN = 0.05

# One statement: refill the bucket for the time since the last taker, take one
# token, return what is left (negative: the wait owed, in tokens).
_TAKE = """
INSERT INTO amazon_rate_limit AS bucket (key, operation, rate, burst, tokens, stamp)
VALUES (%(key)s, %(operation)s, %(rate)s, %(burst)s, %(burst)s - 1,
        EXTRACT(EPOCH FROM clock_timestamp()))
ON CONFLICT (key, operation) DO UPDATE SET
    tokens = LEAST(bucket.burst,
                   bucket.tokens + (EXTRACT(EPOCH FROM clock_timestamp()) - bucket.stamp)
                                   * bucket.rate) - 1,
    stamp = EXTRACT(EPOCH FROM clock_timestamp())
RETURNING tokens, rate
"""

# Amazon said what the rate is: refill at the old rate up to now, then go on at
# the new one.
_OBSERVE = """
UPDATE amazon_rate_limit AS bucket SET
    tokens = LEAST(bucket.burst,
                   bucket.tokens + (EXTRACT(EPOCH FROM clock_timestamp()) - bucket.stamp)
                                   * bucket.rate),
    stamp = EXTRACT(EPOCH FROM clock_timestamp()),
    rate = %(rate)s
WHERE key = %(key)s AND operation = %(operation)s AND rate <> %(rate)s
"""

# A taker that will not wait that long gives its token back.
_GIVE_BACK = """
UPDATE amazon_rate_limit SET tokens = tokens + 1 WHERE key = %(key)s AND operation = %(operation)s
"""

# Amazon refused a call (429): whatever we counted, its bucket is empty now.
_EXHAUSTED = """
UPDATE amazon_rate_limit AS bucket SET
    tokens = LEAST(0, bucket.burst,
                   bucket.tokens + (EXTRACT(EPOCH FROM clock_timestamp()) - bucket.stamp)
                                   * bucket.rate),
    stamp = EXTRACT(EPOCH FROM clock_timestamp())
WHERE key = %(key)s AND operation = %(operation)s
"""


class SharedThrottle:
    """The adapter's throttle (see ``spapi.MemoryThrottle`` for the interface)
    on the rows of ``amazon.rate.limit``. Each call runs on a connection of its
    own and commits at once: a token taken is taken for every process, whatever
    becomes of the caller's transaction."""

    def __init__(self, registry, key, sleep=time.sleep, max_wait=None):
        # Always a connection of its own, also where tests share one cursor
        # (test mode): a bucket row written in a caller's transaction would stay
        # locked, and every other taker would wait for that transaction.
        self._db = sql_db.db_connect(registry.db_name)
        self._key = key
        self._sleep = sleep
        # Beyond this wait (seconds), raise SpApiRateLimitWait instead of sleeping.
        self._max_wait = max_wait
        self._rates = {}

    def _execute(self, query, **params):
        with self._db.cursor() as cr:  # commits
            # Odoo's cursors are REPEATABLE READ, where a taker that waited for the
            # row lock would fail ("could not serialize access"): READ COMMITTED
            # takes the row as the previous taker left it, which is the point.
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            # A statement on one row: if it ever waited this long, something holds
            # the row in a long transaction; better an error than a hung worker.
            cr.execute("SET LOCAL lock_timeout = '10s'")
            cr.execute(query, dict(params, key=self._key))
            return cr.fetchone() if cr.description else None

    def wait(self, operation):
        rate, burst = USAGE_PLANS.get(operation, DEFAULT_PLAN)
        tokens, rate = self._execute(
            _TAKE, operation=operation, rate=self._rates.get(operation, rate), burst=burst
        )
        self._rates[operation] = rate
        wait = ARRIVAL_MARGIN - tokens / rate
        if wait <= 0:
            return
        if self._max_wait is not None and wait > self._max_wait:
            self._execute(_GIVE_BACK, operation=operation)
            raise SpApiRateLimitWait(
                f"Amazon's rate limit allows the next call in {wait:.0f} s",
                operation=operation,
                retry_after=wait,
            )
        self._sleep(wait)

    def observe(self, operation, rate):
        if rate and rate != self._rates.get(operation):
            self._execute(_OBSERVE, operation=operation, rate=rate)
            self._rates[operation] = rate

    def exhausted(self, operation):
        self._execute(_EXHAUSTED, operation=operation)

    def rate(self, operation):
        return self._rates.get(operation) or USAGE_PLANS.get(operation, DEFAULT_PLAN)[0]


class AmazonRateLimit(models.Model):
    _name = "amazon.rate.limit"
    _description = "Amazon Rate Limit (shared usage-plan bucket)"
    # Written by SQL only (SharedThrottle), at every call to Amazon.
    _log_access = False
    _order = "key, operation"

    # Not a link to the account: a bucket is Amazon's, per application, seller
    # and environment, and is written outside the caller's transaction (a
    # foreign key would wait for, or refuse, an account not yet committed).
    key = fields.Char(required=True, readonly=True, help="Environment, region, app and seller.")
    operation = fields.Char(required=True, readonly=True)
    rate = fields.Float(required=True, readonly=True, digits=(16, 6), help="Requests per second.")
    burst = fields.Integer(required=True, readonly=True)
    tokens = fields.Float(required=True, readonly=True, digits=(16, 3))
    stamp = fields.Float(
        required=True, readonly=True, digits=(16, 3), help="When tokens was counted (epoch)."
    )

    _sql_constraints = [
        ("key_operation_uniq", "UNIQUE(key, operation)", "One bucket per seller and operation."),
    ]

    @api.model
    def _throttle(self, key, sleep=time.sleep, max_wait=None):
        return SharedThrottle(self.env.registry, key, sleep=sleep, max_wait=max_wait)
