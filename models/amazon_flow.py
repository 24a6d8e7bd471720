"""What every flow shares: the template of a run, and the crons' turns.

A flow (orders in, shipments out, stock out...) is an abstract model that
``_inherit``s ``amazon.flow`` and sets ``_flow_kind``. Its cron, its button
and its queue_job job all go through one method, ``_run``:

    _run(account)                         # logged on the account's sync log
      with _locked(run):                  # one run per account and flow
        _before_pages(run)                # e.g. retry what failed before
        window = _window(run)             # where the last run stopped
        for page in _fetch(run, window):  # the flow's API calls
          savepoint:
            _process_page(run, page)      # each unit in its own savepoint
            _advance(run, window, page)   # the cursor, committed with the page
          commit
        _close_window(run, window)

Each step is a method a flow or another addon overrides; a flow writes only
its own (``_fetch``, ``_process_unit``...). A unit (an order, a row, a
transaction) that fails for any reason, the database's too, is rolled back
alone, recorded by ``_unit_failed`` where people see failures, and the page
goes on. ``FlowResult`` is what every run answers.
"""

import functools
import logging
from contextlib import contextmanager

import psycopg2

from odoo import _, api, models
from odoo.exceptions import UserError

from ..spapi import SpApiError, SpApiRateLimitWait
from .flow_run import FlowRun, busy_message, lock_namespace
from .utils import commit, rollback

_logger = logging.getLogger(__name__)


