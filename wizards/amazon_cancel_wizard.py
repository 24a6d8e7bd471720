from odoo import api, fields, models

from ..mapping.cancellations import CANCEL_REASONS
from ..models.amazon_cancellation import REASON_LABELS


class AmazonCancelWizard(models.TransientModel):
    """Cancel an Amazon order, or whole items of it, with Amazon's reason."""

    _name = "amazon.cancel.wizard"
    _description = "Cancel an Amazon Order"

    order_id = fields.Many2one("sale.order", required=True, readonly=True)
    reason = fields.Selection(
        [(code, REASON_LABELS[code]) for code in CANCEL_REASONS],
        required=True,
        help="Amazon's reason. Amazon puts the units back on sale for every reason but "
        "Out of stock.",
    )
    line_ids = fields.Many2many(
        "sale.order.line",
        string="Items",
        domain="[('order_id', '=', order_id), ('amazon_item_ref', '!=', False)]",
        help="Whole items only: a part of an item's quantity is not a cancellation for "
        "Amazon (refund it instead). All items cancel the order.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        order = self.env["sale.order"].browse(values.get("order_id"))
        if order and "line_ids" in fields_list:
            values["line_ids"] = [(6, 0, order._amazon_item_lines().ids)]
        return values

    def action_confirm(self):
        self.ensure_one()
        self.order_id._amazon_seller_cancel(self.line_ids, self.reason)
        return {"type": "ir.actions.act_window_close"}
