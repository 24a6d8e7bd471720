"""An account's subscriptions to Amazon's notifications, as Amazon answered
createSubscription: what the account's Notifications tab shows, and what its
Remove button deletes."""

from odoo import fields, models

from ..mapping.notifications import FEED_FINISHED, FULFILLMENT_STATUS, ORDER_CHANGE, REPORT_FINISHED


class AmazonNotificationSubscription(models.Model):
    _name = "amazon.notification.subscription"
    _description = "Amazon Notification Subscription"
    _order = "account_id, notification_type"
    _rec_name = "notification_type"

    account_id = fields.Many2one(
        "amazon.account", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    notification_type = fields.Selection(
        [
            (ORDER_CHANGE, "Order Changes"),
            (FEED_FINISHED, "Feeds Processed"),
            (REPORT_FINISHED, "Reports Done"),
            (FULFILLMENT_STATUS, "Multi-Channel Fulfillment Orders"),
        ],
        required=True,
        readonly=True,
    )
    payload_version = fields.Char(readonly=True)
    subscription_ref = fields.Char(string="Subscription ID", required=True, readonly=True)
    destination_ref = fields.Char(string="Destination ID", readonly=True)

    _sql_constraints = [
        (
            "account_type_unique",
            "unique(account_id, notification_type)",
            "An account subscribes once to a notification type.",
        )
    ]
