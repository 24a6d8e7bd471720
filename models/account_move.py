from odoo import _, models
from odoo.exceptions import UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    def _amazon_buyer_invoices(self):
        """Invoices addressed to an Amazon buyer (read as the system: an
        accountant may not read the buyer's contact)."""
        return self.filtered(lambda move: move.sudo().partner_id.commercial_partner_id.amazon_buyer)

    def message_subscribe(self, partner_ids=None, subtype_ids=None):
        # Posting an invoice makes its customer a follower, who then gets its
        # messages by mail: never an Amazon buyer (Amazon's relay addresses;
        # Amazon forbids contacting buyers outside its messaging).
        if partner_ids and self._amazon_buyer_invoices():
            buyers = (
                self.env["res.partner"]
                .sudo()
                .browse(partner_ids)
                .filtered(lambda partner: partner.commercial_partner_id.amazon_buyer)
            )
            partner_ids = [pid for pid in partner_ids if pid not in buyers.ids]
        return super().message_subscribe(partner_ids=partner_ids, subtype_ids=subtype_ids)

    def _amazon_check_not_sent(self):
        if self._amazon_buyer_invoices():
            raise UserError(
                _(
                    "Invoices of Amazon orders are never emailed: the buyer's address is "
                    "Amazon's relay, and Amazon forbids contacting buyers outside its "
                    "messaging. Print or download the invoice instead."
                )
            )

    def action_send_and_print(self):
        self._amazon_check_not_sent()
        return super().action_send_and_print()

    def action_invoice_sent(self):
        self._amazon_check_not_sent()
        return super().action_invoice_sent()
