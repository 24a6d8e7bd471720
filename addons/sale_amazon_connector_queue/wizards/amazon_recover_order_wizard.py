from odoo import _, models


class AmazonRecoverOrderWizard(models.TransientModel):
    _inherit = "amazon.recover.order.wizard"

    def action_recover(self):
        """Recover Order as a job: the order arrives when a worker has run it;
        a failure is on the job (Queue Jobs) and notified to its creator."""
        self.ensure_one()
        self.account_id._check_can_operate()
        ref = self.amazon_order_ref.strip()
        flow = self.env["amazon.order.import"]
        description = _("Recover Amazon order %(ref)s", ref=ref)
        flow._delay(description)._job_recover(self.account_id, ref)
        return flow._notify(
            _("Recover Order"),
            _(
                "Order %(ref)s is queued: it appears in Sales once a worker has fetched it.",
                ref=ref,
            ),
            "info",
        )
