from odoo import api, fields, models

from .amazon_sync_log import PROBLEM_MODELS


class AmazonSyncLogProblem(models.Model):
    """One thing a run could not do, why, and the record it concerns."""

    _name = "amazon.sync.log.problem"
    _description = "Amazon Synchronization Problem"
    _order = "id"

    log_id = fields.Many2one("amazon.sync.log", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="log_id.company_id", store=True, index=True)
    name = fields.Char(string="Record", readonly=True)
    record_ref = fields.Reference(selection="_selection_record_ref", string="Open", readonly=True)
    reason = fields.Text(readonly=True)

    @api.model
    def _selection_record_ref(self):
        """The records a run reports: orders, deliveries, invoices, offers..."""
        return [
            (model.model, model.name)
            for model in self.env["ir.model"].sudo().search([("model", "in", PROBLEM_MODELS)])
        ]

    def action_open_record(self):
        """The record that failed, in its own form (with the reader's rights)."""
        self.ensure_one()
        record = self.record_ref
        if not record:
            return False
        record.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
