from odoo import _, fields, models
from odoo.exceptions import UserError

from ..spapi import SpApiAdapter, SpApiError


class AmazonTokenWizard(models.TransientModel):
    """Link an account with the refresh token of a self-authorized private app
    (Seller Central > Develop Apps > Authorize), instead of the consent flow."""

    _name = "amazon.token.wizard"
    _description = "Paste an Amazon Refresh Token"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade")
    refresh_token = fields.Char(required=True)
    seller_ref = fields.Char(string="Seller ID")

    def action_confirm(self):
        """Try the token on Amazon first: a wrong one is refused, the old one kept."""
        self.ensure_one()
        account = self.account_id
        _app, client_id, client_secret = account._get_credentials()
        if not (client_id and client_secret):
            raise UserError(
                _("Set the LWA client id and secret (account or Settings) before the token.")
            )
        adapter = SpApiAdapter(
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=self.refresh_token.strip(),
            endpoint=account._get_endpoint(),
            region=account.region,
            max_retries=1,
            max_throttle_retries=1,
            timeout=15,
        )
        try:
            adapter.get_marketplace_participations()
        except SpApiError as error:
            raise UserError(account._explain(error)) from None
        finally:
            adapter.close()
        account._set_link(self.refresh_token.strip(), self.seller_ref or None)
        account.action_update_marketplaces()
        return {"type": "ir.actions.act_window_close"}
