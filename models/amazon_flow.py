"""What every flow shares: one way to run a unit of work for an account.

A flow (orders in, shipments out, stock out, and the next ones) runs
lock -> fetch -> map -> write -> log. The log, the fault isolation of the crons
and the user's notification are the same for all, so they live here once:

- ``_run_logged``: a fresh adapter for the account, the run in the account's
  sync log (created and committed first, so a failure keeps it), its API calls
  and counts, and the rollback of a broken transaction;
- ``_lock_account`` / ``_unlock_account``: one run of a flow per account at a
  time, whichever process or server starts it;
- ``_cron_boundary``: one account's failure, whatever it is, stays that
  account's; the cron and the other accounts go on;
- ``_cron_turns``: a cron serves the accounts fairly, one bounded turn each,
  the least recently served first, within a time budget per cron job run
  (``_cron_time_budget``, from Odoo's limits);
- ``_notify``: the notification a button answers with.
"""

import logging
import threading
import time
import zlib

import psycopg2

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..spapi import SpApiError
from .utils import commit, rollback

_logger = logging.getLogger(__name__)


# The cron job run this thread is in, set by ir.cron._process_job (below): Odoo
# calls a cron again at once while it reports work left, up to ten times in a
# row, and a multi-worker server's watchdog counts those calls as one. Its
# ``clock`` is when the run's first turn began (None before it); absent outside
# Odoo's cron runner (Run Manually, a shell, a test calling the method).
_cron_run = threading.local()

# A multi-worker server's cron worker sleeps up to this long (Odoo's
# SLEEP_INTERVAL and its spread) in the same watchdog period as the jobs it
# then runs: limit_time_real_cron covers both.
PREFORK_CRON_SLEEP = 70


class AmazonAccountBusy(UserError):
    """Another run of the flow holds the account: try again soon."""


def lock_namespace(kind):
    """The advisory lock namespace of a flow (``orders``, ``stock``...)."""
    return zlib.crc32(f"sale_amazon_connector.{kind}".encode()) & 0x7FFFFFFF


