"""The Amazon Buy Shipping labels of a delivery (``amazon.shipping.label``):
bought through the delivery's carrier (delivery_carrier.py), they confirm
its shipment on Amazon; cancelled, Amazon shows the order unshipped again."""

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError


class StockPicking(models.Model):
    _inherit = "stock.picking"

    # Read by the warehouse; bought and cancelled through the delivery's carrier.
    amazon_label_ids = fields.One2many(
        "amazon.shipping.label",
        "picking_id",
        string="Amazon Labels",
        groups="stock.group_stock_user,sales_team.group_sale_manager",
    )

    amazon_label_bought = fields.Boolean(
        compute="_compute_amazon_label_bought",
        help="A Buy Shipping label of this delivery is bought (and not cancelled).",
    )

    def _compute_amazon_label_bought(self):
        labels = self.env["amazon.shipping.label"].sudo()
        bought = set(
            labels.search([("picking_id", "in", self.ids), ("state", "=", "bought")]).picking_id.ids
        )
        for picking in self:
            picking.amazon_label_bought = picking.id in bought

    def action_amazon_choose_rate(self):
        """Amazon's rates for this delivery, to choose one by hand."""
        self.ensure_one()
        return self.env["amazon.shipping.rate.wizard"]._open(self)

    def _amazon_label_bought(self):
        """A Buy Shipping label confirmed this delivery's shipment on Amazon."""
        self.ensure_one()
        return any(label.state == "bought" for label in self.sudo().amazon_label_ids)

    def _amazon_confirmed_by_labels(self, labels):
        """Buying the labels told Amazon: no confirmShipment for this delivery."""
        self.ensure_one()
        self.write(
            {
                "amazon_sync_state": "sent",
                "amazon_sync_error": False,
                "amazon_sync_date": fields.Datetime.now(),
            }
        )
        self._amazon_note(
            _(
                "Shipment confirmed to Amazon by its Buy Shipping label(s): %(labels)s.",
                labels=", ".join(
                    f"{label.carrier_name} {label.service_name} {label.tracking_ref}"
                    for label in labels
                ),
            )
        )

    def _amazon_cancel_labels(self):
        """Odoo's Cancel (the delivery's tracking): the labels cancelled on
        Amazon, which shows the order unshipped again."""
        self.ensure_one()
        if not self.env.user.has_group("stock.group_stock_user"):
            raise AccessError(_("Only inventory users can cancel Amazon labels."))
        self.check_access("write")
        labels = self.sudo().amazon_label_ids.filtered(lambda label: label.state == "bought")
        labels._cancel()
        self.sudo().write({"amazon_sync_state": False, "amazon_sync_date": False})
        self._amazon_note(
            _(
                "Amazon label(s) %(labels)s cancelled: Amazon shows the order unshipped again. "
                "Send to Shipper buys a new label.",
                labels=", ".join(labels.mapped("tracking_ref")),
            )
        )

    def _add_delivery_cost_to_so(self):
        # The buyer paid Amazon's shipping on Amazon: a label is the seller's
        # cost (on the delivery's Shipping Cost), never a line of the order.
        if self.sale_id.amazon_order_ref:
            return None
        return super()._add_delivery_cost_to_so()

    def action_amazon_print_labels(self):
        """The labels of this delivery, to print."""
        self.ensure_one()
        self.check_access("read")
        attachments = (
            self.sudo()
            .amazon_label_ids.filtered(lambda label: label.state == "bought")
            .attachment_id
        )
        if not attachments:
            raise UserError(_("%(picking)s has no Amazon label.", picking=self.name))
        if len(attachments) == 1:
            return {
                "type": "ir.actions.act_url",
                "url": f"/web/content/{attachments.id}?download=true",
                "target": "download",
            }
        return {
            "type": "ir.actions.act_window",
            "name": _("Amazon Labels"),
            "res_model": "ir.attachment",
            "view_mode": "kanban,list",
            "domain": [("id", "in", attachments.ids)],
        }
