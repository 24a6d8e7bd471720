from odoo import _, api, models
from odoo.addons.queue_job.job import identity_exact

# Jobs reading one company's queue at a time: SQS hands each message to one
# reader, so two readers share the work (more throughput, same safety).
READERS_PER_QUEUE = 2


class AmazonNotificationConsumer(models.AbstractModel):
    _inherit = "amazon.notification.consumer"

    @api.model
    def _cron_consume(self, max_seconds=None):
        """Jobs read the queues: the cron queues ``READERS_PER_QUEUE`` per
        company (one waits at a time per reader, identity_exact), each reading
        for ``cron_seconds``; the job runner spreads them over the servers."""
        for company in self._queue_companies():
            for reader in range(READERS_PER_QUEUE):
                self.with_delay(
                    description=_(
                        "Amazon notifications of %(company)s (reader %(reader)s)",
                        company=company.name,
                        reader=reader + 1,
                    ),
                    identity_key=identity_exact,
                )._job_consume(company, reader, max_seconds)
        return True

    @api.model
    def _job_consume(self, company, reader, max_seconds=None):
        handled = self._consume(company, max_seconds or self.cron_seconds)
        return _("%(count)s notifications handled.", count=handled)
