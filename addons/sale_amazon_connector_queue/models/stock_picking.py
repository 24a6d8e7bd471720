from odoo import _, api, models
from odoo.addons.queue_job.job import identity_exact

# Deliveries per job: a job runs in one HTTP request of the job runner, under
# Odoo's limit_time_real (120 s by default); confirmShipment allows 2 a second.
JOB_BATCH = 50


class StockPicking(models.Model):
    _inherit = "stock.picking"

    @api.model
    def _cron_send_shipments(self, limit=JOB_BATCH):
        """A job per account with deliveries To Send, ``limit`` deliveries each;
        an account with more queues its next batch."""
        for account in self._amazon_to_send().sale_id.amazon_account_id:
            self._delay_shipments(account, limit)
        return True

    @api.model
    def _delay_shipments(self, account, limit):
        description = _("Amazon shipment confirmations of %(account)s", account=account.name)
        delayable = self.with_delay(description=description, identity_key=identity_exact)
        return delayable._job_send_shipments(account, limit)

    @api.model
    def _job_send_shipments(self, account, limit=JOB_BATCH):
        """Confirm a batch of the account's deliveries To Send. Each delivery is
        its own unit inside (claimed, sent, committed): Amazon's refusals fail
        the delivery, other errors leave it To Send with the reason."""
        pickings = self._amazon_to_send(account, limit=limit + 1)
        batch = pickings[:limit]
        self.env["amazon.flow"]._job_boundary(batch._amazon_send)
        if len(pickings) > limit:
            self._delay_shipments(account, limit)
        sent = batch.filtered(lambda picking: picking.amazon_sync_state == "sent")
        return _("%(sent)s of %(count)s deliveries confirmed.", sent=len(sent), count=len(batch))
