"""The seller's own invoices and credit notes uploaded to Amazon. The flow's home.

Where the seller issues its own invoices (the marketplaces of Amazon's VAT
program: ES, UK, FR, DE, IT, NL, PL, SE), Amazon shows the buyer the invoice the
seller uploads. An account with *Upload Invoices to Amazon* marks each invoice
and credit note of its orders there *To Upload* when it is posted
(``account_move.py``); the cron then, per account:

1. reads what Amazon made of the uploads it sent (the feed's processing
   report): *Uploaded*, or *Refused* with Amazon's words;
2. uploads the next ones: Odoo's own invoice PDF (the legal document Odoo keeps
   on the invoice, made once) as an ``UPLOAD_VAT_INVOICE`` feed with its
   ``feedOptions`` (order, number, totals VAT included, Invoice or CreditNote;
   a credit note names the refund it documents).

Never twice: an invoice is marked *Sending* and committed before Amazon is
asked to create its feed, and *Sent* with the feed's id as soon as it answers.
One that a crash leaves *Sending* may or may not have reached Amazon: it is set
*Refused* with that said, for a person to check in Seller Central, never sent
again by itself. Amazon unreachable or throttling: the invoice stays *To
Upload*, the next run retries it. Refused by Amazon, or an invoice Odoo cannot
upload (a number Amazon does not accept, a credit note with no Amazon refund):
*Refused* with why, until an accountant fixes it and clicks *Upload Again*.

Without wkhtmltopdf Odoo cannot make a PDF: the run stops before anything is
sent and its sync log says so; the invoices wait *To Upload*.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.invoices import (
    CREDIT_NOTE,
    INVOICE,
    VAT_INVOICE_MARKETPLACES,
    InvoiceNumberError,
    parse_vat_invoice_report,
    vat_invoice_options,
)
from ..spapi import SpApiDocumentError, SpApiError, SpApiRequestError
from . import flow_kinds
from .flow_run import FlowRun

_logger = logging.getLogger(__name__)

# Invoices uploaded per account and run: Amazon's createFeed plan is a burst of
# 15, then one every 120 s; a run every 30 minutes (the cron) finds 15 again.
UPLOAD_LIMIT = 15


class UploadRun(FlowRun):
    """A run's state: how many invoices it uploads at most."""

    def __init__(self, account, adapter, limit=UPLOAD_LIMIT, **limits):
        super().__init__(account, adapter, **limits)
        self.limit = limit


