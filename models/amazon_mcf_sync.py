"""The Multi-Channel Fulfillment flow: deliveries Amazon ships from the
seller's FBA stock, sent and followed.

Before its pages, a run follows what Amazon holds: the fulfillment orders
changed since the last run (listAllFulfillmentOrders), each of ours read
(getFulfillmentOrder) and applied to its delivery (stock_picking_mcf.py),
each its own unit. Its page is the account's deliveries To Send, each its own
unit: Amazon's preview stored on it (speeds, fees, promised dates); not
fulfillable at the delivery's speed, it is Refused with Amazon's reasons and
nothing is sent; else createFulfillmentOrder under the delivery's reference,
committed At Amazon. A run that dies between Amazon's answer and the commit
sends it again: Amazon refuses a second order under the same id, and the
adapter reads the first (never two).
"""

import logging
from datetime import UTC, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.checks import PayloadError
from ..mapping.mcf import (
    create_request,
    parse_fulfillment_order,
    parse_order_list,
    parse_previews,
    preview_request,
)
from ..spapi import SpApiRequestError
from . import flow_kinds

_logger = logging.getLogger(__name__)
# Amazon's clock and ours: what changed just before the last run is read again.
FOLLOW_OVERLAP = timedelta(minutes=5)


class AmazonMcfSync(models.AbstractModel):
    _name = "amazon.mcf.sync"
    _inherit = "amazon.flow"
    _description = "Amazon Multi-Channel Fulfillment"
    _flow_kind = flow_kinds.MCF
    # Each delivery is committed At Amazon as soon as Amazon took it.
    _commits_in_page = True

    @api.model
    def _cron_sync(self):
        return self._cron_run()

    @api.model
    def _cron_accounts(self):
        """Linked accounts with deliveries to send or to follow."""
        pickings = self.env["stock.picking"].search(
            [("amazon_mcf_state", "in", ("to_send", "sent"))]
        )
        return pickings.amazon_mcf_account_id.filtered("link_date")

    # --- following what Amazon holds ---------------------------------------------------------
    def _before_pages(self, run):
        self._follow_sent(run)

    @api.model
    def _follow_account(self, run):
        """Apply what Amazon shipped of ``run``'s account (another flow's run:
        the FBA reconciliation counts Amazon's units only once Odoo's MCF
        deliveries took theirs), under this flow's lock; skipped while an MCF
        run holds it (that run applies them)."""
        if not run.account.mcf_enabled:
            return
        with self._locked(run) as held:
            if held:
                self._follow_sent(run)

    def _follow_sent(self, run):
        account = run.account
        sent = self.env["stock.picking"].search(
            [("amazon_mcf_account_id", "=", account.id), ("amazon_mcf_state", "=", "sent")]
        )
        began = fields.Datetime.now()
        if not sent:
            account.mcf_last_sync = began
            return
        since = (account.mcf_last_sync or min(sent.mapped("create_date"))) - FOLLOW_OVERLAP
        changed = dict(
            parse_order_list(run.adapter.list_all_fulfillment_orders(since.replace(tzinfo=UTC)))
        )
        followed = {}
        for picking in sent:
            followed.setdefault(picking.amazon_mcf_ref, picking)
        for ref, picking in followed.items():
            if ref in changed or not account.mcf_last_sync:
                self._in_unit(run, picking, self._follow, picking)
                self._commit()
        account.mcf_last_sync = began
        self._commit()

    def _follow(self, run, picking):
        order = parse_fulfillment_order(run.adapter.get_fulfillment_order(picking.amazon_mcf_ref))
        picking._amazon_mcf_apply(order)
        run.result.extra["followed"] = run.result.extra.get("followed", 0) + 1

    # --- sending what waits -------------------------------------------------------------------
    def _fetch(self, run, window):
        to_send = self.env["stock.picking"].search(
            [("amazon_mcf_account_id", "=", run.account.id), ("amazon_mcf_state", "=", "to_send")],
            order="id",
        )
        run.result.fetched += len(to_send)
        return [to_send] if to_send else []

    def _has_next(self, page):
        return False

    def _process_page(self, run, pickings):
        for picking in pickings:
            self._in_unit(run, picking, self._send, picking)
            self._commit()

    def _send(self, run, picking):
        """Preview, then create (or refuse) one delivery's fulfillment order."""
        account = run.account
        try:
            lines = picking._amazon_mcf_lines()
            address = picking._amazon_mcf_address()
            previews = self._preview(picking, lines=lines, address=address, adapter=run.adapter)
        except (UserError, PayloadError) as error:
            picking._amazon_mcf_refuse(str(error))
            run.result.failed += 1
            return
        speed = picking.amazon_mcf_speed or account.mcf_speed
        chosen = next((p for p in previews if p.speed == speed), None)
        if chosen is None or not chosen.fulfillable:
            reasons = ", ".join(chosen.reasons) if chosen else _("no preview for this speed")
            picking._amazon_mcf_refuse(
                _(
                    "Amazon cannot ship %(picking)s at %(speed)s speed: %(reasons)s. Nothing "
                    "was sent.",
                    picking=picking.name,
                    speed=speed,
                    reasons=reasons,
                )
            )
            run.result.failed += 1
            return
        ref = picking._amazon_mcf_order_ref()
        sale = picking.sale_id
        request = create_request(
            ref,
            account._amazon_mcf_marketplace().api_ref,
            address,
            lines,
            speed,
            account.mcf_policy,
            order_id=sale.client_order_ref or sale.name or picking.name,
            order_date=(sale.date_order or picking.create_date).replace(tzinfo=UTC),
            comment=_("Thank you for your order %(order)s.", order=sale.name or picking.name),
        )
        try:
            run.adapter.create_fulfillment_order(request)
        except SpApiRequestError as error:
            # Amazon's refusal (its reason said): nothing was created.
            picking._amazon_mcf_refuse(
                _(
                    "Amazon refused %(picking)s: %(reason)s",
                    picking=picking.name,
                    reason=error.details or error.message,
                )
            )
            run.result.failed += 1
            return
        picking.write(
            {"amazon_mcf_state": "sent", "amazon_mcf_ref": ref, "amazon_mcf_error": False}
        )
        run.result.extra["sent"] = run.result.extra.get("sent", 0) + 1

    @api.model
    def _preview(self, picking, lines=None, address=None, adapter=None):
        """Amazon's previews of ``picking`` (every speed), stored on it."""
        account = picking.amazon_mcf_account_id
        adapter = adapter or account._get_adapter()
        request = preview_request(
            account._amazon_mcf_marketplace().api_ref,
            address or picking._amazon_mcf_address(),
            lines or picking._amazon_mcf_lines(),
        )
        previews = parse_previews(adapter.get_fulfillment_preview(request))
        picking._amazon_mcf_store_previews(previews)
        return previews

    def _unit_failed(self, run, unit, error):
        reason = self._failure_reason(error)
        _logger.info("Amazon MCF of account %s, %s: %s", run.account.id, unit.name, reason)
        run.result.failed += 1
        run.result.problems.append(f"{unit.name}: {reason}")
        unit.amazon_mcf_error = reason

    def _result_message(self, result):
        return _(
            "%(sent)s delivery(ies) sent to Amazon, %(followed)s followed, %(failed)s refused "
            "or failed.",
            sent=result.extra.get("sent", 0),
            followed=result.extra.get("followed", 0),
            failed=result.failed,
        )
