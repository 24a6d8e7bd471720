"""What the jobs of every flow share.

A job is one unit of work for one account: queue_job retries it alone,
spreads the jobs over every Odoo server of the database, and shows them in
*Queue Jobs*. The work itself is the connector's, unchanged: the same locks,
commits per unit, sync logs and rate limits shared in PostgreSQL.
"""

import math

from odoo import api, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.addons.sale_amazon_connector.spapi import SpApiError, SpApiRateLimitWait


class AmazonFlow(models.AbstractModel):
    _inherit = "amazon.flow"

    @api.model
    def _delay(self, description, eta=None):
        """This model's next job. Its channel and retry pattern are its job
        function's (data/queue_job_data.xml, editable in Queue Jobs); one job
        per method and arguments waits at a time (identity_exact)."""
        return self.with_delay(description=description, identity_key=identity_exact, eta=eta)

    @api.model
    def _job_boundary(self, call):
        """Run ``call()`` inside a job. Amazon's temporary answers (throttled,
        unreachable, malformed) retry the job later, by its retry pattern; a
        wait for Amazon's rate limit postpones it without counting a retry;
        anything else fails the job, with the error in Queue Jobs."""
        try:
            return call()
        except SpApiRateLimitWait as wait:
            raise RetryableJobError(
                str(wait), seconds=math.ceil(wait.retry_after), ignore_retry=True
            ) from wait
        except SpApiError as error:
            if error.retryable:
                raise RetryableJobError(str(error)) from error
            raise
