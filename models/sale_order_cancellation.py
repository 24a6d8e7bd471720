from odoo import _, api, fields, models
from odoo.exceptions import UserError


class SaleOrder(models.Model):
    """An Amazon order the seller cancels in Odoo: Amazon is told (the
    cancellations flow), never only Odoo."""

    _inherit = "sale.order"

    amazon_cancellation_ids = fields.One2many(
        "amazon.cancellation", "order_id", string="Amazon Cancellations", readonly=True
    )
    amazon_cancel_state = fields.Char(
        string="Amazon Cancellation", compute="_compute_amazon_cancel_state"
    )

    @api.depends("amazon_cancellation_ids.state", "amazon_cancellation_ids.error")
    def _compute_amazon_cancel_state(self):
        for order in self:
            last = order.amazon_cancellation_ids[:1]
            state = last._state_label(last.state) if last else False
            if last.state == "refused":
                state = _("Refused by Amazon: %(reason)s", reason=last.error)
            order.amazon_cancel_state = state

    def action_cancel(self):
        # Odoo's Cancel on an Amazon order Amazon has not cancelled: the wizard
        # asks Amazon's reason and the items, then cancels here and there.
        told = self.filtered(
            lambda order: order.amazon_account_id and order.amazon_status != "CANCELLED"
        )
        if told and not self.env.context.get("amazon_cancel_confirmed"):
            if len(self) > 1:
                raise UserError(_("Cancel Amazon orders one at a time: Amazon needs a reason."))
            return self.action_amazon_cancel()
        return super().action_cancel()

    def action_amazon_cancel(self):
        self.ensure_one()
        self._amazon_check_cancellable(self._amazon_item_lines())
        return {
            "type": "ir.actions.act_window",
            "name": _("Cancel on Amazon"),
            "res_model": "amazon.cancel.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_id": self.id},
        }

    def _amazon_item_lines(self):
        return self.order_line.filtered(lambda line: line.amazon_item_ref)

    def _amazon_check_cancellable(self, lines):
        """What Amazon lets a seller cancel, checked before anything is sent."""
        self.ensure_one()
        if self.amazon_channel == "fba":
            raise UserError(_("Amazon fulfils FBA orders: only Amazon can cancel them."))
        if self.amazon_status == "CANCELLED" or self.state == "cancel":
            raise UserError(_("This order is already cancelled."))
        if any(
            self.amazon_cancellation_ids.mapped(lambda c: c.state in ("to_send", "sending", "sent"))
        ):
            raise UserError(_("A cancellation of this order is already on its way to Amazon."))
        if any(line.qty_delivered for line in self._amazon_item_lines()):
            raise UserError(
                _(
                    "Units of this order have shipped: Amazon refunds the whole order when "
                    "such an order is cancelled. Refund the units that did not ship instead."
                )
            )
        if not lines:
            raise UserError(_("Choose the items to cancel."))

    def _amazon_seller_cancel(self, lines, reason):
        """Cancel ``lines`` (whole items; all of them: the order) for ``reason``
        in Odoo and queue Amazon's cancellation, sent after commit."""
        self.ensure_one()
        # The caller must be one who may change this order (a salesman his
        # own, a manager any): the cancellation is written as the system.
        self.check_access("write")
        self._amazon_check_cancellable(lines)
        cancellation = (
            self.env["amazon.cancellation"]
            .sudo()
            .create({"order_id": self.id, "line_ids": [(6, 0, lines.ids)], "reason": reason})
        )
        if lines == self._amazon_item_lines():
            self.with_context(disable_cancel_warning=True)._action_cancel()
        else:
            # Whole items: Odoo takes them off the open delivery.
            lines.write({"product_uom_qty": 0})
        self.message_post(
            body=_(
                "Cancelled for Amazon (%(reason)s): %(items)s. Amazon is told at the next "
                "cancellations run.",
                reason=dict(cancellation._fields["reason"]._description_selection(self.env))[
                    reason
                ],
                items=", ".join(lines.mapped("name")),
            )
        )
        cron = self.env.ref(
            "sale_amazon_connector.ir_cron_amazon_send_cancellations", raise_if_not_found=False
        )
        if cron:
            cron.sudo()._trigger()
        return cancellation
