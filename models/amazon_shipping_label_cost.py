"""What a Buy Shipping label costs, in the accounts.

Amazon takes the label's price from the seller's payout (financesV0:
"PostageBilling: The amount paid by a seller for shipping labels") and gives
it back when the label is cancelled ("PostageRefund"). Bought, the label is
Amazon's vendor bill for its price, on the expense account of the shipping
method's product (as Odoo books what a delivery costs); cancelled, that bill's
credit note. The payout import (amazon_payout_booking.py) then finds Amazon's
charge of the same label and books it on Amazon's payable, reconciled with the
bill: paid, never an expense twice. A label whose bill could not be made (no
purchase journal...) is said on the delivery; its charge is then booked by the
payout as Amazon's other fees are.
"""

import logging

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class AmazonShippingLabel(models.Model):
    _inherit = "amazon.shipping.label"

    bill_id = fields.Many2one(
        "account.move",
        string="Vendor Bill",
        readonly=True,
        check_company=True,
        groups="account.group_account_invoice",
        index="btree_not_null",
    )
    refund_bill_id = fields.Many2one(
        "account.move",
        string="Vendor Credit Note",
        readonly=True,
        check_company=True,
        groups="account.group_account_invoice",
    )

    def _record(self, picking, package, purchase, rate_values, key):
        label = super()._record(picking, package, purchase, rate_values, key)
        label._book_cost()
        return label

    def _cancel(self):
        bought = self.filtered(lambda label: label.state == "bought")
        super()._cancel()
        bought.filtered(lambda label: label.state == "cancelled")._book_refund()

    def _book_cost(self):
        """The label's price as Amazon's vendor bill; a failure is said on the
        delivery and never undoes the label Amazon sold."""
        for label in self:
            try:
                with self.env.cr.savepoint():
                    bill = self.env["account.move"].create(label._prepare_bill_values())
                    bill.action_post()
                    label.bill_id = bill
            except Exception as error:  # any error, the database's too: the bill's only
                _logger.warning("Amazon label %s: no vendor bill: %s", label.tracking_ref, error)
                label.picking_id._amazon_note(
                    _(
                        "The cost of Amazon label %(tracking)s could not be booked as Amazon's "
                        "vendor bill (%(error)s): the payout books Amazon's charge as a fee.",
                        tracking=label.tracking_ref,
                        error=error,
                    )
                )

    def _prepare_bill_values(self):
        """Amazon's vendor bill of the label's price (a hook)."""
        self.ensure_one()
        company = self.company_id
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "purchase")], limit=1
        )
        if not journal:
            raise UserError(_("The company has no purchase journal."))
        product = self.picking_id.carrier_id.product_id
        return {
            "move_type": "in_invoice",
            "company_id": company.id,
            "journal_id": journal.id,
            "partner_id": company._amazon_get_vendor().id,
            "ref": _("Amazon label %(tracking)s", tracking=self.tracking_ref),
            "invoice_origin": self.picking_id.name,
            "invoice_date": fields.Date.context_today(self),
            "currency_id": self.currency_id.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": product.id,
                        "name": _(
                            "%(carrier)s %(service)s label %(tracking)s (%(picking)s)",
                            carrier=self.carrier_name,
                            service=self.service_name,
                            tracking=self.tracking_ref,
                            picking=self.picking_id.name,
                        ),
                        "quantity": 1,
                        "price_unit": self.amount,
                        # The price Amazon takes from the payout, as it is.
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }

    def _book_refund(self):
        """The credit note of a cancelled label's bill (Amazon pays it back)."""
        for label in self.filtered(lambda label: label.bill_id.state == "posted"):
            refund = label.bill_id._reverse_moves(
                [
                    {
                        "ref": _(
                            "Amazon label %(tracking)s cancelled", tracking=label.tracking_ref
                        ),
                        "invoice_date": fields.Date.context_today(self),
                    }
                ]
            )
            refund.action_post()
            label.refund_bill_id = refund

    @api.model
    def _charges_of(self, transactions):
        """The labels ``transactions`` may charge (by shipment or by order):
        one query for a payout's transactions."""
        shipments = [ref for ref in transactions.mapped("shipment_ref") if ref]
        sales = transactions.sale_order_id
        return self.search(
            [
                ("bill_id", "!=", False),
                "|",
                ("shipment_ref", "in", shipments),
                ("picking_id.sale_id", "in", sales.ids),
            ]
        )
