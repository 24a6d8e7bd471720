import functools

from odoo import _, api, models
from odoo.addons.sale_amazon_connector.models.flow_run import busy_message


class AmazonStockPush(models.AbstractModel):
    _inherit = "amazon.stock.push"

    @api.model
    def _cron_push(self):
        """A job per account: its changed FBM quantities, and the answers of the
        feeds it sent before."""
        for account in self._cron_accounts():
            description = _("Amazon FBM stock of %(account)s", account=account.name)
            self._delay(description)._job_push(account)
        return True

    @api.model
    def _job_push(self, account):
        result = self._job_boundary(
            functools.partial(self._run, account, max_throttle_wait=self.cron_max_throttle_wait)
        )
        if result.locked:
            return busy_message()
        return self._result_message(result)
