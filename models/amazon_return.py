import hashlib

from odoo import _, api, fields, models

from ..mapping.checks import safe_text
from .flow_run import FlowRun


class AmazonReturn(models.Model):
    """One customer return as Amazon reports it, and what Odoo booked for it."""

    _name = "amazon.return"
    _description = "Amazon Customer Return"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "returned_at desc, id desc"
    _rec_name = "amazon_order_ref"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    key = fields.Char(required=True, index=True, readonly=True)
    channel = fields.Selection(
        [("fba", "Fulfilled by Amazon"), ("fbm", "Fulfilled by Merchant")],
        required=True,
        readonly=True,
    )
    amazon_order_ref = fields.Char(string="Amazon Order", required=True, index=True, readonly=True)
    sku = fields.Char(string="SKU", readonly=True)
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    returned_at = fields.Datetime(
        string="Returned On",
        readonly=True,
        help="FBA: when Amazon's centre received the unit. Merchant-fulfilled: when the "
        "buyer asked for the return.",
    )
    disposition = fields.Char(readonly=True, help="FBA: Amazon's verdict on the unit.")
    reason = fields.Char(readonly=True)
    amazon_status = fields.Char(string="Amazon Status", readonly=True)
    rma = fields.Char(string="Amazon RMA", readonly=True)
    license_plate = fields.Char(string="License Plate Number", readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index=True)
    sale_line_id = fields.Many2one("sale.order.line", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    move_id = fields.Many2one("stock.move", string="Return Move", readonly=True)
    picking_id = fields.Many2one("stock.picking", string="Return", readonly=True)
    location_dest_id = fields.Many2one("stock.location", string="Returned To", readonly=True)
    credit_note_id = fields.Many2one(
        "account.move",
        readonly=True,
        help="The credit note of Amazon's refund for this return (from its transactions).",
    )
    state = fields.Selection(
        [
            ("waiting", "Waiting for the Order"),
            ("booked", "Booked"),
            ("to_check", "To Check"),
        ],
        default="waiting",
        required=True,
        index=True,
        tracking=True,
    )
    note = fields.Text(readonly=True)

    _sql_constraints = [
        ("key_uniq", "UNIQUE(account_id, key)", "This Amazon return is already recorded."),
    ]

    def action_retry(self):
        """Book these returns again (after the order came in or was fixed)."""
        self.check_access("write")  # the booking runs as the system
        for account in self.account_id:
            returns = self.filtered(lambda r, a=account: r.account_id == a and r.state != "booked")
            flow = self.env["amazon.return.import"]
            run = FlowRun(account, None)
            flow.with_env(run.env)._book(run, returns.with_env(run.env))
        return True

    # --- the returns flow (amazon.return.import) ----------------------------------------------
    @api.model
    def _prepare_amazon_values(self, account, fba, item):
        """A return of Amazon's report (mapping.returns.FbaReturn, FbmReturn)."""
        values = {
            "account_id": account.id,
            "key": item.key,
            "channel": "fba" if fba else "fbm",
            "amazon_order_ref": item.order_ref,
            "sku": item.sku,
            "quantity": item.quantity,
            "reason": item.reason,
            "amazon_status": item.status,
        }
        if fba:
            values.update(
                returned_at=item.returned_at,
                disposition=item.disposition,
                license_plate=item.license_plate,
            )
        else:
            values.update(returned_at=item.requested_at, rma=item.rma)
        return values

    @api.model
    def _prepare_unreadable_values(self, account, fba, row, error):
        """A row kept as it was (shown, never stored raw: its texts may be what
        the database refuses), with why."""
        digest = hashlib.sha1(repr(sorted(row.items(), key=repr)).encode()).hexdigest()[:16]
        return {
            "account_id": account.id,
            "key": f"unreadable|{digest}",
            "channel": "fba" if fba else "fbm",
            "amazon_order_ref": safe_text(
                row.get("order-id") or row.get("Order ID") or row.get("amazon_order_ref"), "?"
            ),
            "sku": safe_text(row.get("sku") or row.get("Merchant SKU"), False),
            "state": "to_check",
            "note": _(
                "Amazon's report row could not be read (%(error)s): %(row)s",
                error=error,
                row=repr(row)[:1000],
            ),
        }