class AmazonInvoiceUpload(models.AbstractModel):
    _name = "amazon.invoice.upload"
    _inherit = "amazon.flow"
    _description = "Amazon Invoice Upload"
    _flow_kind = flow_kinds.INVOICE_UPLOADS
    _run_class = UploadRun
    # An upload is marked Sending and committed before Amazon is asked.
    _commits_in_page = True

    @api.model
    def _cron_upload(self, limit=UPLOAD_LIMIT):
        """The uploading accounts in turns (``amazon.flow._cron_turns``), up to
        ``limit`` invoices each: createFeed's plan, not the cron, sets the pace,
        so more due is not work for now."""
        return self._cron_run(limit=limit)

    @api.model
    def _cron_accounts(self):
        return self.env["amazon.account"].search([("upload_invoices", "=", True)])

    @api.model
    def _upload(self, account, limit=UPLOAD_LIMIT, **adapter_options):
        """Read the answers to the account's uploads and upload up to ``limit``
        more; logged. Returns the run's FlowResult."""
        return self._run(account, run_options={"limit": limit}, **adapter_options)

    # --- the steps: Amazon's answers first, then each invoice due a page ----------------
    def _before_pages(self, run):
        self._read_answers(run)

    def _fetch(self, run, window):
        moves = self._due_moves(run.account, run.limit)
        run.result.fetched = len(moves)
        if moves:
            self._check_pdf_engine()
        return moves

    def _has_next(self, page):
        return False  # the limit bounds a run

    def _process_page(self, run, move):
        self._upload_move(run, move)

    def _due_moves(self, account, limit):
        Move = self.env["account.move"]
        # Left Sending by a run that stopped (crash, killed worker): Amazon may
        # have it. Said so and never sent again by itself.
        stuck = Move.search(
            [("amazon_upload_account_id", "=", account.id), ("amazon_upload_state", "=", "sending")]
        )
        for move in stuck:
            if self._lock_move(move, "sending"):
                move.write(
                    {
                        "amazon_upload_state": "error",
                        "amazon_upload_error": _(
                            "The upload was interrupted while Amazon was being asked to take "
                            "it: Amazon may have it. Check the order's invoices in Seller "
                            "Central, then click Upload Again only if it is missing."
                        ),
                    }
                )
                self._commit()
        return Move.search(
            [
                ("amazon_upload_account_id", "=", account.id),
                ("amazon_upload_state", "=", "to_upload"),
            ],
            order="id",
            limit=limit,
        )

    def _check_pdf_engine(self):
        if self.env["ir.actions.report"].get_wkhtmltopdf_state() == "install":
            raise UserError(
                _(
                    "Invoices cannot be uploaded to Amazon: Odoo needs wkhtmltopdf to make "
                    "their PDF, and it is not installed on this server. Install it (the "
                    "Debian/Ubuntu package 'wkhtmltopdf'), restart Odoo, and the invoices "
                    "waiting will be uploaded."
                )
            )

    def _lock_move(self, move, state):
        """Lock ``move``'s row for this transaction if it is still in ``state``:
        another run holding it, or done with it, makes this one skip it."""
        self.env.cr.execute(
            "SELECT id FROM account_move WHERE id = %s AND amazon_upload_state = %s "
            "FOR UPDATE SKIP LOCKED",
            (move.id, state),
        )
        if not self.env.cr.fetchone():
            return False
        move.invalidate_recordset(["amazon_upload_state"])
        return True

    def _upload_move(self, run, move):
        if not self._lock_move(move, "to_upload"):
            return
        prepared = self._in_unit(run, move, self._prepare_upload, move)
        if prepared is None:
            self._commit()
            return
        options, pdf = prepared
        marketplace_ref = move.amazon_upload_marketplace_id.api_ref
        # Amazon unreachable here: nothing was asked of it yet, the invoice is
        # still To Upload and the next run retries it.
        document_ref = run.adapter.upload_vat_invoice_document(pdf)
        # Kept before Amazon is asked: a crash from here on never sends it again.
        move.amazon_upload_state = "sending"
        self._commit()
        try:
            feed_ref = run.adapter.create_vat_invoice_feed(marketplace_ref, document_ref, options)
        except SpApiRequestError as error:
            self._unit_failed(run, move, error)
            self._commit()
            return
        except SpApiError:
            # Unreachable or throttled: the feed was not created (the adapter
            # retried what it could); To Upload again, the run stops here.
            move.amazon_upload_state = "to_upload"
            self._commit()
            raise
        move.write(
            {
                "amazon_upload_state": "sent",
                "amazon_upload_feed_ref": feed_ref,
                "amazon_upload_error": False,
                "amazon_upload_date": fields.Datetime.now(),
            }
        )
        run.result.created += 1
        self._commit()

    def _prepare_upload(self, run, move):
        """(feedOptions, PDF) of ``move``: what it takes to upload it."""
        return self._prepare_feed_options(move), self._invoice_pdf(move)

    def _unit_failed(self, run, move, error):
        """An invoice Odoo cannot upload, or Amazon refused: Refused, with why."""
        reason = self._failure_reason(error)
        run.result.failed += 1
        run.result.problems.append((move, reason))
        self._refused(move, reason)

    def _prepare_feed_options(self, move):
        """The upload's ``feedOptions`` (a hook)."""
        order_ref = move.amazon_upload_order_ref
        if move.move_type == "out_refund":
            refund = self.env["amazon.finance.transaction"].search(
                [("credit_note_id", "=", move.id)], limit=1
            )
            if not refund:
                raise UserError(
                    _(
                        "Amazon takes a credit note with the refund it documents, and this "
                        "one was not made from an Amazon refund. Refund the buyer in Seller "
                        "Central: the refund's credit note is uploaded by itself."
                    )
                )
            document_type, transaction_ref = CREDIT_NOTE, refund.ref
        else:
            document_type, transaction_ref = INVOICE, None
        try:
            return vat_invoice_options(
                order_ref,
                move.name,
                move.amount_total,
                move.amount_tax,
                document_type,
                transaction_ref,
            )
        except InvoiceNumberError as error:
            raise UserError(
                _(
                    "%(error)s Change the journal's sequence so that its numbers use only "
                    "those characters, then upload again.",
                    error=error,
                )
            ) from error

    def _invoice_pdf(self, move):
        """Odoo's PDF of the invoice: the one kept on it if it was printed or
        sent, else made now and kept, so Amazon has the very document Odoo has."""
        if not move.invoice_pdf_report_id:
            # A PDF also where Odoo runs its tests (it renders HTML there).
            send = self.env["account.move.send"].with_context(force_report_rendering=True)
            # Odoo's settings for the document (its report, its e-invoice format),
            # sent nowhere: the buyer never gets mail about an Amazon order.
            invoice_data = send._get_default_sending_settings(move, sending_methods=[])
            send._generate_invoice_documents({move: invoice_data})
            error = invoice_data.get("error")
            if error:
                # Odoo's errors of documents: {"error_title", "errors": [...]}.
                if isinstance(error, dict):
                    error = " ".join([error.get("error_title") or "", *error.get("errors", [])])
                raise UserError(_("Odoo could not make the invoice's PDF: %(error)s", error=error))
        pdf = move.invoice_pdf_report_id.raw
        if not pdf or not pdf.startswith(b"%PDF-"):
            raise UserError(_("Odoo could not make the invoice's PDF."))
        return pdf

    def _refused(self, move, reason):
        _logger.info("Invoice %s not uploaded to Amazon: %s", move.name, reason)
        move.write({"amazon_upload_state": "error", "amazon_upload_error": reason})

    # --- Amazon's answers ---------------------------------------------------------------
    def _read_answers(self, run):
        sent = self.env["account.move"].search(
            [
                ("amazon_upload_account_id", "=", run.account.id),
                ("amazon_upload_state", "=", "sent"),
            ],
            order="id",
        )
        for move in sent:
            try:
                feed, report = run.adapter.get_feed_result(move.amazon_upload_feed_ref)
            except SpApiDocumentError as error:
                # Never read again; Amazon may have taken the invoice: a person decides.
                if self._lock_move(move, "sent"):
                    run.result.failed += 1
                    run.result.problems.append((move, str(error)))
                    self._refused(
                        move,
                        _(
                            "Amazon's answer to the upload could not be read (%(error)s). "
                            "Amazon may have the invoice: check it in Seller Central before "
                            "uploading it again.",
                            error=error,
                        ),
                    )
                    self._commit()
                continue
            except SpApiError as error:
                _logger.info("Upload %s not read yet: %s", move.amazon_upload_feed_ref, error)
                continue
            status = feed.get("processingStatus")
            if report is None and status not in ("FATAL", "CANCELLED"):
                continue  # Amazon has not finished with it
            if not self._lock_move(move, "sent"):
                continue
            self._in_unit(run, move, self._apply_answer, move, status, report)
            self._commit()

    def _apply_answer(self, run, move, status, report):
        """Amazon's processing report of ``move``'s upload: Uploaded, or Refused
        with Amazon's words."""
        accepted, errors = parse_vat_invoice_report(report or b"")
        if accepted:
            move.write({"amazon_upload_state": "done", "amazon_upload_error": False})
            run.result.updated += 1
            return
        run.result.failed += 1
        reason = "\n".join(errors) or _(
            "Amazon stopped processing the upload (%(status)s).", status=status
        )
        self._refused(move, reason)

    @api.model
    def _marketplace_takes_invoices(self, marketplace):
        return marketplace.api_ref in VAT_INVOICE_MARKETPLACES
