import binascii
import logging

from werkzeug.exceptions import BadRequest

from odoo import _, http
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools.misc import verify_hash_signed

from ..models.amazon_account import CONSENT_CALLBACK_ROUTE, CONSENT_STATE_SCOPE
from ..spapi import SpApiError

_logger = logging.getLogger(__name__)


class AmazonConsentController(http.Controller):
    @http.route(CONSENT_CALLBACK_ROUTE, type="http", auth="user", methods=["GET"])
    def consent_callback(self, state=None, spapi_oauth_code=None, selling_partner_id=None, **kw):
        """Seller Central sends the seller back here after consent. The state must
        be ours (signed, unexpired, unused, for this user) before the code is
        exchanged for a refresh token."""
        env = request.env
        try:
            values = verify_hash_signed(env(su=True), CONSENT_STATE_SCOPE, state or "")
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            values = None
        if not values or values.get("user") != env.uid:
            raise BadRequest(
                _(
                    "This Amazon authorization request is invalid or expired. Start again from "
                    "the account with 'Link with Amazon'."
                )
            )
        account = env["amazon.account"].browse(values.get("account")).exists()
        if (
            not account
            or not values.get("nonce")
            or (account.sudo().consent_nonce != values["nonce"])
        ):
            raise BadRequest(
                _(
                    "This Amazon authorization request was already used or replaced. Start "
                    "again from the account with 'Link with Amazon'."
                )
            )
        account.check_access("write")
        # One use only, whatever happens next.
        account.sudo().consent_nonce = False
        if not spapi_oauth_code:
            raise BadRequest(_("Amazon did not send an authorization code."))
        try:
            account._link_with_authorization_code(spapi_oauth_code, selling_partner_id)
        except SpApiError as error:
            _logger.info("Amazon consent of account %s failed: %s", account.id, error)
            account.message_post(
                body=_("Linking with Amazon failed: %(reason)s", reason=account._explain(error))
            )
        except UserError as error:
            account.message_post(
                body=_("Linking with Amazon failed: %(reason)s", reason=error.args[0])
            )
        return request.redirect(
            f"/odoo/action-sale_amazon_connector.amazon_account_action/{account.id}"
        )
