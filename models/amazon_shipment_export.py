"""Shipments out: the deliveries of merchant-fulfilled orders confirmed to
Amazon (confirmShipment). The flow's home, on the template (``amazon.flow``).

A delivery validated in Odoo is *To Send* (``stock_picking.py``); it is sent
right after the validation commits, by the cron (``_cron_run``), by the
account's Sync Pickings button or by the delivery's Retry. Each delivery is a
page: claimed (a row lock: two senders never send one delivery twice), sent
in its own fault boundary, then committed, as Amazon has it. Amazon's
refusal fails the delivery (said on it, and to the account's responsible
once per run); anything else (throttled, unreachable, a bug) leaves it To
Send with the reason, for the next run. What a delivery sends (its packages,
their details) is the delivery's own: ``stock.picking._amazon_send_one``.
"""

import logging
from contextlib import nullcontext

from odoo import _, api, models

from . import flow_kinds
from .flow_run import FlowRun

_logger = logging.getLogger(__name__)

SEND_LIMIT = 200  # deliveries per account and turn: more waiting, the cron comes back


class ShipmentRun(FlowRun):
    """A run's state: the deliveries it sends (given, else the account's To
    Send, ``limit`` at most) and those Amazon refused."""

    def __init__(self, account, adapter, pickings=None, limit=SEND_LIMIT, **limits):
        super().__init__(account, adapter, **limits)
        self.pickings = pickings
        self.limit = limit
        self.sent = self.env["stock.picking"]
        self.refused = self.env["stock.picking"]


class AmazonShipmentExport(models.AbstractModel):
    _name = "amazon.shipment.export"
    _inherit = "amazon.flow"
    _description = "Amazon Shipments Out"
    _flow_kind = flow_kinds.SHIPMENTS
    _run_class = ShipmentRun

    @api.model
    def _cron_accounts(self):
        return self.env["stock.picking"]._amazon_to_send().sale_id.amazon_account_id

    def _flow_title(self):
        return _("Shipment confirmations")

    def _result_message(self, result):
        return _(
            "%(sent)s sent, %(failed)s refused by Amazon, %(waiting)s waiting.",
            sent=result.updated,
            failed=result.failed,
            waiting=result.skipped,
        )

    @api.model
    def _send(self, account, pickings, **adapter_options):
        """Confirm ``pickings`` (the account's) to Amazon now; logged. Returns
        the run's FlowResult (``extra["refused"]``: Amazon refused them)."""
        return self._run(account, run_options={"pickings": pickings}, **adapter_options)

    @api.model
    def _run(self, account, max_pages=None, max_seconds=None, run_options=None, **adapter_options):
        """The flow's run; one that cannot start (the account not linked, no
        credentials) says why on the deliveries it leaves to send: only
        Amazon's refusal fails a delivery."""
        try:
            return super()._run(account, max_pages, max_seconds, run_options, **adapter_options)
        except Exception as error:
            pickings = (run_options or {}).get("pickings")
            if pickings is None:
                pickings = self.env["stock.picking"]._amazon_to_send(account)
            pickings.sudo().filtered(lambda p: p.amazon_sync_state == "to_send").write(
                {"amazon_sync_error": _("Not sent yet: %(error)s", error=error)}
            )
            raise

    def _locked(self, run):
        # Deliveries are claimed one by one (row locks): senders run side by side.
        return nullcontext(True)

    # --- the steps: each delivery a page ------------------------------------------------
    def _fetch(self, run, window):
        if run.pickings is not None:
            return run.pickings.with_env(self.env)
        pickings = self.env["stock.picking"]._amazon_to_send(run.account, limit=run.limit + 1)
        run.result.done = len(pickings) <= run.limit
        return pickings[: run.limit]

    def _has_next(self, page):
        return False  # the limit bounds a run

    def _process_page(self, run, picking):
        run.result.fetched += 1
        if not picking._amazon_claim():
            run.result.skipped += 1  # another sender has it, or has sent it
            return
        refused = self._in_unit(run, picking, self._send_picking, picking)
        if refused:
            run.refused |= refused
            run.result.failed += 1
            run.result.problems.append((picking, picking.amazon_sync_error))
        elif picking.amazon_sync_state == "sent":
            run.sent |= picking
            run.result.updated += 1
        else:
            run.result.skipped += 1  # to send again: throttled, unreachable

    def _send_picking(self, run, picking):
        return picking._amazon_send_one(run.adapter)

    def _unit_failed(self, run, picking, error):
        # Not Amazon's answer: the delivery stays to send, with the reason, and
        # the next run tries again.
        _logger.error("Shipment confirmation of %s failed: %s", picking.name, error)
        picking.amazon_sync_error = _("Not sent yet: %(error)s", error=self._failure_reason(error))

    def _close_window(self, run, window):
        run.result.extra["refused"] = run.refused
        if run.refused:
            run.refused._amazon_report_failures(run.account)
