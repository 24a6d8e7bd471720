import math

from odoo import _, api, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.sale_amazon_connector.models.flow_run import AmazonAccountBusy, busy_message

# A job that finds another run of the account's orders waits this long (s).
BUSY_RETRY_SECONDS = 30


class AmazonOrderImport(models.AbstractModel):
    _inherit = "amazon.order.import"

    @api.model
    def _cron_sync(self, pages_per_account=None):
        """Each account's orders as a chain of jobs, a page each: the cron only
        starts the chains (an account whose next page is already waiting is not
        queued twice), and the job runner serves the accounts side by side."""
        for account in self._cron_accounts():
            self._delay_orders_page(account)
        return True

    @api.model
    def _delay_orders_page(self, account, eta=None):
        description = _("Amazon orders of %(account)s", account=account.name)
        return self._delay(description, eta=eta)._job_orders_page(account)

    @api.model
    def _job_orders_page(self, account):
        """One page of the account's orders (a unit: retried alone, committed
        whole); the next page is the next job, queued before this one ends.
        When Amazon's rate limit holds the next page back, that job waits for it
        (its ETA) instead of a worker."""
        result = self._job_boundary(
            lambda: self._run(account, max_pages=1, max_throttle_wait=self.cron_max_throttle_wait)
        )
        if result.locked:
            return busy_message()
        if not result.done:
            self._delay_orders_page(account, eta=math.ceil(result.waiting) or None)
        return self._result_message(result)

    @api.model
    def _job_recover(self, account, order_ref):
        """One Recover Order: fetch the order now and import or refresh it."""
        try:
            result = self._job_boundary(lambda: self._recover(account, [order_ref]))
        except AmazonAccountBusy as busy:
            raise RetryableJobError(str(busy), seconds=BUSY_RETRY_SECONDS) from busy
        if result.failed:
            failure = self.env["amazon.order.failure"].search(
                [("account_id", "=", account.id), ("amazon_order_ref", "=", order_ref)]
            )
            return _(
                "%(ref)s could not be imported: %(reason)s", ref=order_ref, reason=failure.reason
            )
        return _(
            "%(ref)s: %(created)s created, %(updated)s updated.", ref=order_ref, **result.as_dict()
        )
