"""Amazon's notifications as Odoo received them: one record per
NotificationId and company, so that a message SQS delivers twice is done
once, and a message Odoo cannot use (poison) is listed with its reason while
the queue's redrive policy takes it away."""

from odoo import _, api, fields, models

from ..mapping.notifications import SUBSCRIBED_TYPES, message_id

STATES = [
    ("received", "Received"),  # read, its work not committed yet
    ("done", "Done"),
    ("ignored", "Not for Odoo"),  # valid, but nothing to do (another seller, a change not followed)
    ("failed", "Failed"),  # poison, or its order could not be read: left in the queue
]
# What a message that was done (or needs nothing) is, when it comes again.
FINISHED = ("done", "ignored")


class AmazonNotification(models.Model):
    _name = "amazon.notification"
    _description = "Amazon Notification"
    _order = "id desc"
    _rec_name = "notification_ref"

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    account_id = fields.Many2one(
        "amazon.account", index="btree_not_null", readonly=True, check_company=True
    )
    notification_ref = fields.Char(string="Notification ID", required=True, readonly=True)
    message_ref = fields.Char(string="SQS Message ID", readonly=True)
    notification_type = fields.Char(readonly=True)
    event_time = fields.Char(readonly=True)
    order_ref = fields.Char(string="Amazon Order", readonly=True, index="btree_not_null")
    change_date = fields.Datetime(string="Order Changed", readonly=True)
    state = fields.Selection(STATES, required=True, default="received", readonly=True)
    reason = fields.Text(readonly=True)
    receive_count = fields.Integer(string="Received", default=1, readonly=True)
    done_date = fields.Datetime(readonly=True)

    _sql_constraints = [
        (
            "notification_company_unique",
            "unique(company_id, notification_ref)",
            "A notification is recorded once per company.",
        )
    ]

    @api.model
    def _amazon_receive(self, company, items, accounts):
        """Record what a receive brought: ``items`` [(message, Notification or
        None, reason or None)], ``accounts`` {seller id: account}. Returns
        {message id: record}; a message seen before keeps its record (its
        count grows), so one already finished is a duplicate."""
        refs = {item[0].message_id: self._amazon_ref(*item[:2]) for item in items}
        known = {
            record.notification_ref: record
            for record in self.search(
                [("company_id", "=", company.id), ("notification_ref", "in", list(refs.values()))]
            )
        }
        records = {}
        for message, notification, reason in items:
            ref = refs[message.message_id]
            record = known.get(ref)
            if record is not None:
                record.receive_count = max(record.receive_count, message.receive_count)
                if reason and record.state not in FINISHED:
                    record.write({"state": "failed", "reason": reason})
                elif not reason and record.state == "failed":
                    record.state = "received"  # its order could not be read: try again
            else:
                record = known[ref] = self.create(
                    self._prepare_values(company, message, notification, reason, accounts, ref)
                )
            records[message.message_id] = record
        return records

    @api.model
    def _amazon_ref(self, message, notification):
        if notification is not None:
            return notification.notification_id
        return message_id(message.body) or f"sqs:{message.message_id}"

    @api.model
    def _prepare_values(self, company, message, notification, reason, accounts, ref):
        values = {
            "company_id": company.id,
            "notification_ref": ref,
            "message_ref": message.message_id,
            "receive_count": message.receive_count,
        }
        if notification is None:
            return dict(values, state="failed", reason=reason)
        account = accounts.get(notification.seller_ref)
        values.update(
            notification_type=notification.notification_type,
            event_time=notification.event_time,
            order_ref=notification.order_ref or False,
            change_date=notification.change_time or False,
            account_id=account.id if account else False,
        )
        why_not = self._why_ignored(notification, account)
        if why_not:
            values.update(state="ignored", reason=why_not, done_date=fields.Datetime.now())
        return values

    @api.model
    def _why_ignored(self, notification, account):
        """Why a valid notification needs nothing of Odoo, or None."""
        from ..mapping.notifications import ORDER_CHANGE, ORDER_CHANGE_TYPES  # noqa: PLC0415

        if notification.notification_type not in SUBSCRIBED_TYPES:
            return _("Odoo does not follow %(type)s.", type=notification.notification_type)
        if account is None:
            if notification.notification_type != ORDER_CHANGE and not notification.seller_ref:
                return None  # a feed or report of the app: who waits on it finds out
            return _(
                "No linked account of this company sells as %(seller)s.",
                seller=notification.seller_ref or "?",
            )
        if (
            notification.notification_type == ORDER_CHANGE
            and notification.change_type not in ORDER_CHANGE_TYPES
        ):
            return _("A %(change)s needs nothing of Odoo.", change=notification.change_type)
        return None

    def _amazon_done(self):
        self.write({"state": "done", "reason": False, "done_date": fields.Datetime.now()})

    def _amazon_failed(self, reason):
        self.write({"state": "failed", "reason": reason})
