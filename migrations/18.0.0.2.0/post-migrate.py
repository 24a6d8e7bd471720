"""18.0.0.2.0: buyers are anonymized per partner, and only those the import
created (res.partner.amazon_buyer). Flag the ones earlier versions created."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._amazon_flag_imported_buyers()
