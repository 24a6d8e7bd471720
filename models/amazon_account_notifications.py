"""An account's notifications: subscribing it to Amazon's notifications
(the Notifications API: the company's queue as the app's destination, then
the seller's subscriptions), removing them, and whether they are healthy.

While they are, the order cron polls the account less often (polling stays
the safety net); when orders keep arriving by polling and none by the queue,
the account says its queue is silent."""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.notifications import (
    FEED_FINISHED,
    FULFILLMENT_STATUS,
    ORDER_CHANGE,
    ORDER_CHANGE_TYPES,
    REPORT_FINISHED,
    SUBSCRIBED_TYPES,
)
from ..spapi import SpApiError, SpApiRequestError

# A queue read within this is being consumed.
CONSUMED_WITHIN = timedelta(minutes=10)
# How often the order cron polls an account whose notifications are healthy.
HEALTHY_POLL_INTERVAL = timedelta(hours=1)
# Notified orders still waiting this long make the account due for polling
# (searchOrders sees no order updated in the last two minutes).
BACKLOG_AFTER = timedelta(minutes=2)
# Orders polling imported this long after the last notification: silent.
SILENT_AFTER = timedelta(hours=1)


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    notify_feeds_reports = fields.Boolean(
        string="Feed and Report Notifications",
        help="Also subscribe to Amazon's notices that a feed or a report is done, so that "
        "the flows waiting on them (stock, invoices, cancellations, returns) go on at once.",
    )
    # Sales managers' (the account's Notifications tab); everyone else reads
    # the state below, which the account computes as the system.
    notification_subscription_ids = fields.One2many(
        "amazon.notification.subscription",
        "account_id",
        string="Subscriptions",
        readonly=True,
        groups="sales_team.group_sale_manager",
    )
    last_notification_date = fields.Datetime(string="Last Notification", readonly=True, copy=False)
    notifications_state = fields.Selection(
        [
            ("off", "Polling Only"),
            ("healthy", "Notifications"),
            ("unread", "Queue Not Read"),
            ("silent", "Queue Silent"),
        ],
        compute="_compute_notifications_state",
        string="Notifications",
    )

    @api.depends(
        "notification_subscription_ids", "last_notification_date", "company_id.amazon_sqs_polled"
    )
    def _compute_notifications_state(self):
        now = fields.Datetime.now()
        newest = self._amazon_newest_orders()
        for account in self:
            # Salesmen and the warehouse see the state on the dashboard, not the
            # subscriptions: read as the system.
            subscriptions = account.sudo().notification_subscription_ids
            subscribed = ORDER_CHANGE in subscriptions.mapped("notification_type")
            polled = account.company_id.sudo().amazon_sqs_polled
            since = account.last_notification_date or min(
                subscriptions.mapped("create_date") or [now]
            )
            if not subscribed:
                account.notifications_state = "off"
            elif not polled or now - polled > CONSUMED_WITHIN:
                account.notifications_state = "unread"
            elif newest.get(account.id) and newest[account.id] - since > SILENT_AFTER:
                account.notifications_state = "silent"
            else:
                account.notifications_state = "healthy"

    def _amazon_newest_orders(self):
        """{account id: when its newest Amazon order came into Odoo}, one query."""
        if not self.ids:
            return {}
        groups = (
            self.env["sale.order"]
            .sudo()
            ._read_group(
                [("amazon_account_id", "in", self.ids)],
                ["amazon_account_id"],
                ["create_date:max"],
            )
        )
        return {account.id: newest for account, newest in groups}

    def _amazon_polling_due(self):
        """The accounts the order cron polls now: all, but those whose
        notifications are healthy and that polled within HEALTHY_POLL_INTERVAL,
        unless orders of theirs wait for Amazon's getOrder plan (notified more
        than two minutes ago: searchOrders sees them, a page of 100 a call)."""
        now = fields.Datetime.now()
        waiting = {
            account.id
            for [account] in self.env["amazon.notification"]
            .sudo()
            ._read_group(
                [
                    ("account_id", "in", self.ids),
                    ("state", "=", "received"),
                    ("create_date", "<", now - BACKLOG_AFTER),
                ],
                ["account_id"],
            )
        }
        return self.filtered(
            lambda account: (
                account.id in waiting
                or not account.last_orders_sync
                or now - account.last_orders_sync >= HEALTHY_POLL_INTERVAL
                or account.notifications_state != "healthy"
            )
        )

    # --- set-up -----------------------------------------------------------------------------
    def _amazon_wanted_subscriptions(self):
        """{notification type: processing directive} the account subscribes to."""
        self.ensure_one()
        wanted = {
            # Only the changes Odoo acts on, in the account's marketplaces.
            ORDER_CHANGE: {
                "eventFilter": {
                    "eventFilterType": ORDER_CHANGE,
                    "orderChangeTypes": list(ORDER_CHANGE_TYPES),
                    "marketplaceIds": self.marketplace_ids.mapped("api_ref"),
                }
            }
        }
        if self.notify_feeds_reports:
            wanted.update({FEED_FINISHED: None, REPORT_FINISHED: None})
        if self.mcf_enabled:
            wanted[FULFILLMENT_STATUS] = None  # MCF deliveries followed in seconds
        return wanted

    def action_subscribe_notifications(self):
        """Amazon sends this account's notifications to the company's queue."""
        self._check_can_operate()
        self.ensure_one()
        if not self.marketplace_ids:
            raise UserError(_("Choose the marketplaces of %(account)s first.", account=self.name))
        queue = self.company_id._amazon_notification_queue()
        if queue is None:
            raise UserError(
                _(
                    "Set the notifications queue first (Settings > Sales > Amazon Connector "
                    "> Notifications Queue)."
                )
            )
        adapter = self._get_adapter()
        try:
            destination_ref = self._amazon_destination(adapter, queue)
            self._amazon_subscribe(adapter, destination_ref)
        except SpApiError as error:
            raise UserError(self._explain(error)) from None
        finally:
            adapter.close()
        return self._amazon_notify_done(
            _("Amazon now sends %(account)s's notifications to the queue.", account=self.name)
        )

    def _amazon_destination(self, adapter, queue):
        """Amazon's destination for the company's queue: the app's own if it
        has one already (a queue is one destination), else a new one."""
        company = self.company_id.sudo()
        existing = {
            (d.get("resource") or {}).get("sqs", {}).get("arn"): d["destinationId"]
            for d in adapter.get_destinations()
        }
        destination_ref = existing.get(queue.arn)
        if not destination_ref:
            name = f"Odoo {company.name}"[:256]
            destination_ref = adapter.create_destination(name, queue.arn)["destinationId"]
        company.amazon_notification_destination_ref = destination_ref
        return destination_ref

    def _amazon_subscribe(self, adapter, destination_ref):
        Subscription = self.env["amazon.notification.subscription"].sudo()
        current = {s.notification_type: s for s in self.sudo().notification_subscription_ids}
        for kind, directive in self._amazon_wanted_subscriptions().items():
            if kind in current and current[kind].destination_ref == destination_ref:
                continue
            version = SUBSCRIBED_TYPES[kind]
            try:
                answer = adapter.create_subscription(kind, destination_ref, version, directive)
            except SpApiRequestError as error:
                if error.status != 409:
                    raise
                # Subscribed already (by another Odoo, or before a restore): read it.
                answer = adapter.get_subscription(kind, version)
            if kind in current:
                current[kind].unlink()
            Subscription.create(
                {
                    "account_id": self.id,
                    "notification_type": kind,
                    "payload_version": answer.get("payloadVersion") or version,
                    "subscription_ref": answer["subscriptionId"],
                    "destination_ref": answer.get("destinationId") or destination_ref,
                }
            )

    def action_unsubscribe_notifications(self):
        """Amazon stops sending this account's notifications; polling goes on."""
        self._check_can_operate()
        self.ensure_one()
        subscriptions = self.sudo().notification_subscription_ids
        if not subscriptions:
            return self._amazon_notify_done(
                _("%(account)s has no subscription.", account=self.name)
            )
        adapter = self._get_adapter()
        try:
            for subscription in subscriptions:
                try:
                    adapter.delete_subscription(
                        subscription.notification_type, subscription.subscription_ref
                    )
                except SpApiRequestError as error:
                    if error.status != 404:  # gone already: nothing to remove
                        raise
                subscription.unlink()
        except SpApiError as error:
            raise UserError(self._explain(error)) from None
        finally:
            adapter.close()
        return self._amazon_notify_done(
            _("Amazon no longer sends %(account)s's notifications.", account=self.name)
        )

    def _amazon_notify_done(self, message):
        return self.env["amazon.flow"]._notify(
            _("Amazon Notifications"), message, "success", reload=True
        )
