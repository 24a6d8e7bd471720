"""How an Amazon account talks to Amazon: where (production, Amazon's sandbox,
or a custom URL such as the emulator), with which credentials (the account's,
else the company's), and the SP-API adapter the flows use (``_get_adapter``).
The company's credentials never leave for a host that is not Amazon's."""

import time

from odoo import _, fields, models
from odoo.exceptions import UserError
from odoo.http import request

from ..spapi import Endpoint, SpApiAdapter
from ..spapi.endpoints import LOOPBACK_HOSTS
from .amazon_account import SECRET_GROUP

TRUSTED_HOSTS_PARAM = "sale_amazon_connector.trusted_hosts"
# The longest a button waits for Amazon's rate limit, or between retries of a
# throttled call (seconds).
BUTTON_MAX_WAIT = 5


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    # --- where to talk to --------------------------------------------------------------
    environment = fields.Selection(
        [
            ("production", "Production"),
            ("sandbox", "Amazon Sandbox"),
            ("custom", "Custom URL (emulator)"),
        ],
        required=True,
        default="production",
        tracking=True,
    )
    custom_api_url = fields.Char(
        string="Custom SP-API URL",
        groups=SECRET_GROUP,
        help="Base URL of an SP-API compatible server, such as the local emulator.",
    )
    custom_token_url = fields.Char(
        string="Custom LWA Token URL",
        groups=SECRET_GROUP,
        help="Defaults to <custom SP-API URL>/auth/o2/token.",
    )

    # --- credentials (system administrators only) -------------------------------------
    app_ref = fields.Char(
        string="SP-API App ID",
        groups=SECRET_GROUP,
        help="The application id (amzn1.sp.solution...) used by the consent flow. "
        "Empty: the company's default from the settings.",
    )
    lwa_client_id = fields.Char(
        string="LWA Client ID",
        groups=SECRET_GROUP,
        help="Empty: the company's default from the settings.",
    )
    lwa_client_secret = fields.Char(
        string="LWA Client Secret",
        groups=SECRET_GROUP,
        help="Empty: the company's default from the settings.",
    )

    # --- credentials and adapter -------------------------------------------------------------
    def _get_credentials(self):
        """(app id, client id, client secret) of the account, else the company's."""
        self.ensure_one()
        account = self.sudo()
        company = account.company_id
        return (
            account.app_ref or company.amazon_app_ref,
            account.lwa_client_id or company.amazon_lwa_client_id,
            account.lwa_client_secret or company.amazon_lwa_client_secret,
        )

    def _get_endpoint(self):
        self.ensure_one()
        account = self.sudo()
        if account.environment == "custom":
            if not account.custom_api_url:
                raise UserError(
                    _("Set the custom SP-API URL of %(account)s first.", account=account.name)
                )
            try:
                endpoint = Endpoint.custom(account.custom_api_url, account.custom_token_url or None)
            except ValueError as error:
                raise UserError(
                    _("The custom SP-API URL is not valid: %(error)s", error=error)
                ) from None
            account._check_custom_endpoint(endpoint)
            return endpoint
        if account.environment == "sandbox":
            return Endpoint.sandbox(account.region)
        return Endpoint.production(account.region)

    def _check_custom_endpoint(self, endpoint):
        """The company's app credentials go to a server that is not Amazon's
        only on this machine (the emulator) or on a host a settings admin
        listed in the system parameter ``sale_amazon_connector.trusted_hosts``;
        an account with credentials of its own (an admin's) may go anywhere."""
        self.ensure_one()
        account = self.sudo()
        if account.lwa_client_id and account.lwa_client_secret:
            return
        listed = self.env["ir.config_parameter"].sudo().get_param(TRUSTED_HOSTS_PARAM, "")
        trusted = set(LOOPBACK_HOSTS) | {h.strip().lower() for h in listed.split(",") if h.strip()}
        untrusted = sorted(host or "?" for host in endpoint.hosts() if host not in trusted)
        if untrusted:
            raise UserError(
                _(
                    "%(account)s would send the company's Amazon credentials to %(hosts)s, "
                    "which is not Amazon. A settings administrator must give the account "
                    "credentials of its own, or list the host in the system parameter "
                    "%(param)s.",
                    account=self.name,
                    hosts=", ".join(untrusted),
                    param=TRUSTED_HOSTS_PARAM,
                )
            )

    def _get_adapter(self, **options):
        """An SP-API adapter with this account's credentials (see spapi/), on the
        rate limits shared by every process; ``max_throttle_wait`` (seconds): a
        longer wait for Amazon's rate limit raises SpApiRateLimitWait."""
        self.ensure_one()
        _app, client_id, client_secret = self._get_credentials()
        # A token being verified before it is saved (the consent callback).
        refresh_token = options.pop("refresh_token", None) or self.sudo().refresh_token
        if not (client_id and client_secret):
            raise UserError(
                _(
                    "The LWA client id and secret of %(account)s are missing: set them on "
                    "the account or in Settings > Sales > Amazon Connector.",
                    account=self.name,
                )
            )
        if not refresh_token:
            raise UserError(_("%(account)s is not linked with Amazon yet.", account=self.name))
        endpoint = self._get_endpoint()
        max_wait = options.pop("max_throttle_wait", None)
        if max_wait is None and request:
            # A person waits behind a button (or an RPC call): a few seconds at
            # most, the cron does the rest. Crons and jobs give their own bound.
            max_wait = BUTTON_MAX_WAIT
            options.setdefault("max_backoff", BUTTON_MAX_WAIT)
            options.setdefault("max_throttle_retries", 1)
        if "throttle" not in options:
            # Amazon's limits are the seller's and app's, not this process's: every
            # worker and server takes its tokens from the same buckets.
            options["throttle"] = self.env["amazon.rate.limit"]._throttle(
                self._rate_limit_key(client_id, endpoint),
                sleep=options.get("sleep", time.sleep),
                max_wait=max_wait,
            )
        return SpApiAdapter(
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
            endpoint=endpoint,
            region=self.region,
            **options,
        )

    def _rate_limit_key(self, client_id, endpoint):
        """Whose usage plan the calls spend: Amazon counts per application and
        selling partner, on each endpoint (production, sandbox, emulator)."""
        self.ensure_one()
        seller = self.sudo().seller_ref or f"account-{self.id}"
        return f"{endpoint.api_url}|{client_id}|{seller}"
