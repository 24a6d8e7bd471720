import json
from datetime import timedelta

from odoo import _, api, fields, models

from . import flow_kinds

RETENTION_PARAM = "sale_amazon_connector.log_retention_days"
# The kinds of records a run's problems link to.
PROBLEM_MODELS = [
    "sale.order",
    "stock.picking",
    "account.move",
    "amazon.order.failure",
    "amazon.listing",
    "amazon.offer",
    "amazon.return",
    "amazon.report.request",
    "amazon.finance.transaction",
    "amazon.payout",
]
DEFAULT_RETENTION_DAYS = 30


class AmazonSyncLog(models.Model):
    """One run of one kind of synchronization for one account: what it did,
    what it cost in API calls, and why it stopped when it failed."""

    _name = "amazon.sync.log"
    _description = "Amazon Synchronization Log"
    _order = "start desc, id desc"
    _rec_name = "kind"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    kind = fields.Selection(
        flow_kinds.SELECTION,
        required=True,
        index=True,
    )
    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("partial", "Done with Failures"),
            ("failed", "Failed"),
        ],
        help="Done with Failures: the run went through, but some records (orders, "
        "offers...) could not be processed; they are listed with their reason.",
        default="running",
        required=True,
        index=True,
    )
    start = fields.Datetime(default=fields.Datetime.now, required=True)
    end = fields.Datetime()
    duration = fields.Float(compute="_compute_duration", string="Duration (s)")
    fetched = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    skipped = fields.Integer()
    failed = fields.Integer()
    api_call_count = fields.Integer(string="API Calls")
    throttled_count = fields.Integer(string="Throttled Calls")
    api_calls = fields.Text(string="API Calls by Operation", help="JSON: operation -> calls")
    error = fields.Text()
    problem_ids = fields.One2many(
        "amazon.sync.log.problem", "log_id", string="What Failed", readonly=True
    )

    @api.depends("start", "end")
    def _compute_duration(self):
        for log in self:
            log.duration = (log.end - log.start).total_seconds() if log.end else 0.0

    def _finish(self, counts, stats, error=None):
        """Close the run with its ``counts``; ``counts["problems"]`` lists what
        failed: a sentence, or (record, reason) to link the record on the log."""
        calls = dict(stats.calls) if stats else {}
        problems = [
            # A record a rollback took back is named by nothing but the reason.
            (problem[0].exists() or None, problem[1])
            if isinstance(problem, tuple)
            else (None, problem)
            for problem in counts.get("problems") or ()
        ]
        if problems:
            self.env["amazon.sync.log.problem"].sudo().create(
                [
                    {
                        "log_id": self.id,
                        "name": record.display_name if record else "",
                        "record_ref": f"{record._name},{record.id}" if record else False,
                        "reason": reason,
                    }
                    for record, reason in problems
                ]
            )
        self.write(
            {
                **{
                    key: counts.get(key, 0)
                    for key in ("fetched", "created", "updated", "skipped", "failed")
                },
                "state": "failed" if error else ("partial" if counts.get("failed") else "done"),
                "end": fields.Datetime.now(),
                "api_calls": json.dumps(calls, sort_keys=True),
                "api_call_count": sum(calls.values()),
                "throttled_count": sum(stats.throttled.values()) if stats else 0,
                # A run done with failures lists what failed ("problems").
                "error": error
                or "\n".join(
                    f"{record.display_name}: {reason}" if record else reason
                    for record, reason in problems
                )
                or False,
            }
        )

    def action_open_problems(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("What Failed"),
            "res_model": "amazon.sync.log.problem",
            "view_mode": "list",
            "domain": [("log_id", "=", self.id)],
        }

    @api.autovacuum
    def _gc_old_logs(self):
        """Keep the logs the configured number of days (Settings)."""
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(RETENTION_PARAM, DEFAULT_RETENTION_DAYS)
        )
        limit = fields.Datetime.now() - timedelta(days=days)
        self.sudo().search([("start", "<", limit), ("state", "!=", "running")]).unlink()
