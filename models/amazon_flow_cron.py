"""The crons' fair turns: a flow's cron serves its accounts in turns, those
served least recently first, within a time budget that Odoo's limits allow;
one account's failure is its own. ``amazon.flow`` inherits it."""

import logging
import time

from odoo import api, models
from odoo.tools import config

from ..spapi import SpApiError
from .ir_cron import cron_job_run

_logger = logging.getLogger(__name__)

# A multi-worker server's cron worker sleeps up to this long (Odoo's
# SLEEP_INTERVAL and its spread) in the same watchdog period as the jobs it
# then runs: limit_time_real_cron covers both.
PREFORK_CRON_SLEEP = 70


class AmazonFlowCron(models.AbstractModel):
    _name = "amazon.flow.cron"
    _description = "Amazon Flow (the crons' turns)"

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

    @api.model
    def _cron_boundary(self, account, kind, call, *args, **kwargs):
        """Run ``call(*args, **kwargs)`` for ``account`` in a cron: its failure, whatever it is,
        is this account's (on its sync log, by _run_logged) and never stops the
        cron or the other accounts. Returns the result, or None on failure."""
        try:
            return call(*args, **kwargs)
        except SpApiError as error:
            # Throttled, unreachable, refused: the next run resumes where this stopped.
            _logger.warning("Amazon %s of account %s stopped: %s", kind, account.id, error)
        except Exception:
            _logger.exception("Amazon %s of account %s failed", kind, account.id)
        return None

    @api.model
    def _cron_turns(self, kind, accounts, **turn_options):
        """Serve ``accounts`` in turns: the flow's ``_cron_turn(account,
        **turn_options)`` does one bounded turn and returns True when the
        account has more to do now. The accounts this
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
            more = self._cron_boundary(account, kind, self._cron_turn, account, **turn_options)
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
        if not hasattr(cron_job_run, "clock"):
            return now, True
        if cron_job_run.clock is None:
            cron_job_run.clock = now
            return now, True
        return cron_job_run.clock, False

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
