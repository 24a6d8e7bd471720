"""The cancellations flow: what sellers cancel in Odoo, told to Amazon.

One flat-file cancellation feed (mapping/cancellations.py) per account and
marketplace for what waits To Send, then, at a later run, the feed's
processing report read back: each cancellation Cancelled on Amazon or Refused
by Amazon with Amazon's reason. A cancellation is committed Sending before
Amazon is asked: a run that dies while sending leaves it Sending, never sent
twice (Amazon may have it: a person checks)."""

import logging

from odoo import _, api, models

from ..mapping.cancellations import cancellation_feed, parse_cancellation_report
from ..mapping.checks import PayloadError
from ..spapi import SpApiRateLimitWait, SpApiRequestError
from . import flow_kinds

_logger = logging.getLogger(__name__)

FINAL_STATUSES = ("DONE", "FATAL", "CANCELLED")


class AmazonCancellationExport(models.AbstractModel):
    _name = "amazon.cancellation.export"
    _inherit = "amazon.flow"
    _description = "Amazon Cancellations"
    _flow_kind = flow_kinds.CANCELLATIONS
    # Each marketplace's batch is committed Sending before Amazon is asked.
    _commits_in_page = True

    @api.model
    def _cron_send(self):
        """The accounts with cancellations to send or to read back, in turns."""
        return self._cron_run()

    @api.model
    def _cron_accounts(self):
        """The linked accounts with cancellations to send or to read back (an
        unlinked one would only fail: they wait for it to be linked again)."""
        waiting = self.env["amazon.cancellation"].search([("state", "in", ("to_send", "sent"))])
        return waiting.account_id.filtered("link_date")

    # --- the steps: reports of sent feeds first, then a feed per marketplace -----------------
    def _before_pages(self, run):
        # Left Sending by a run that died (this run holds the lock): Amazon may
        # have it; said once, never sent again by itself.
        stuck = self.env["amazon.cancellation"].search(
            [("account_id", "=", run.account.id), ("state", "=", "sending"), ("error", "=", False)]
        )
        if stuck:
            stuck.error = _(
                "The run stopped while sending this cancellation: Amazon may have it. "
                "Check the order in Seller Central."
            )
            run.result.problems.extend(stuck.order_id.mapped("amazon_order_ref"))
        sent = self.env["amazon.cancellation"].search(
            [("account_id", "=", run.account.id), ("state", "=", "sent")]
        )
        for feed_ref in set(sent.mapped("feed_ref")):
            records = sent.filtered(lambda record, ref=feed_ref: record.feed_ref == ref)
            self._in_unit(run, records, self._read_report, records, feed_ref)
            self._commit()

    def _fetch(self, run, window):
        to_send = self.env["amazon.cancellation"].search(
            [("account_id", "=", run.account.id), ("state", "=", "to_send")]
        )
        run.result.fetched += len(to_send)
        return [
            to_send.filtered(lambda record, m=marketplace: record.marketplace_id == m)
            for marketplace in to_send.marketplace_id
        ]

    def _has_next(self, page):
        return False

    def _process_page(self, run, records):
        try:
            content = cancellation_feed(records._prepare_rows())
        except PayloadError as error:
            records._amazon_refused(str(error))
            run.result.failed += len(records)
            return
        records.write({"state": "sending"})
        self._commit()
        try:
            feed_ref = run.adapter.submit_order_cancellations(
                records.marketplace_id.api_ref, content
            )
        except (SpApiRateLimitWait, SpApiRequestError) as error:
            # Nothing created on Amazon's side: sent by a later run.
            records.write({"state": "to_send"})
            self._commit()
            if isinstance(error, SpApiRateLimitWait):
                raise
            run.result.failed += len(records)
            run.result.problems.append(self._failure_reason(error))
            return
        records.write({"state": "sent", "feed_ref": feed_ref})
        run.result.extra["sent"] = run.result.extra.get("sent", 0) + len(records)
        self._commit()

    def _read_report(self, run, records, feed_ref):
        feed, content = run.adapter.get_feed_result(feed_ref)
        status = feed.get("processingStatus")
        if status not in FINAL_STATUSES:
            return  # Amazon has not processed it yet: read at the next run
        if status != "DONE" or content is None:
            records._amazon_refused(
                _("Amazon did not process the cancellation feed (%(status)s).", status=status)
            )
            run.result.failed += len(records)
            return
        report = parse_cancellation_report(content)
        for record in records:
            messages = report.errors.get(record.order_id.amazon_order_ref)
            if messages:
                record._amazon_refused("; ".join(messages))
                run.result.failed += 1
            else:
                record.state = "done"
                run.result.updated += 1

    def _unit_failed(self, run, unit, error):
        reason = self._failure_reason(error)
        _logger.info("Amazon cancellations of account %s: %s", run.account.id, reason)
        run.result.failed += len(unit)
        run.result.problems.append(reason)

    def _result_message(self, result):
        return _(
            "%(sent)s cancellation(s) sent, %(done)s confirmed by Amazon, %(failed)s refused.",
            sent=result.extra.get("sent", 0),
            done=result.updated,
            failed=result.failed,
        )
