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
  the least recently served first, within a time budget per run;
- ``_notify``: the notification a button answers with.
"""

import logging
import time
import zlib

import psycopg2

from odoo import api, models
from odoo.exceptions import UserError

from ..spapi import SpApiError
from .utils import commit, rollback

_logger = logging.getLogger(__name__)


class AmazonAccountBusy(UserError):
    """Another run of the flow holds the account: try again soon."""


def lock_namespace(kind):
    """The advisory lock namespace of a flow (``orders``, ``stock``...)."""
    return zlib.crc32(f"sale_amazon_connector.{kind}".encode()) & 0x7FFFFFFF


class AmazonFlow(models.AbstractModel):
    _name = "amazon.flow"
    _description = "Amazon Flow (shared steps)"

    # A cron run gives accounts turns for this long (seconds), then reports how
    # many are left: Odoo runs it again at once (up to ten times, then at the
    # next trigger), starting with the accounts not served yet. Well under
    # Odoo's limit_time_real_cron (by default limit_time_real, 120 s), after
    # which a multi-worker server kills the cron worker: the budget, plus the
    # last turn, plus the unit that turn had begun, must fit in it.
    cron_time_budget = 45
    # An account's turn begins no new unit (a page of orders...) after this
    # many seconds, so that the next account's turn comes soon.
    cron_turn_seconds = 20
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
            # Inside: a missing credential is this run's logged error too.
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
        began = time.monotonic()
        queue = self._least_recently_served(kind, accounts)
        turns = left = 0
        for position, account in enumerate(queue):
            if turns and time.monotonic() - began >= self.cron_time_budget:
                left += len(queue) - position
                break
            more = self._cron_boundary(account, kind, lambda a=account: serve(a))
            turns += 1
            left += bool(more)
        self.env["ir.cron"]._notify_progress(done=turns, remaining=left)
        return turns, left

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