class AmazonFlow(models.AbstractModel):
    _name = "amazon.flow"
    _inherit = "amazon.flow.cron"
    _description = "Amazon Flow (shared steps)"

    # In a cron's turn, the longest wait for Amazon's rate limit (seconds):
    # beyond it the account's turn ends there and a later run goes on, rather
    # than the worker sleeping while other accounts wait (searchOrders allows
    # one page per 180 s once its burst is spent).
    cron_max_throttle_wait = 20

    # The flow's name: its sync logs' kind and its lock (set by each flow).
    _flow_kind = None
    # The run's state (a FlowRun subclass when the flow needs more).
    _run_class = FlowRun
    # Pages a cron's turn takes at most (its time is bounded too).
    cron_pages_per_turn = 10
    # Whether the button's notification reloads the view behind it.
    _action_reload = False
    # A flow whose units commit on their own, part way (an upload is marked
    # Sending and committed before Amazon is asked), sets this: its pages run
    # outside a savepoint (a commit would end it), each unit its own boundary.
    _commits_in_page = False

    # --- the entry points: cron, button, job -----------------------------------------------
    @api.model
    def _cron_run(self, **turn_options):
        """The flow's cron: every account it serves, in turns (``_cron_turns``)."""
        self._cron_turns(self._flow_kind, self._cron_accounts(), **turn_options)
        return True

    @api.model
    def _cron_accounts(self):
        """The accounts the cron serves: linked, with marketplaces."""
        return self.env["amazon.account"].search(
            [("link_date", "!=", False), ("marketplace_ids", "!=", False)]
        )

    @api.model
    def _cron_turn(self, account, max_pages=None, **run_options):
        """One bounded turn of a cron for ``account``; True when it has more now.
        ``run_options`` (the cron's, such as a flow's ``limit``) go to the run.
        An account whose next page Amazon's rate limit holds back is not work
        left now: a later run goes on."""
        result = self._run(
            account,
            max_pages=max_pages or self.cron_pages_per_turn,
            max_seconds=self.cron_turn_seconds,
            run_options=run_options,
            max_throttle_wait=self.cron_max_throttle_wait,
        )
        return not (result.done or result.locked or result.waiting)

    @api.model
    def _action_run(self, account):
        """A button's run: the result said in a notification."""
        title = self._flow_title()
        try:
            result = self._run(account)
        except SpApiError as error:
            return self._notify(title, account._explain(error), "danger")
        if result.locked:
            return self._notify(title, busy_message(), "warning")
        return self._action_answer(result)

    def _action_answer(self, result):
        """What the button answers after a run: a notification of its result
        (a flow with a record to show opens it)."""
        message = self._result_message(result)
        if result.waiting:
            message = " ".join(
                [
                    message,
                    _(
                        "Amazon's rate limit holds the next page for %(seconds)s seconds: "
                        "the scheduled synchronization goes on from there by itself.",
                        seconds=round(result.waiting),
                    ),
                ]
            )
        return self._notify(
            self._flow_title(), message, self._result_kind(result), reload=self._action_reload
        )

    def _flow_title(self):
        return self._description

    def _result_kind(self, result):
        """The button's notification type: a warning when something needs a look."""
        return "warning" if result.failed or result.waiting else "success"

    def _result_message(self, result):
        return _(
            "%(fetched)s fetched, %(created)s created, %(updated)s updated, "
            "%(skipped)s skipped, %(failed)s failed.",
            **result.as_dict(),
        )

    @api.model
    def _run(self, account, max_pages=None, max_seconds=None, run_options=None, **adapter_options):
        """One run of the flow for ``account``, on its sync log (also when it
        fails): at most ``max_pages`` pages, none begun after ``max_seconds``;
        the next run resumes where it stopped. ``run_options`` go to the run
        (``_run_class``), ``adapter_options`` to the adapter (``max_throttle_wait``).
        Returns its FlowResult."""
        limits = {"max_pages": max_pages, "max_seconds": max_seconds}
        work = functools.partial(self._run_with_adapter, account, limits, run_options or {})
        return self._run_logged(account, self._flow_kind, work, **adapter_options)

    def _run_with_adapter(self, account, limits, run_options, adapter):
        run = self._run_class(account, adapter, **limits, **run_options)
        self.with_env(run.env)._run_steps(run)
        return run.result, dict(run.result.as_dict(), problems=run.result.problems)

    # --- the steps --------------------------------------------------------------------------
    def _run_steps(self, run):
        with self._locked(run) as held:
            if not held:
                _logger.info(
                    "Amazon %s of account %s: another run holds it", self._flow_kind, run.account.id
                )
                run.result.locked = True
                return
            self._before_pages(run)
            window = self._window(run)
            try:
                for page in self._fetch(run, window):
                    if self._commits_in_page:
                        self._process_page(run, page)
                        self._advance(run, window, page)
                    else:
                        with self.env.cr.savepoint():
                            self._process_page(run, page)
                            self._advance(run, window, page)
                    self._commit()
                    run.result.pages += 1
                    if self._has_next(page) and run.should_pause():
                        run.result.done = False
                        return
            except SpApiRateLimitWait as wait:
                # Nothing was asked: the saved position resumes the window later.
                run.result.done = False
                run.result.waiting = wait.retry_after
                return
            self._close_window(run, window)

    @contextmanager
    def _locked(self, run):
        """Whether this run holds the account's lock for the flow (released after)."""
        held = self._lock_account(run.account, self._flow_kind)
        try:
            yield held
        finally:
            if held:
                self._unlock_account(run.account, self._flow_kind)

    def _before_pages(self, run):
        """Hook before the window's pages (the orders retry their failures)."""

    def _window(self, run):
        """Where the run starts (the flow's cursor), None when it has none."""
        return None

    def _fetch(self, run, window):
        """The pages of the window (an iterable; the flow's API calls)."""
        return []

    def _has_next(self, page):
        """Whether Amazon has a page after ``page``."""
        return bool(getattr(page, "next_token", None))

    def _process_page(self, run, page):
        for unit in self._units(run, page):
            self._in_unit(run, unit, self._process_unit, unit)

    def _units(self, run, page):
        return page

    def _process_unit(self, run, unit):
        """Map and write one unit (the flow's own)."""
        raise NotImplementedError

    def _advance(self, run, window, page):
        """Record the position after ``page``, committed with it."""

    def _close_window(self, run, window):
        """The window is done: the next run starts a new one."""

    # --- one unit, its own fault boundary ----------------------------------------------------
    def _in_unit(self, run, unit, method, *args):
        """``method(run, *args)`` in a savepoint: whatever it raises, a database
        error included, rolls back this unit alone, is recorded by
        ``_unit_failed`` and the page goes on. Returns the result, or None."""
        try:
            with self.env.cr.savepoint():
                return method(run, *args)
        except Exception as error:
            self._unit_failed(run, unit, error)
            return None

    def _read_unit(self, run, unit, read):
        """``read(unit)``, a mapper (plain Python, no database: no savepoint
        needed); what it raises is the unit's failure (``_unit_failed``).
        Returns its value, or None."""
        try:
            return read(unit)
        except Exception as error:
            self._unit_failed(run, unit, error)
            return None

    def _in_batch(self, run, units, method):
        """``method(run, units)`` -> a result per unit, in one savepoint (a
        batch costs Odoo much less than its units one by one); should it fail,
        each unit alone in its own boundary (``_in_unit``), its result None
        when it fails. Units are the flow's (the payload comes last, or is the
        unit: what ``_unit_failed`` records)."""
        if not units:
            return []
        try:
            with self.env.cr.savepoint():
                return method(run, units)
        except Exception:
            _logger.info("Amazon %s: a batch failed, its units go one by one", self._flow_kind)
        return [
            (self._in_unit(run, self._unit_payload(unit), method, [unit]) or [None])[0]
            for unit in units
        ]

    def _unit_payload(self, unit):
        """What ``_unit_failed`` records of a unit of a batch: its payload."""
        return unit[-1] if isinstance(unit, tuple) else unit

    def _unit_failed(self, run, unit, error):
        """Record ``unit``'s failure where people see it (the flow's own)."""
        run.result.failed += 1
        run.result.problems.append(self._failure_reason(error))

    @staticmethod
    def _failure_reason(error):
        """The reason a person reads: the error's own words for the errors we
        raise (a PayloadError names the field), its type for the others."""
        if isinstance(error, ValueError | UserError | SpApiError):
            return str(error)
        return f"{type(error).__name__}: {error}"

    # --- the sync log around a run ------------------------------------------------------------
    @api.model
    def _run_logged(self, account, kind, work, **adapter_options):
        """Run ``work(adapter) -> (result, counts)`` for ``account`` with a fresh
        adapter and record it in the sync log, with its API calls, also when it
        fails; the account's records of another company are its error too."""
        account.ensure_one()
        log = self._start_log(account, kind)
        adapter = None
        try:
            account._check_company_consistency()
            adapter = account._get_adapter(**adapter_options)
            result, counts = work(adapter)
        except Exception as error:
            self._fail_log(log, adapter, error)
            raise
        else:
            log._finish(counts, adapter.stats)
            return result
        finally:
            if adapter is not None:
                adapter.close()

    def _start_log(self, account, kind):
        log = self.env["amazon.sync.log"].sudo().create({"account_id": account.id, "kind": kind})
        # Committed at once: the run is visible while it goes, and its log survives
        # the rollback of a failure.
        commit(self.env.cr)
        return log

    def _fail_log(self, log, adapter, error):
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
    def _notify(self, title, message, kind, reload=False):
        """What a button answers: a notification (sticky unless a success),
        optionally reloading the view behind it."""
        params = {"title": title, "message": message, "type": kind, "sticky": kind != "success"}
        if reload:
            params["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
