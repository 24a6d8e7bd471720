"""Amazon's notifications in: each company's SQS queue read with long
polling, each message recorded once (``amazon.notification``), and what it
says done by the flows that do it when they poll:

- ORDER_CHANGE: the orders named are read with getOrder and go through the
  orders flow (``amazon.order.import``, the Recover Order path): the same
  units, the same failures, no second import;
- FEED_PROCESSING_FINISHED, REPORT_PROCESSING_FINISHED: the crons of the
  flows waiting on feeds or reports run now (``_woken_by``).

A message is deleted only after what it caused is committed; one that
cannot be used (poison) is recorded with its reason and left to the queue's
redrive policy; work another run holds comes back in a few seconds. A
process killed anywhere loses nothing: the message comes back, and what was
done already is found done (the record, or the order itself)."""

import logging
import time
from collections import defaultdict
from datetime import timedelta

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, mute_logger

from ..mapping.checks import PayloadError
from ..mapping.notifications import (
    FEED_FINISHED,
    FULFILLMENT_STATUS,
    ORDER_CHANGE,
    REPORT_FINISHED,
    parse_notification,
)
from ..spapi import SpApiError
from ..spapi.queue import MAX_WAIT_SECONDS, QueueError
from .amazon_notification import FINISHED
from .amazon_order_import import WINDOW_LAG
from .utils import commit, rollback

_logger = logging.getLogger(__name__)

# The queue's and the accounts' health stamps are written this often at most.
STAMP_EVERY = timedelta(seconds=30)

# The flows (their models) whose crons a notification of a type wakes.
WOKEN_BY = {
    FEED_FINISHED: (
        "amazon.stock.push",
        "amazon.invoice.upload",
        "amazon.cancellation.export",
    ),
    REPORT_FINISHED: ("amazon.return.import",),
    # Multi-Channel Fulfillment: the flow reads the orders Amazon changed.
    FULFILLMENT_STATUS: ("amazon.mcf.sync",),
}


