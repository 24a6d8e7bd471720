import hashlib
import json

from odoo import _, api, fields, models

from ..mapping import missing_datasets


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
    # Tried by this many runs: the syncs leave it to a person (Retry Now).
    set_aside = fields.Boolean(
        readonly=True,
        help="The synchronizations tried this order several times and no longer do: "
        "fix what the reason says, then Retry Now.",
    )
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

    @api.model
    def _amazon_record(self, account, ref, reason, payload, attempts):
        """Record (or count again) the failure of order ``ref``; past
        ``attempts`` tries it is set aside."""
        failure = self.search([("account_id", "=", account.id), ("amazon_order_ref", "=", ref)])
        values = {
            "reason": reason,
            "payload": json.dumps(payload, indent=1, sort_keys=True, default=repr),
            "last_failure": fields.Datetime.now(),
        }
        if failure:
            failure.write({**values, "attempts": failure.attempts + 1})
            failure._set_aside_after(attempts)
            return failure
        return self.create({**values, "account_id": account.id, "amazon_order_ref": ref})

    @api.model
    def _amazon_to_retry(self, account, attempts, limit=100):
        """(payloads, refs): the account's failed orders the syncs still retry
        (fewer than ``attempts`` tries), from their payload, or by their ref
        when the payload is useless (kept without a needed dataset, or erased
        with the buyer's data): those are fetched anew."""
        payloads, stale = [], []
        failures = self.search(
            [("account_id", "=", account.id), ("attempts", "<", attempts)], limit=limit
        )
        for failure in failures:
            try:
                payload = json.loads(failure.payload or "null")
            except ValueError:
                payload = None
            if isinstance(payload, dict) and not missing_datasets(payload):
                payloads.append(payload)
            elif not failure.amazon_order_ref.startswith("?"):  # "?": no usable order id
                stale.append(failure.amazon_order_ref)
        return payloads, stale

    @api.model
    def _amazon_unnamed_ref(self, payload):
        """The name of a failed order without a usable order id: "?" and a
        digest of the payload, one failure record per distinct payload."""
        text = json.dumps(payload, sort_keys=True, default=repr)
        return "?" + hashlib.sha1(text.encode()).hexdigest()[:10]

    def _set_aside_after(self, attempts):
        """Past ``attempts`` tries, the syncs stop retrying the order and its
        activity says so."""
        for failure in self.filtered(lambda f: not f.set_aside and f.attempts >= attempts):
            failure.set_aside = True
            failure.message_post(
                body=_(
                    "Tried %(count)s times: the synchronizations no longer retry this order. "
                    "Fix what the reason says, then use Retry Now.",
                    count=failure.attempts,
                )
            )

    def action_retry(self):
        """Import these orders again now (fetched anew from Amazon). A failure
        without a usable order id ("?") has nothing to fetch."""
        self.check_access("write")  # the import runs as the system
        for account in self.account_id:
            refs = [
                failure.amazon_order_ref
                for failure in self
                if failure.account_id == account and not failure.amazon_order_ref.startswith("?")
            ]
            if refs:
                self.env["amazon.order.import"]._recover(account, refs)
        return True
