"""Amazon's reports read across runs: the Reports code of the flows that read
reports (customer returns, the FBA ledger).

Amazon writes a report in the background (Reports API 2021-06-30): a run asks
for it (createReport) and a later run reads it once Amazon is done (getReport,
getReportDocument), so no run waits on Amazon. Each request is stored
(``amazon.report.request``) and committed at once: a run that stops halfway
goes on with the same report.
"""

from dataclasses import dataclass
from datetime import UTC

from odoo import _, models

from ..mapping.checks import PayloadError
from ..mapping.returns import read_tsv
from ..spapi import SpApiDocumentError, SpApiNotFoundError


@dataclass
class ReportPage:
    """A report Amazon has written: its request and its rows."""

    request: object  # amazon.report.request
    report_type: str
    rows: list


class AmazonReportReader(models.AbstractModel):
    _name = "amazon.report.reader"
    _description = "Amazon Reports Read Across Runs"

    def _ask_report(self, run, report_type, start, end, **values):
        """Ask Amazon for the report of [start, end] of the account's
        marketplaces; the request (with ``values``) is kept whatever follows."""
        account = run.account
        report_ref = run.adapter.create_report(
            report_type,
            account.marketplace_ids.mapped("api_ref"),
            start.replace(tzinfo=UTC),
            end.replace(tzinfo=UTC),
        )
        request = self.env["amazon.report.request"].create(
            {
                "account_id": account.id,
                "report_type": report_type,
                "amazon_report_ref": report_ref,
                "data_start": start,
                "data_end": end,
                **values,
            }
        )
        self._commit()
        return request

    def _read_request(self, run, request):
        """The ReportPage of ``request`` once Amazon has written it, else None
        (still being written: counted as pending; nothing to report: empty;
        refused or unreadable: failed, never read again, the flow asks anew)."""
        try:
            report, text = run.adapter.read_report(request.amazon_report_ref)
        except (SpApiDocumentError, SpApiNotFoundError) as error:
            # A refused document, or a report Amazon no longer has (it keeps
            # them for a while only).
            return self._report_failed(run, request, str(error))
        status = report.get("processingStatus")
        if status == "DONE" and text is not None:
            try:
                rows = read_tsv(text)
            except PayloadError as error:
                return self._report_failed(run, request, str(error))
            run.result.fetched += len(rows)
            return ReportPage(request, request.report_type, rows)
        if status == "CANCELLED":
            # "an automatic cancellation if there is no data to return"
            request.state = "empty"
        elif status == "FATAL":
            request.write({"state": "failed", "error": _("Amazon could not write the report.")})
        else:
            run.result.extra["pending"] = run.result.extra.get("pending", 0) + 1
        self._commit()
        return None

    def _report_failed(self, run, request, error):
        request.write({"state": "failed", "error": error})
        run.result.failed += 1
        run.result.problems.append((request, error))
        self._commit()
