from odoo import _, api, fields, models


class AmazonOrderFailure(models.Model):
    """An Amazon order that could not be imported: kept with its payload and
    the reason, retried by every sync until it goes through."""

    _name = "amazon.order.failure"
    _description = "Amazon Order Import Failure"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "last_failure desc, id desc"
    _rec_name = "amazon_order_ref"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    amazon_order_ref = fields.Char(string="Amazon Order", required=True, index=True)
    reason = fields.Text(required=True)
    # The buyer's name and address are in it: sales managers only (the import
    # reads and writes it as the system).
    payload = fields.Text(
        help="The order as Amazon sent it (JSON).", groups="sales_team.group_sale_manager"
    )
    attempts = fields.Integer(default=1)
    first_failure = fields.Datetime(default=fields.Datetime.now, readonly=True)
    last_failure = fields.Datetime(default=fields.Datetime.now, readonly=True)

    _sql_constraints = [
        (
            "order_uniq",
            "UNIQUE(account_id, amazon_order_ref)",
            "This Amazon order already has a failure record.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        failures = super().create(vals_list)
        # One activity per failed order, at its first failure only.
        for failure in failures:
            failure.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=_("Amazon order %(ref)s not imported", ref=failure.amazon_order_ref),
                note=failure.reason,
                user_id=(failure.account_id.responsible_id or self.env.user).id,
            )
        return failures

    @api.model
    def _erase_old_payloads(self, before):
        """Buyer data is not kept for orders that keep failing: past the
        anonymization period the payload goes, and the retry fetches the
        order from Amazon again."""
        self.sudo().search(
            [("payload", "!=", False), ("first_failure", "<", before)]
        ).payload = False

    def action_retry(self):
        """Import these orders again now (fetched anew from Amazon)."""
        self.check_access("write")  # the import runs as the system
        for account in self.account_id:
            failures = self.filtered(lambda f, a=account: f.account_id == a)
            self.env["amazon.order.import"]._recover(account, failures.mapped("amazon_order_ref"))
        return True
