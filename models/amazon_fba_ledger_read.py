"""The FBA reconciliation's ledger steps (``amazon.fba.inventory``): Amazon's
inventory ledger of each reconciliation's period, asked for once the
reconciliation has settled and read by a later look, through the Reports code
the returns use (``amazon.report.reader``). No run waits on Amazon.
"""

import logging
from datetime import timedelta

from odoo import _, fields, models

from ..mapping.ledger import (
    LEDGER_DETAIL_REPORT,
    LEDGER_SUMMARY_REPORT,
    detail_event,
    normalized,
    summary_day,
)
from ..spapi import SpApiError

_logger = logging.getLogger(__name__)

LEDGER_REPORTS = (LEDGER_DETAIL_REPORT, LEDGER_SUMMARY_REPORT)
# How long after a reconciliation its ledger is asked for: Amazon's ledger
# lists events hours after they happen (system parameter, in hours).
LEDGER_SETTLE_PARAM = "sale_amazon_connector.fba_ledger_settle_hours"
LEDGER_SETTLE = 12
LEDGER_REQUESTS_PER_RUN = 5  # reconciliations whose ledger one run asks for


class AmazonFbaInventory(models.AbstractModel):
    _inherit = "amazon.fba.inventory"

    # --- Amazon's ledger: asked in one run, read in a later one ----------------------------
    def _ask_ledgers(self, run):
        """Ask for the ledger reports of the settled reconciliations that wait
        for them (none asked yet, or the last asked failed)."""
        settle = timedelta(
            hours=float(
                self.env["ir.config_parameter"].sudo().get_param(LEDGER_SETTLE_PARAM, LEDGER_SETTLE)
            )
        )
        waiting = self.env["amazon.fba.reconciliation"].search(
            [
                ("account_id", "=", run.account.id),
                ("ledger_state", "=", "waiting"),
                ("date", "<=", fields.Datetime.now() - settle),
            ],
            order="date",
        )
        live = self.env["amazon.report.request"].search(
            [
                ("fba_reconciliation_id", "in", waiting.ids),
                ("state", "in", ("requested", "done", "empty")),
            ]
        )
        asked = {(r.fba_reconciliation_id, r.report_type) for r in live}
        due = waiting.filtered(lambda rec: any((rec, t) not in asked for t in LEDGER_REPORTS))
        for reconciliation in due[:LEDGER_REQUESTS_PER_RUN]:
            for report_type in LEDGER_REPORTS:
                if (reconciliation, report_type) in asked:
                    continue
                try:
                    self._ask_report(
                        run,
                        report_type,
                        reconciliation.period_start,
                        reconciliation.date,
                        fba_reconciliation_id=reconciliation.id,
                    )
                except SpApiError as error:  # nothing written: asked again next run
                    self._ledger_failed(run, reconciliation, error)
                    break

    def _read_ledgers(self, run):
        """Read the ledger reports Amazon has written; a reconciliation whose
        two reports are in is explained, in its own savepoint."""
        requests = self.env["amazon.report.request"].search(
            [
                ("account_id", "=", run.account.id),
                ("report_type", "in", LEDGER_REPORTS),
                ("state", "=", "requested"),
                ("fba_reconciliation_id", "!=", False),
            ],
            order="id",
        )
        for reconciliation in requests.fba_reconciliation_id:
            pages = {}
            for request in requests.filtered(
                lambda r, rec=reconciliation: r.fba_reconciliation_id == rec
            ):
                try:
                    page = self._read_request(run, request)
                except SpApiError as error:  # Amazon not reached: looked at again next run
                    self._ledger_failed(run, reconciliation, error)
                    page = None
                if page:
                    pages[request.report_type] = page
            # Each report's last request: written now, or with nothing to report.
            latest = {}
            for request in reconciliation.ledger_request_ids.sorted("id"):
                latest[request.report_type] = request
            if all(
                report_type in pages or latest[report_type].state == "empty"
                for report_type in LEDGER_REPORTS
                if report_type in latest
            ) and len(latest) == len(LEDGER_REPORTS):
                try:
                    with self.env.cr.savepoint():
                        self._explain_ledger(run, reconciliation, pages)
                except Exception as error:  # the reconciliation's alone: read again next run
                    self._ledger_failed(run, reconciliation, error)
                self._commit()

    def _ledger_failed(self, run, reconciliation, error):
        """A ledger that could not be asked for, read or explained: said on the
        log; the stock's reconciliation goes on (never one of its units'
        failures, which would take a summary for unread)."""
        _logger.info("Amazon ledger of reconciliation %s: %s", reconciliation.id, error)
        run.result.failed += 1
        run.result.problems.append(
            _(
                "Amazon's ledger of the reconciliation of %(date)s: %(reason)s",
                date=reconciliation.date,
                reason=self._failure_reason(error),
            )
        )

    def _explain_ledger(self, run, reconciliation, pages):
        """Record the period's ledger events and explain the reconciliation."""
        detail = pages.get(LEDGER_DETAIL_REPORT)
        summary = pages.get(LEDGER_SUMMARY_REPORT)
        events = self._ledger_rows(run, detail, detail_event)
        days = self._ledger_rows(run, summary, summary_day)
        skus = {e.sku for e in events} | {d.sku for d in days}
        offers = self.env["amazon.offer"].search(
            [("account_id", "=", run.account.id), ("sku", "in", list(skus))]
        )
        product_of = {offer.sku: offer.product_id.id for offer in offers if offer.product_id}
        Event = self.env["amazon.fba.ledger.event"]
        Event._record(run.account, reconciliation, events, product_of)
        recorded = Event.search([("reconciliation_id", "=", reconciliation.id)])
        reconciliation._explain(recorded, days, product_of)
        for page in pages.values():
            page.request.write({"state": "done", "row_count": len(page.rows)})
        run.result.extra["explained"] = run.result.extra.get("explained", 0) + 1

    def _ledger_rows(self, run, page, read):
        """Each row of a ledger report read alone: one that does not read is
        listed on the log with its line, the others count."""
        if not page:
            return []
        values = []
        for line, row in enumerate(normalized(page.rows), start=2):
            try:
                values.append(read(row, line))
            except Exception as error:  # pure: the row's alone
                run.result.failed += 1
                run.result.problems.append(
                    _(
                        "Amazon's ledger (%(report)s): %(reason)s",
                        report=page.report_type,
                        reason=self._failure_reason(error),
                    )
                )
        return values
