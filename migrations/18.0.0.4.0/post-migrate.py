"""18.0.0.4.0: every account gets its 'Send to Amazon' operation type and route
(new accounts get them when created)."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    accounts = env["amazon.account"].with_context(active_test=False).search([])
    accounts._amazon_ensure_send_route()
