from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError


class AccountMove(models.Model):
    _inherit = "account.move"

    # Upload to Amazon (amazon_invoice_upload.py), set when the invoice of an
    # order of an account uploading its invoices is posted.
    amazon_upload_state = fields.Selection(
        [
            ("to_upload", "To Upload"),
            ("sending", "Sending"),
            ("sent", "Sent, Waiting for Amazon"),
            ("done", "Uploaded"),
            ("error", "Refused"),
        ],
        string="Amazon Upload",
        copy=False,
        readonly=True,
        index="btree_not_null",
        tracking=True,
        help="Where the seller issues its own invoices (Amazon's VAT program), Amazon shows "
        "the buyer the invoice uploaded here.",
    )
    amazon_upload_account_id = fields.Many2one(
        "amazon.account", string="Uploaded To", copy=False, readonly=True, index="btree_not_null"
    )
    amazon_upload_marketplace_id = fields.Many2one(
        "amazon.marketplace", string="Amazon Marketplace", copy=False, readonly=True
    )
    amazon_upload_order_ref = fields.Char(string="Amazon Order", copy=False, readonly=True)
    amazon_upload_feed_ref = fields.Char(string="Amazon Feed", copy=False, readonly=True)
    amazon_upload_date = fields.Datetime(string="Sent to Amazon On", copy=False, readonly=True)
    amazon_upload_error = fields.Text(string="Amazon Upload Error", copy=False, readonly=True)
    # Amazon's own invoice this vendor bill books (amazon_fee_invoice_import.py).
    amazon_fee_invoice_ref = fields.Char(
        string="Amazon Invoice", copy=False, readonly=True, index="btree_not_null"
    )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._amazon_mark_for_upload()
        return posted

    def _amazon_mark_for_upload(self):
        """Invoices and credit notes of Amazon orders whose account uploads its
        invoices, in a marketplace of Amazon's VAT program: To Upload. Posted
        again after a change, one already sent to Amazon stays as it is."""
        upload = self.env["amazon.invoice.upload"]
        # Read as the system (who posts may not read the order), the moves as
        # one recordset: their lines and orders are read in batches.
        moves = self.sudo().filtered(
            lambda m: (
                m.move_type in ("out_invoice", "out_refund")
                and m.amazon_upload_state in (False, "to_upload", "error")
            )
        )
        if not moves or not self.env["amazon.account"].sudo().search_count(
            [("upload_invoices", "=", True)], limit=1
        ):
            return
        for move in moves:
            sale = move.invoice_line_ids.sale_line_ids.order_id[:1]
            account, marketplace = sale.amazon_account_id, sale.amazon_marketplace_id
            order_ref = sale.amazon_order_ref
            reversed_move = move.reversed_entry_id
            if not order_ref and reversed_move.amazon_upload_order_ref:
                # A credit note reversing an uploaded invoice, not linked to the order.
                account = reversed_move.amazon_upload_account_id
                marketplace = reversed_move.amazon_upload_marketplace_id
                order_ref = reversed_move.amazon_upload_order_ref
            if (
                account.upload_invoices
                and order_ref
                and upload._marketplace_takes_invoices(marketplace)
            ):
                move.write(
                    {
                        "amazon_upload_state": "to_upload",
                        "amazon_upload_account_id": account.id,
                        "amazon_upload_marketplace_id": marketplace.id,
                        "amazon_upload_order_ref": order_ref,
                        "amazon_upload_error": False,
                    }
                )

    def action_amazon_upload_again(self):
        """After a refusal: upload the invoice at the next run."""
        if not self.env.user.has_group("account.group_account_invoice"):
            raise AccessError(_("Only invoicing users upload invoices to Amazon again."))
        for move in self:
            if move.amazon_upload_state != "error":
                raise UserError(_("Only an invoice Amazon refused is uploaded again."))
        self.sudo().write({"amazon_upload_state": "to_upload", "amazon_upload_error": False})
        return True

    def _amazon_order_invoices(self):
        """Invoices and credit notes of Amazon orders (read as the system: an
        accountant may not read the orders)."""
        return self.filtered(
            lambda move: move.sudo().invoice_line_ids.sale_line_ids.order_id.amazon_account_id
        )

    def _amazon_buyer_invoices(self):
        """Invoices addressed to an Amazon buyer, or of an Amazon order (whose
        buyer may be the shared "Amazon Customer" of orders without personal
        data): read as the system, an accountant may not read the buyer."""
        return (
            self.filtered(lambda move: move.sudo().partner_id.commercial_partner_id.amazon_buyer)
            | self._amazon_order_invoices()
        )

    def _fetch_duplicate_reference(self, matching_states=("draft", "posted")):
        # Two Amazon orders of one amount on one day (often both the shared
        # "Amazon Customer"'s) are no duplicates: each order is invoiced once.
        duplicates = super()._fetch_duplicate_reference(matching_states)
        amazon = self._amazon_order_invoices()
        return {move: found for move, found in duplicates.items() if move not in amazon}

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