class AmazonNotificationConsumer(models.AbstractModel):
    _name = "amazon.notification.consumer"
    _description = "Amazon Notifications In"

    # A cron's run reads for this long (Odoo's cron limits are minutes), then
    # the next run, a minute later, goes on.
    cron_seconds = 45
    # Work another run holds (the account's orders flow) comes back after this.
    busy_retry_seconds = 5
    # The longest a getOrder waits for Amazon's rate limit before the message
    # is left for later.
    max_throttle_wait = 10
    # Notified changes polling would see (and no run has looked for yet) from
    # which one polling run is cheaper than a getOrder each: a whole receive.
    backlog_poll_size = 10

    # --- entry points -----------------------------------------------------------------------
    @api.model
    def _cron_consume(self, max_seconds=None):
        """The cron: every company's queue, in turn, for ``max_seconds`` at most."""
        deadline = time.monotonic() + (max_seconds or self.cron_seconds)
        for company in self._queue_companies():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                self._consume(company, left)
            except Exception:
                # One company's queue (its settings, AWS, a message two readers
                # recorded at once) never stops the others; what it did not
                # commit comes back with its messages.
                _logger.exception("Amazon notifications of company %s not read", company.id)
                rollback(self.env.cr)
        return True

    @api.model
    def _queue_companies(self):
        return self.env["res.company"].sudo().search([("amazon_sqs_queue_url", "!=", False)])

    @api.model
    def _consume(self, company, max_seconds, wait_seconds=MAX_WAIT_SECONDS, until_empty=False):
        """Read ``company``'s queue for ``max_seconds`` (or, ``until_empty``,
        until a receive brings nothing); returns the number of messages handled."""
        queue = company._amazon_notification_queue()
        if queue is None:
            return 0
        deadline = time.monotonic() + max_seconds
        handled = 0
        while True:
            left = deadline - time.monotonic()
            if left < 1:
                return handled
            try:
                messages = queue.receive(wait_seconds=min(wait_seconds, int(left)))
            except QueueError as error:
                _logger.warning("Amazon notifications queue of company %s: %s", company.id, error)
                return handled
            self._stamp(company, "amazon_sqs_polled")
            commit(self.env.cr)
            if messages:
                try:
                    self._process_messages(company, queue, messages)
                except Exception:
                    # What was not committed comes back with its messages (a
                    # message two readers recorded at once, a lost connection).
                    _logger.exception(
                        "Amazon notifications of company %s: a batch failed", company.id
                    )
                    rollback(self.env.cr)
                handled += len(messages)
            elif until_empty:
                return handled

    # --- one receive's messages -------------------------------------------------------------
    @api.model
    def _process_messages(self, company, queue, messages):
        """Record, do, commit, then delete ``messages`` (queue.Message)."""
        accounts = self._accounts_by_seller(company)
        items = []
        for message in messages:
            try:
                items.append((message, parse_notification(message.body), None))
            except PayloadError as error:
                items.append((message, None, str(error)))
        Notification = self.env["amazon.notification"].sudo()
        records = Notification._amazon_receive(company, items, accounts)
        self._stamp(company, "amazon_sqs_received")
        commit(self.env.cr)
        todo = {m.message_id: records[m.message_id] for m, _n, _r in items}
        busy = self._do_orders(company, todo) | self._wake_flows(todo)
        commit(self.env.cr)
        finished = [m for m in messages if todo[m.message_id].state in FINISHED]
        undeleted = queue.delete(finished) if finished else []
        if undeleted:
            _logger.info("SQS kept %s messages: they come back as duplicates", len(undeleted))
        waiting = [m for m in messages if m.message_id in busy]
        if waiting:
            queue.release(waiting, self.busy_retry_seconds)
        for message, _notification, reason in items:
            if reason:
                _logger.warning(
                    "Amazon notification %s of company %s not usable: %s",
                    message.message_id,
                    company.id,
                    reason,
                )

    @api.model
    def _stamp(self, record, column):
        """``record.column`` = now, at most every STAMP_EVERY: the queue's and
        the account's health. Readers side by side stamp the same row; the one
        that comes second gives way (a serialization failure in its savepoint)
        instead of failing its batch."""
        now = fields.Datetime.now()
        column_sql = SQL.identifier(column)
        try:
            # Odoo logs every failed query; this one is expected, and handled.
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.env.cr.execute(
                    SQL(
                        "UPDATE %s SET %s = %s WHERE id = %s AND (%s IS NULL OR %s < %s)",
                        SQL.identifier(record._table),
                        column_sql,
                        now,
                        record.id,
                        column_sql,
                        column_sql,
                        now - STAMP_EVERY,
                    )
                )
        except psycopg2.errors.SerializationFailure:
            pass
        record.invalidate_recordset([column])
        record.modified([column])  # what is computed from it (the account's state)

    @api.model
    def _accounts_by_seller(self, company):
        """{seller id: linked account} of the company (one account per seller
        and company: amazon_account_seller_company_uniq)."""
        accounts = (
            self.env["amazon.account"]
            .sudo()
            .search([("company_id", "=", company.id), ("link_date", "!=", False)])
        )
        return {account.seller_ref: account for account in accounts if account.seller_ref}

    @api.model
    def _do_orders(self, company, todo):
        """The orders of the ORDER_CHANGE notifications still to do, through
        the orders flow, account by account. Returns the message ids whose
        account another run held (they come back soon)."""
        by_account = defaultdict(list)
        for message_id, record in todo.items():
            if record.state == "received" and record.notification_type == ORDER_CHANGE:
                by_account[record.account_id].append((message_id, record))
        busy = set()
        for account, pairs in by_account.items():
            records = self.env["amazon.notification"].sudo().union(*(r for _m, r in pairs))
            records = self._skip_known(account, records)
            if len(self._seen_by_polling(account, records)) >= self.backlog_poll_size:
                # A backlog getOrder serves one by one (its plan: 0.5 a second)
                # that searchOrders already sees: one polling run brings it, a
                # page of 100 a call, the same import as the cron's.
                self.env["amazon.order.import"]._run(
                    account, max_throttle_wait=self.max_throttle_wait
                )
                records = self._skip_known(account, records)
            if not records:
                continue
            refs = list(dict.fromkeys(records.mapped("order_ref")))
            try:
                result = self.env["amazon.order.import"]._run(
                    account,
                    run_options={"order_refs": refs, "skip_unfetched": True},
                    max_throttle_wait=self.max_throttle_wait,
                )
            except (SpApiError, UserError) as error:
                records._amazon_failed(str(error))
                continue
            if result.locked or result.waiting:
                busy.update(message_id for message_id, _r in pairs)
                if result.waiting:
                    # Amazon's getOrder plan is spent: polling brings a backlog a
                    # page of 100 at a time (the account is due, see
                    # amazon.account._amazon_polling_due).
                    self.env.ref("sale_amazon_connector.ir_cron_amazon_sync_orders")._trigger()
                continue
            unfetched = result.extra.get("unfetched") or {}
            for record in records:
                if record.order_ref in unfetched:
                    # Left in the queue: read again when it comes back (an
                    # order Amazon does not show yet), until the redrive policy.
                    record._amazon_failed(unfetched[record.order_ref])
                else:
                    record._amazon_done()
            self._stamp(account, "last_notification_date")
        return busy

    @api.model
    def _skip_known(self, account, records):
        """``records`` less those whose change Odoo has (marked done)."""
        known = self._known_changes(account, records)
        known._amazon_done()
        return records - known

    @api.model
    def _seen_by_polling(self, account, records):
        """The notified changes searchOrders shows now and that no polling
        run has looked for yet: older than its two-minute lag, newer than the
        account's last window."""
        visible_until = fields.Datetime.now() - WINDOW_LAG
        polled_until = account.last_orders_sync
        return records.filtered(
            lambda record: (
                record.change_date
                and record.change_date <= visible_until
                and (not polled_until or record.change_date > polled_until)
            )
        )

    @api.model
    def _known_changes(self, account, records):
        """The notifications whose change Odoo has already (polling brought it,
        or an earlier notice): their order is there, updated at or after it."""
        dated = records.filtered("change_date")
        if not dated:
            return records.browse()
        updated = {
            sale.amazon_order_ref: sale.amazon_last_updated
            for sale in self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("amazon_account_id", "=", account.id),
                    ("amazon_order_ref", "in", dated.mapped("order_ref")),
                ]
            )
        }
        return dated.filtered(
            lambda record: (
                updated.get(record.order_ref) and updated[record.order_ref] >= record.change_date
            )
        )

    @api.model
    def _wake_flows(self, todo):
        """Feeds and reports done: the crons of the flows waiting on them run now."""
        kinds = set()
        for record in todo.values():
            if record.state == "received" and record.notification_type in WOKEN_BY:
                kinds.add(record.notification_type)
                record._amazon_done()
        models_ = [model for kind in kinds for model in WOKEN_BY[kind] if model in self.env]
        if models_:
            crons = self.env["ir.cron"].sudo().search([("model_id.model", "in", models_)])
            for cron in crons:
                cron._trigger()
        return set()
