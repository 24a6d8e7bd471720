import threading

from odoo import models

# The cron job run this thread is in, set by ir.cron._process_job (below): Odoo
# calls a cron again at once while it reports work left, up to ten times in a
# row, and a multi-worker server's watchdog counts those calls as one. Its
# ``clock`` is when the run's first turn began (None before it); absent outside
# Odoo's cron runner (Run Manually, a shell, a test calling the method). Read by
# amazon.flow's ``_cron_clock``.
cron_job_run = threading.local()


class IrCron(models.Model):
    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        # One run of a cron job, over Odoo's repeated calls of it.
        cron_job_run.clock = None
        try:
            return super()._process_job(db, cron_cr, job)
        finally:
            del cron_job_run.clock
