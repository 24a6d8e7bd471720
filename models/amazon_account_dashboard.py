"""The account's dashboard: its figures and the lists they open.

Presentation only, in its own file: the account (amazon_account.py) is the
seller's link and settings; what happened is read from the flows' records
(sync logs, orders, deliveries, offers), in a few grouped queries.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta

import pytz

from odoo import _, fields, models
from odoo.exceptions import AccessError

from . import flow_kinds


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    order_failure_count = fields.Integer(compute="_compute_order_counts")
    last_orders_success = fields.Datetime(compute="_compute_dashboard")
    last_orders_state = fields.Selection(
        [("done", "Done"), ("partial", "Done with Failures"), ("failed", "Failed")],
        string="Outcome of the Last Order Sync",
        compute="_compute_dashboard",
    )
    last_orders_failed = fields.Integer(
        string="Orders Failed in the Last Sync", compute="_compute_dashboard"
    )
    last_shipments_success = fields.Datetime(compute="_compute_dashboard")
    last_stock_success = fields.Datetime(compute="_compute_dashboard")
    orders_today = fields.Integer(compute="_compute_dashboard")
    orders_week = fields.Integer(compute="_compute_dashboard")
    pickings_waiting = fields.Integer(compute="_compute_dashboard")
    pickings_failed = fields.Integer(compute="_compute_dashboard")
    offers_in_error = fields.Integer(compute="_compute_dashboard")
    pickings_ship_today = fields.Integer(
        string="To Ship Today",
        compute="_compute_dashboard",
        help="Open deliveries whose Amazon ship-by date ends today.",
    )
    pickings_late = fields.Integer(
        string="Late",
        compute="_compute_dashboard",
        help="Open deliveries whose Amazon ship-by date has passed.",
    )
    order_count = fields.Integer(compute="_compute_order_counts")

    def _compute_dashboard(self):
        """Every figure of the dashboard in a few grouped queries."""
        last = {
            (account.id, kind): end
            for account, kind, end in self.env["amazon.sync.log"]._read_group(
                [("account_id", "in", self.ids), ("state", "in", ("done", "partial"))],
                ["account_id", "kind"],
                ["end:max"],
            )
        }
        # The outcome of each account's latest finished order run (logs are
        # created in order, so the highest id is the latest).
        latest_ids = [
            log_id
            for _account, log_id in self.env["amazon.sync.log"]._read_group(
                [
                    ("account_id", "in", self.ids),
                    ("kind", "=", flow_kinds.ORDERS),
                    ("state", "!=", "running"),
                ],
                ["account_id"],
                ["id:max"],
            )
        ]
        last_order_logs = {
            log.account_id.id: log for log in self.env["amazon.sync.log"].browse(latest_ids)
        }
        # By Amazon's purchase date (the order's date), not the import's.
        today = self._amazon_local_midnight()
        counts = {}
        for label, start in (("today", today), ("week", today - timedelta(days=7))):
            counts[label] = dict(
                self.env["sale.order"]._read_group(
                    [("amazon_account_id", "in", self.ids), ("date_order", ">=", start)],
                    ["amazon_account_id"],
                    ["__count"],
                )
            )
        pickings = defaultdict(int)
        for order, state, count in self.env["stock.picking"]._read_group(
            [
                ("sale_id.amazon_account_id", "in", self.ids),
                ("amazon_sync_state", "in", ("to_send", "failed")),
            ],
            ["sale_id", "amazon_sync_state"],
            ["__count"],
        ):
            pickings[order.amazon_account_id.id, state] += count
        to_ship = defaultdict(int)
        for label, bounds in self._amazon_ship_by_bounds().items():
            for order, count in self.env["stock.picking"]._read_group(
                [("sale_id.amazon_account_id", "in", self.ids), *bounds],
                ["sale_id"],
                ["__count"],
            ):
                to_ship[order.amazon_account_id.id, label] += count
        offers = dict(
            self.env["amazon.offer"]._read_group(
                [("account_id", "in", self.ids), ("listing_ids.stock_sync_state", "=", "error")],
                ["account_id"],
                ["__count"],
            )
        )
        for account in self:
            account.last_orders_success = last.get((account.id, flow_kinds.ORDERS))
            last_log = last_order_logs.get(account.id)
            account.last_orders_state = last_log.state if last_log else False
            account.last_orders_failed = last_log.failed if last_log else 0
            account.last_shipments_success = last.get((account.id, flow_kinds.SHIPMENTS))
            account.last_stock_success = last.get((account.id, flow_kinds.STOCK))
            account.orders_today = counts["today"].get(account, 0)
            account.orders_week = counts["week"].get(account, 0)
            account.pickings_waiting = pickings[account.id, "to_send"]
            account.pickings_failed = pickings[account.id, "failed"]
            account.offers_in_error = offers.get(account, 0)
            account.pickings_ship_today = to_ship[account.id, "today"]
            account.pickings_late = to_ship[account.id, "late"]

    def _amazon_local_midnight(self, days=0):
        """Midnight starting today (+ ``days``) in the user's time zone, as
        naive UTC."""
        # The zone context_today takes "today" from (the context's, else the user's).
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        day = fields.Date.context_today(self) + timedelta(days=days)
        midnight = tz.localize(datetime.combine(day, time.min))
        return midnight.astimezone(pytz.utc).replace(tzinfo=None)

    def _amazon_ship_by_bounds(self):
        """{"late", "today"}: domains of the open outgoing deliveries whose
        Amazon ship-by has passed, or ends before midnight in the user's time
        zone."""
        tonight = self._amazon_local_midnight(days=1)
        now = fields.Datetime.now()
        still_open = [
            ("picking_type_code", "=", "outgoing"),
            # Amazon ships its FBA orders: a delivery awaiting lots is no work to ship.
            ("sale_id.amazon_channel", "=", "fbm"),
            ("state", "not in", ("done", "cancel")),
        ]
        return {
            "late": [*still_open, ("amazon_ship_by_date", "<", now)],
            "today": [
                *still_open,
                ("amazon_ship_by_date", ">=", now),
                ("amazon_ship_by_date", "<", tonight),
            ],
        }

    def _compute_order_counts(self):
        failures = dict(
            self.env["amazon.order.failure"]._read_group(
                [("account_id", "in", self.ids)], ["account_id"], ["__count"]
            )
        )
        orders = dict(
            self.env["sale.order"]._read_group(
                [("amazon_account_id", "in", self.ids)], ["amazon_account_id"], ["__count"]
            )
        )
        for account in self:
            account.order_failure_count = failures.get(account, 0)
            account.order_count = orders.get(account, 0)

    # --- the lists the dashboard opens ----------------------------------------------------------
    def action_view_orders(self):
        self.ensure_one()
        # The warehouse reads the dashboard, not the customers and totals.
        if not self.env.user.has_group("sales_team.group_sale_salesman"):
            raise AccessError(_("Only sales staff open the Amazon orders."))
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["name"] = action["display_name"] = _(
            "Amazon Orders of %(account)s", account=self.name
        )
        action["domain"] = [("amazon_account_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def action_view_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_amazon_connector.amazon_sync_log_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        return action

    def action_view_pickings(self):
        self.ensure_one()
        state = "failed" if self.env.context.get("amazon_sync_state") == "failed" else "to_send"
        return self._amazon_deliveries_action(
            f"amazon_{state}", [("amazon_sync_state", "=", state)]
        )

    def _amazon_deliveries_action(self, search_filter, domain):
        """The account's deliveries of ``domain``, titled with the account and
        with the deliveries' search filter of the same meaning on, so that the
        search bar says why they are listed."""
        action = self.env["ir.actions.act_window"]._for_xml_id("stock.action_picking_tree_all")
        # The web client titles the list with display_name, else name.
        action["name"] = action["display_name"] = _(
            "Amazon Deliveries of %(account)s", account=self.name
        )
        action["domain"] = [("sale_id.amazon_account_id", "=", self.id), *domain]
        action["context"] = {"create": False, f"search_default_{search_filter}": 1}
        return action

    def action_view_to_ship(self):
        """The account's open deliveries due today, or late (context
        ``amazon_ship``), by Amazon's ship-by date."""
        self.ensure_one()
        kind = "late" if self.env.context.get("amazon_ship") == "late" else "today"
        return self._amazon_deliveries_action(
            "amazon_late" if kind == "late" else "amazon_ship_today",
            self._amazon_ship_by_bounds()[kind],
        )

    def action_view_sales_graph(self):
        """The account's sales of the last 30 days by day and marketplace, in
        Odoo's sales analysis (orders and revenue, as its dashboards draw them).
        Odoo's analysis converts each order to the company's currency at the
        order's rate: the title says which currency."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_order_report_all")
        since = fields.Date.context_today(self) - timedelta(days=30)
        title = _(
            "%(account)s: sales of the last 30 days, in %(currency)s",
            account=self.name,
            currency=self.company_id.currency_id.name,
        )
        action.update(
            name=title,
            display_name=title,
            view_mode="graph,pivot,list",
            views=[(False, "graph"), (False, "pivot"), (False, "list")],
            domain=[
                ("amazon_account_id", "=", self.id),
                ("date", ">=", since),
                ("state", "=", "sale"),
            ],
            context={
                "group_by": ["date:day", "amazon_marketplace_id"],
                "graph_measure": "price_total",
                "graph_mode": "bar",
                "graph_stacked": True,
                "pivot_measures": ["nbr", "price_total"],
            },
        )
        return action

    def action_view_failures(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_amazon_connector.amazon_order_failure_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        return action

    def action_view_offers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_amazon_connector.amazon_offer_action"
        )
        action["domain"] = [("account_id", "=", self.id)]
        action["context"] = {"default_account_id": self.id}
        return action
