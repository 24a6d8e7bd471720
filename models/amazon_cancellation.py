from odoo import _, api, fields, models

from ..mapping.cancellations import CANCEL_REASONS, Cancellation

# Amazon's reason codes and what a seller reads (translated by Odoo).
REASON_LABELS = {
    "NoInventory": "Out of stock",
    "ShippingAddressUndeliverable": "Shipping address undeliverable",
    "CustomerExchange": "Customer exchange",
    "BuyerCanceled": "Buyer cancelled",
    "GeneralAdjustment": "General adjustment",
    "CarrierCreditDecision": "Carrier credit decision",
    "RiskAssessmentInformationNotValid": "Risk assessment information not valid",
    "CarrierCoverageFailure": "Carrier coverage failure",
    "CustomerReturn": "Customer return",
    "MerchandiseNotReceived": "Merchandise not received",
}


class AmazonCancellation(models.Model):
    """A seller's cancellation of an Amazon order (or of whole items of it),
    told to Amazon by the cancellations flow (amazon_cancellation_export.py)
    in its marketplace's next cancellation feed."""

    _name = "amazon.cancellation"
    _description = "Amazon Cancellation"
    _order = "id desc"
    _check_company_auto = True

    order_id = fields.Many2one(
        "sale.order",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    account_id = fields.Many2one(related="order_id.amazon_account_id", store=True, index=True)
    marketplace_id = fields.Many2one(related="order_id.amazon_marketplace_id", store=True)
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    line_ids = fields.Many2many(
        "sale.order.line", string="Items", readonly=True, check_company=True
    )
    reason = fields.Selection(
        [(code, REASON_LABELS[code]) for code in CANCEL_REASONS], required=True, readonly=True
    )
    state = fields.Selection(
        [
            ("to_send", "To Send"),
            # Committed before Amazon is asked: a run that dies while sending
            # leaves it here, never sent a second time (a person checks).
            ("sending", "Sending"),
            ("sent", "Cancellation Sent"),
            ("done", "Cancelled on Amazon"),
            ("refused", "Refused by Amazon"),
        ],
        default="to_send",
        required=True,
        readonly=True,
        index=True,
    )
    feed_ref = fields.Char(string="Amazon Feed", readonly=True, copy=False)
    error = fields.Text(readonly=True)

    def _prepare_rows(self):
        """The feed's rows: one per cancelled item."""
        return [
            Cancellation(record.order_id.amazon_order_ref, line.amazon_item_ref, record.reason)
            for record in self
            for line in record.line_ids
        ]

    def _amazon_refused(self, reason):
        """Amazon said no: the order says why, and its salesperson gets an activity."""
        self.write({"state": "refused", "error": reason})
        for record in self:
            order = record.order_id
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=_("Cancellation refused by Amazon"),
                note=_(
                    "Amazon refused the cancellation of order %(ref)s: %(reason)s",
                    ref=order.amazon_order_ref,
                    reason=reason,
                ),
                user_id=(order.user_id or order.amazon_account_id.responsible_id).id,
            )

    @api.model
    def _state_label(self, state):
        return dict(self._fields["state"]._description_selection(self.env)).get(state, state)