class AmazonFlow(models.AbstractModel):
    _name = "amazon.flow"
    _description = "Amazon Flow (shared steps)"

    # A cron job run gives accounts turns for at most this long (seconds), over
    # all the calls Odoo makes of it, then leaves the accounts not served yet
    # to the next run. Less when Odoo's limits require (_cron_time_budget).
    cron_time_budget = 45
    # An account's turn begins no new unit (a page of orders...) after this
    # many seconds, so that the next account's turn comes soon.
    cron_turn_seconds = 20
    # The longest a unit takes once begun (a page of 100 orders is imported in
    # about 15 s): the time a turn may run past cron_turn_seconds.
    cron_unit_seconds = 30
    # In a cron's turn, the longest wait for Amazon's rate limit (seconds):
    # beyond it the account's turn ends there and a later run goes on, rather
    # than the worker sleeping while other accounts wait (searchOrders allows
    # one page per 180 s once its burst is spent).
    cron_max_throttle_wait = 20

    @api.model
    def _run_logged(self, account, kind, work, **adapter_options):
        """Run ``work(adapter) -> (result, counts)`` for ``account`` with a fresh
        adapter and record it in the sync log, with its API calls, also when it
        fails."""
        account.ensure_one()
        log = self.env["amazon.sync.log"].sudo().create({"account_id": account.id, "kind": kind})
        # Committed at once: the run is visible while it goes, and its log survives
        # the rollback of a failure.
        commit(self.env.cr)
        adapter = None
        try:
            # Inside: a missing credential, or records of another company,
            # is this run's logged error too.
            account._check_company_consistency()
            adapter = account._get_adapter(**adapter_options)
            result, counts = work(adapter)
        except Exception as error:
            if isinstance(error, psycopg2.Error):
                # The transaction is broken: back to the last commit.
                rollback(self.env.cr)
            message = (
                str(error)
                if isinstance(error, SpApiError | UserError)
                else f"{type(error).__name__}: {error}"
            )
            log._finish({}, adapter and adapter.stats, error=message)
            commit(self.env.cr)
            raise
        else:
            log._finish(counts, adapter.stats)
            return result
        finally:
            if adapter is not None:
                adapter.close()

    def _commit(self):
        # Tests run in one transaction: commit() is a no-op there, and the
        # savepoints around each unit give them the same all-or-nothing units.
        commit(self.env.cr)

    @api.model
    def _lock_account(self, account, kind):
        """Take the account's lock for this flow, or say another run holds it. A
        session-level advisory lock: it survives the run's commits and dies
        with the connection if the process does (no lock is ever left behind)."""
        self.env.cr.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (lock_namespace(kind), account.id)
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def _unlock_account(self, account, kind):
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", (lock_namespace(kind), account.id))

    @api.model
    def _cron_boundary(self, account, kind, call):
        """Run ``call()`` for ``account`` in a cron: its failure, whatever it is,
        is this account's (on its sync log, by _run_logged) and never stops the
        cron or the other accounts. Returns the result, or None on failure."""
        try:
            return call()
        except SpApiError as error:
            # Throttled, unreachable, refused: the next run resumes where this stopped.
            _logger.warning("Amazon %s of account %s stopped: %s", kind, account.id, error)
        except Exception:
            _logger.exception("Amazon %s of account %s failed", kind, account.id)
        return None

    @api.model
    def _cron_turns(self, kind, accounts, serve):
        """Serve ``accounts`` in turns: ``serve(account)`` does one bounded turn
        and returns True when the account has more to do now. The accounts this
        flow served least recently go first (by their ``kind`` sync logs), so a
        busy or slow account never keeps the others waiting; once the time budget
        is spent no new turn starts, and the accounts not served yet or with
        more to do are reported to the cron (``_notify_progress``), which runs
        again. Returns (turns, accounts left)."""
        began, first_call = self._cron_clock()
        budget = self._cron_time_budget()
        queue = self._least_recently_served(kind, accounts)
        turns = left = 0
        for position, account in enumerate(queue):
            # The run's first call serves one turn whatever the budget.
            if (turns or not first_call) and time.monotonic() - began >= budget:
                left += len(queue) - position
                break
            more = self._cron_boundary(account, kind, lambda a=account: serve(a))
            turns += 1
            left += bool(more)
        if left and not turns:
            # The run's budget is spent: this report (nothing done) ends Odoo's
            # calls, and the trigger brings the cron back at once in Odoo's
            # next pass, in a new watchdog period.
            self._cron_come_back()
        self.env["ir.cron"]._notify_progress(done=turns, remaining=left)
        return turns, left

    @api.model
    def _cron_clock(self):
        """(When this cron job run's turns began, whether this is its first
        call). Outside Odoo's cron runner, each call is a run."""
        now = time.monotonic()
        if not hasattr(_cron_run, "clock"):
            return now, True
        if _cron_run.clock is None:
            _cron_run.clock = now
            return now, True
        return _cron_run.clock, False

    @api.model
    def _cron_time_budget(self):
        """Seconds of turns a cron job run gives: ``cron_time_budget``, or less
        so that the run, with its last turn and that turn's last unit, ends
        within Odoo's limit_time_real_cron (by default limit_time_real), after
        which a multi-worker server kills the cron worker. 0: one turn per run
        (Odoo's defaults on a multi-worker server): raise limit_time_real_cron
        for more, or use queue_job (addons/sale_amazon_connector_queue)."""
        limit = config["limit_time_real_cron"]
        if limit is None or limit < 0:
            limit = config["limit_time_real"]
        if not limit or limit <= 0:
            return self.cron_time_budget  # no limit
        if config["workers"]:
            limit -= PREFORK_CRON_SLEEP
        reserve = self.cron_turn_seconds + self.cron_unit_seconds
        return max(0, min(self.cron_time_budget, limit - reserve))

    @api.model
    def _cron_come_back(self):
        """Have Odoo run the current cron job again in its next pass."""
        cron_id = self.env.context.get("cron_id")
        if cron_id:
            self.env["ir.cron"].sudo().browse(cron_id)._trigger()

    @api.model
    def _least_recently_served(self, kind, accounts):
        """``accounts``, those whose last ``kind`` run is oldest (or none) first.
        The logs' ids order the runs (their start times tie within a second)."""
        last = dict(
            self.env["amazon.sync.log"]
            .sudo()
            ._read_group(
                [("account_id", "in", accounts.ids), ("kind", "=", kind)],
                ["account_id"],
                ["id:max"],
            )
        )
        return accounts.sorted(lambda account: (last.get(account, 0), account.id))

    @api.model
    def _notify(self, title, message, kind, reload=False):
        """What a button answers: a notification (sticky unless a success),
        optionally reloading the view behind it."""
        params = {"title": title, "message": message, "type": kind, "sticky": kind != "success"}
        if reload:
            params["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}


class IrCron(models.Model):
    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        # One run of a cron job, over Odoo's repeated calls of it (_cron_run).
        _cron_run.clock = None
        try:
            return super()._process_job(db, cron_cr, job)
        finally:
            del _cron_run.clock
