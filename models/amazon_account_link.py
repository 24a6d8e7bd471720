"""The account's link with Amazon: the website authorization (consent) flow,
the connection check, the marketplaces the seller may sell on, and the
reminder before the 365-day authorization ends.

The same model as amazon_account.py (the seller's link and settings), in its
own file: this is the part that talks to Amazon about the link itself.
"""

import logging
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import hash_sign

from ..spapi import (
    SpApiAuthError,
    SpApiError,
    SpApiRateLimitWait,
    SpApiThrottledError,
    SpApiUnavailableError,
    exchange_authorization_code,
)
from .amazon_account import (
    AUTHORIZATION_DAYS,
    CONSENT_CALLBACK_ROUTE,
    CONSENT_STATE_HOURS,
    CONSENT_STATE_SCOPE,
    REMINDER_DAYS,
)

_logger = logging.getLogger(__name__)


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    @api.depends("link_date")
    def _compute_link_state(self):
        today = fields.Date.context_today(self)
        for account in self:
            if not account.link_date:
                account.link_state = "not_linked"
                account.reauthorization_date = False
                account.days_to_reauthorization = 0
                continue
            due = (account.link_date + timedelta(days=AUTHORIZATION_DAYS)).date()
            days = (due - today).days
            account.reauthorization_date = due
            account.days_to_reauthorization = days
            if days < 0:
                account.link_state = "expired"
            elif days <= REMINDER_DAYS:
                account.link_state = "expiring"
            else:
                account.link_state = "linked"

    # --- linking: the website authorization (consent) flow ------------------------------------
    def _get_consent_redirect_uri(self):
        base_url = self.get_base_url()
        return f"{base_url}{CONSENT_CALLBACK_ROUTE}"

    def action_link_with_amazon(self):
        """Start Amazon's website authorization flow: Seller Central asks the seller
        to consent, then sends them back to our callback with a code."""
        self._check_can_operate()
        self.ensure_one()
        app_ref, client_id, client_secret = self._get_credentials()
        if not (app_ref and client_id and client_secret):
            raise UserError(
                _(
                    "Linking needs the SP-API app id, LWA client id and secret: set them on "
                    "the account or in Settings > Sales > Amazon Connector."
                )
            )
        nonce = secrets.token_urlsafe(16)
        self.sudo().consent_nonce = nonce
        # Signed with the database secret, bound to account, user and nonce.
        state = hash_sign(
            self.sudo().env,
            CONSENT_STATE_SCOPE,
            {"account": self.id, "user": self.env.uid, "nonce": nonce},
            expiration_hours=CONSENT_STATE_HOURS,
        )
        endpoint = self._get_endpoint()
        if self.environment == "custom":
            consent_url = endpoint.consent_url
        else:
            consent_url = (
                f"{self.signup_marketplace_id._get_seller_central_url()}/apps/authorize/consent"
            )
        query = {
            "application_id": app_ref,
            "state": state,
            "redirect_uri": self._get_consent_redirect_uri(),
        }
        if self.environment != "production":
            query["version"] = "beta"  # draft apps authorize with version=beta
        return {
            "type": "ir.actions.act_url",
            "url": f"{consent_url}?{urlencode(query)}",
            "target": "self",
        }

    def _link_with_authorization_code(self, code, selling_partner_id):
        """Exchange the consent flow's code for a refresh token and store it."""
        self.ensure_one()
        _app, client_id, client_secret = self._get_credentials()
        refresh_token = exchange_authorization_code(
            self._get_endpoint(), client_id, client_secret, code
        )
        if selling_partner_id:
            self._verify_seller(refresh_token, selling_partner_id)
        self._set_link(refresh_token, selling_partner_id)

    def _verify_seller(self, refresh_token, seller_ref):
        """The seller id comes in the callback's query string, which anyone can
        write: Amazon must confirm it belongs to the new token before it is
        saved. The Listings Items API answers for a sellerId only to that
        seller's token ("Access to requested resource is denied" otherwise)."""
        self.ensure_one()
        adapter = self._get_adapter(
            refresh_token=refresh_token, max_retries=1, max_throttle_retries=1, timeout=15
        )
        try:
            next(
                adapter.iter_listings_pages(
                    seller_ref, [self.signup_marketplace_id.api_ref], page_size=1
                )
            )
        except SpApiAuthError:
            raise UserError(
                _(
                    "Amazon does not confirm that the authorization is seller %(seller)s's: "
                    "the account was not linked. Start again with 'Link with Amazon'.",
                    seller=seller_ref,
                )
            ) from None
        finally:
            adapter.close()

    def _set_link(self, refresh_token, seller_ref=None):
        values = {"refresh_token": refresh_token, "link_date": fields.Datetime.now()}
        if seller_ref:
            twin = self.search(
                [
                    ("id", "!=", self.id),
                    ("seller_ref", "=", seller_ref),
                    ("environment", "=", self.environment),
                    ("company_id", "=", self.company_id.id),
                ],
                limit=1,
            )
            if twin:
                raise UserError(
                    _(
                        "Amazon seller %(seller)s is already linked to the account "
                        "%(account)s: link that one again instead.",
                        seller=seller_ref,
                        account=twin.name,
                    )
                )
            values["seller_ref"] = seller_ref
        self.sudo().with_context(amazon_linking=True).write(values)
        self.message_post(body=_("Linked with Amazon."))

    def action_unlink_from_amazon(self):
        self._check_can_operate()
        for account in self:
            account.sudo().with_context(amazon_linking=True).write(
                {"refresh_token": False, "link_date": False, "consent_nonce": False}
            )
            account.message_post(body=_("Unlinked from Amazon."))

    def action_open_token_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Paste a Refresh Token"),
            "res_model": "amazon.token.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }

    # --- checks and marketplaces ---------------------------------------------------------------
    @staticmethod
    def _explain(error):
        """A sentence for an admin, from a typed SP-API error (no secret in it)."""
        if isinstance(error, SpApiAuthError):
            return _(
                "Amazon refused the credentials (%(detail)s). Check the LWA client id and "
                "secret, and link the account again if the authorization was revoked.",
                detail=error,
            )
        if isinstance(error, SpApiRateLimitWait):
            return _(
                "Amazon's rate limit allows the next call in %(seconds)s seconds: the "
                "scheduled synchronization goes on from here by itself.",
                seconds=round(error.retry_after),
            )
        if isinstance(error, SpApiThrottledError):
            return _(
                "Amazon is refusing calls for now (rate limit): the scheduled "
                "synchronization goes on by itself later."
            )
        if isinstance(error, SpApiUnavailableError):
            return _(
                "Amazon could not be reached (%(detail)s). Check the network and try again.",
                detail=error,
            )
        return _("Amazon answered with an error: %(detail)s", detail=error)

    def _fetch_participations(self):
        adapter = self._get_adapter(max_retries=1, max_throttle_retries=1, timeout=15)
        try:
            return adapter.get_marketplace_participations()
        finally:
            adapter.close()

    def action_check_connection(self):
        """Call Amazon and say whether it works, or exactly why not."""
        self._check_can_operate()
        self.ensure_one()
        title = _("Connection to Amazon")
        try:
            participations = self._fetch_participations()
        except SpApiError as error:
            return self.env["amazon.flow"]._notify(title, self._explain(error), "danger")
        participating = {
            p["marketplace"]["id"]
            for p in participations
            if p.get("participation", {}).get("isParticipating")
        }
        missing = self.marketplace_ids.filtered(lambda m: m.api_ref not in participating)
        if missing:
            return self.env["amazon.flow"]._notify(
                title,
                _(
                    "Connected, but the seller has no access to: %(names)s. Remove them from "
                    "the synchronized marketplaces or enable them in Seller Central.",
                    names=", ".join(missing.mapped("name")),
                ),
                "warning",
            )
        return self.env["amazon.flow"]._notify(
            title,
            _(
                "Connected to Amazon: %(count)s marketplace(s) available.",
                count=len(participating),
            ),
            "success",
        )

    def action_update_marketplaces(self):
        """Refresh the available marketplaces from getMarketplaceParticipations; a
        marketplace no longer available stops being synchronized."""
        self._check_can_operate()
        for account in self:
            try:
                participations = account._fetch_participations()
            except SpApiError as error:
                raise UserError(account._explain(error)) from None
            marketplaces = self.env["amazon.marketplace"]
            for participation in participations:
                if participation.get("participation", {}).get("isParticipating"):
                    marketplaces |= marketplaces._find_or_create_from_participation(
                        participation["marketplace"], account.region
                    )
            account.write(
                {
                    "available_marketplace_ids": [(6, 0, marketplaces.ids)],
                    "marketplace_ids": [(6, 0, (account.marketplace_ids & marketplaces).ids)],
                }
            )
        return True

    # --- re-authorization reminder -------------------------------------------------------------
    @api.model
    def _cron_remind_reauthorization(self):
        """A month before the 365-day authorization ends, one activity for the
        responsible of each account (once per link)."""
        limit = fields.Datetime.now() - timedelta(days=AUTHORIZATION_DAYS - REMINDER_DAYS)
        accounts = self.search([("link_date", "!=", False), ("link_date", "<=", limit)])
        for account in accounts.filtered(lambda a: a.reminder_sent_for != a.link_date):
            account.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=account.reauthorization_date,
                summary=_("Re-authorize the Amazon account"),
                note=_(
                    "Amazon's authorization of %(account)s ends on %(date)s. Use 'Link with "
                    "Amazon' on the account before then, or the synchronization stops.",
                    account=account.name,
                    date=account.reauthorization_date,
                ),
                user_id=(account.responsible_id or self.env.user).id,
            )
            account.reminder_sent_for = account.link_date
