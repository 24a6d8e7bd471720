from odoo import _, fields, models
from odoo.exceptions import UserError

from ..spapi import SpApiError, SpApiNotFoundError


class AmazonRecoverOrderWizard(models.TransientModel):
    """Fetch one Amazon order now and import it, or refresh it if Odoo has it."""

    _name = "amazon.recover.order.wizard"
    _description = "Recover an Amazon Order"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade")
    amazon_order_ref = fields.Char(
        string="Amazon Order Reference", required=True, help="e.g. 123-1234567-1234567"
    )

    def action_recover(self):
        self.ensure_one()
        self.account_id._check_can_operate()
        ref = self.amazon_order_ref.strip()
        try:
            result = self.env["amazon.order.import"]._recover(self.account_id, [ref])
        except SpApiNotFoundError:
            raise UserError(_("Amazon knows no order %(ref)s for this account.", ref=ref)) from None
        except SpApiError as error:
            raise UserError(self.account_id._explain(error)) from None
        if result.failed:
            failure = self.env["amazon.order.failure"].search(
                [("account_id", "=", self.account_id.id), ("amazon_order_ref", "=", ref)]
            )
            raise UserError(
                _("Order %(ref)s could not be imported: %(reason)s", ref=ref, reason=failure.reason)
            )
        order = self.env["sale.order"].search(
            [("amazon_account_id", "=", self.account_id.id), ("amazon_order_ref", "=", ref)]
        )
        if not order:
            raise UserError(
                _(
                    "Order %(ref)s is not imported: Amazon reports it as not ready (pending) "
                    "or as finished before it reached Odoo.",
                    ref=ref,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": order.id,
            "view_mode": "form",
        }
