import logging

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

_logger = logging.getLogger(__name__)

# Amazon's authorizations last 365 days; warn the responsible a month before.
AUTHORIZATION_DAYS = 365
REMINDER_DAYS = 30
CONSENT_STATE_SCOPE = "sale_amazon_connector.consent"
CONSENT_STATE_HOURS = 1
CONSENT_CALLBACK_ROUTE = "/amazon/consent/callback"
SECRET_GROUP = "base.group_system"
# Where the account talks to, with which credentials, and the link itself: set
# by a settings administrator, or by the link flows (which check who runs them
# and write as the system). Odoo 18 checks a field's groups on write and read,
# not on create: create() checks these itself.
ADMIN_FIELDS = (
    "environment",
    "custom_api_url",
    "custom_token_url",
    "app_ref",
    "lwa_client_id",
    "lwa_client_secret",
    "refresh_token",
    "consent_nonce",
    "seller_ref",
    "link_date",
)


class AmazonAccount(models.Model):
    """A seller account on Seller Central, linked to Odoo through the SP-API."""

    _name = "amazon.account"
    _description = "Amazon Seller Account"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "sequence, name"
    _check_company_auto = True

    # --- identity -----------------------------------------------------------------
    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    signup_marketplace_id = fields.Many2one(
        "amazon.marketplace",
        string="Sign-up Marketplace",
        required=True,
        tracking=True,
        help="The marketplace the seller signed up on; its region decides the endpoint.",
    )
    region = fields.Selection(related="signup_marketplace_id.region", store=True)
    seller_ref = fields.Char(
        string="Seller ID",
        tracking=True,
        help="Amazon's merchant token (selling_partner_id), set when the account is linked.",
    )
    responsible_id = fields.Many2one(
        "res.users",
        string="Responsible",
        check_company=True,
        default=lambda self: self._default_responsible(),
        tracking=True,
        help="Receives the activities: failed orders, re-authorization reminders.",
    )

    refresh_token = fields.Char(groups=SECRET_GROUP, copy=False)
    consent_nonce = fields.Char(groups=SECRET_GROUP, copy=False)
    link_date = fields.Datetime(readonly=True, copy=False, tracking=True)
    reauthorization_date = fields.Date(compute="_compute_link_state", string="Re-authorize Before")
    link_state = fields.Selection(
        [
            ("not_linked", "Not linked"),
            ("linked", "Linked"),
            ("expiring", "Re-authorization due"),
            ("expired", "Authorization expired"),
        ],
        compute="_compute_link_state",
    )
    days_to_reauthorization = fields.Integer(compute="_compute_link_state")
    reminder_sent_for = fields.Datetime(
        copy=False, help="The link date whose re-authorization reminder was sent."
    )

    # --- marketplaces ----------------------------------------------------------------------
    available_marketplace_ids = fields.Many2many(
        "amazon.marketplace",
        "amazon_account_available_marketplace_rel",
        "account_id",
        "marketplace_id",
        string="Available Marketplaces",
        readonly=True,
        help="The marketplaces the seller participates in, as Amazon last reported them.",
    )
    marketplace_ids = fields.Many2many(
        "amazon.marketplace",
        "amazon_account_marketplace_rel",
        "account_id",
        "marketplace_id",
        string="Synchronized Marketplaces",
        domain="[('id', 'in', available_marketplace_ids)]",
        tracking=True,
        help="The available marketplaces whose orders and stock are synchronized.",
    )

    # --- synchronization settings -----------------------------------------------------------
    last_finances_sync = fields.Datetime(
        string="Last Transactions Sync",
        copy=False,
        help="Amazon's financial transactions posted after this moment (less two days, "
        "for those Amazon posts late) are read by the next import.",
    )
    last_orders_sync = fields.Datetime(
        string="Last Order Sync",
        copy=False,
        help="Orders updated on Amazon after this moment are fetched by the next sync. "
        "Move it back to synchronize again.",
    )
    # The window of orders being synchronized, and the position reached in it:
    # a sync that stops halfway resumes there.
    orders_window_start = fields.Datetime(copy=False, readonly=True)
    orders_window_end = fields.Datetime(copy=False, readonly=True)
    orders_page_token = fields.Char(copy=False, readonly=True)
    order_failure_ids = fields.One2many(
        "amazon.order.failure", "account_id", string="Failed Orders"
    )
    sync_log_ids = fields.One2many("amazon.sync.log", "account_id", string="Sync Logs")

    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        default=lambda self: self.env.ref(
            "sale_amazon_connector.crm_team_amazon", raise_if_not_found=False
        ),
        check_company=True,
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        check_company=True,
        default=lambda self: self._default_responsible(),
        domain="[('share', '=', False)]",
        help="The salesperson of the imported orders (empty: the responsible). Salesmen "
        "who see only their own documents see this account's orders when it is them.",
    )
    buy_shipping_rule = fields.Selection(
        [
            ("promise", "Cheapest Meeting Amazon's Delivery Date"),
            ("cheapest", "Cheapest"),
            ("fastest", "Fastest"),
        ],
        string="Buy Shipping Rate",
        default="promise",
        required=True,
        help="Which of Amazon's rates a delivery with an Amazon Buy Shipping method buys "
        "when it is validated. Cheapest Meeting Amazon's Delivery Date falls back to the "
        "fastest when none delivers in time.",
    )
    buy_shipping_format = fields.Selection(
        [("PDF", "PDF"), ("ZPL", "ZPL (thermal printers)")],
        string="Label Format",
        default="PDF",
        required=True,
    )
    invoice_fbm = fields.Boolean(
        string="Invoice FBM Orders When Delivered",
        help="Merchant-fulfilled orders are invoiced (posted, never emailed) once their "
        "delivery is validated.",
    )
    invoice_fba = fields.Boolean(
        string="Invoice FBA Orders When Shipped",
        help="Orders fulfilled by Amazon are invoiced (posted, never emailed) once Amazon "
        "has shipped them.",
    )
    upload_invoices = fields.Boolean(
        string="Upload Invoices to Amazon",
        help="Invoices and credit notes of orders from Spain, the UK, France, Germany, Italy, "
        "the Netherlands, Poland and Sweden (Amazon's VAT program) are uploaded to Amazon as "
        "PDF once posted, for Amazon to show the buyer. Needs the Tax Invoicing role and "
        "wkhtmltopdf on the Odoo server.",
    )
    import_fee_invoices = fields.Boolean(
        string="Amazon's Invoices as Vendor Bills",
        help="Amazon's invoices for its fees are booked every day as vendor bills from "
        "Amazon, and the payouts book the fees they deduct as payments of those bills "
        "(on Amazon's payable) rather than as expenses: each fee is an expense once.",
    )
    last_fee_invoice_sync = fields.Datetime(
        string="Last Amazon Invoices Import", readonly=True, copy=False
    )
    invoice_journal_id = fields.Many2one(
        "account.journal",
        string="Invoice Journal",
        check_company=True,
        domain="[('type', '=', 'sale')]",
        help="The sales journal of this account's invoices (a marketplace's own journal "
        "comes first). Default: the company's first sales journal.",
    )
    offer_ids = fields.One2many("amazon.offer", "account_id", string="Offers")

    _sql_constraints = [
        (
            "stock_buffer_positive",
            "CHECK(stock_buffer >= 0)",
            "The stock buffer cannot be negative.",
        ),
        (
            "stock_share_percent",
            "CHECK(stock_share >= 0 AND stock_share <= 100)",
            "The stock share is a percent, from 0 to 100.",
        ),
        (
            "seller_company_uniq",
            "UNIQUE(seller_ref, environment, company_id)",
            "This Amazon seller is already linked to another account of this company.",
        ),
    ]

    # --- computes and constraints ------------------------------------------------------
    @api.constrains("marketplace_ids", "available_marketplace_ids")
    def _check_marketplaces_available(self):
        for account in self:
            missing = account.marketplace_ids - account.available_marketplace_ids
            if missing:
                raise ValidationError(
                    _(
                        "These marketplaces are not available to %(account)s: %(names)s. "
                        "Update the available marketplaces first.",
                        account=account.name,
                        names=", ".join(missing.mapped("name")),
                    )
                )

    def _check_admin_fields(self, vals):
        """Refuse ``vals`` that set where the account talks to or with what,
        unless the caller is a settings administrator (or the system). A value
        left at its default is no setting: a sales manager may create a
        production account and link it through Amazon's consent page."""
        if self.env.is_system():
            return
        defaults = {"environment": "production"}
        changed = sorted(
            name
            for name in ADMIN_FIELDS
            if name in vals and (vals[name] or False) != defaults.get(name, False)
        )
        if changed:
            names = [self._fields[name].get_description(self.env)["string"] for name in changed]
            raise AccessError(
                _(
                    "Only a settings administrator may set %(fields)s on an Amazon account: "
                    "they decide where the company's Amazon credentials are sent.",
                    fields=", ".join(names),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_admin_fields(vals)
            if vals.get("refresh_token"):
                vals.setdefault("link_date", fields.Datetime.now())
            self._prepare_company_defaults(vals)
        accounts = super().create(vals_list)
        for account in accounts.filtered(lambda a: not a.location_id):
            account.location_id = account.company_id._amazon_get_fba_location()
        accounts._amazon_ensure_send_route()
        return accounts

    def write(self, vals):
        self._check_admin_fields(vals)
        if "company_id" in vals:
            self._check_company_change(vals["company_id"])
        if "refresh_token" in vals and not self.env.context.get("amazon_linking"):
            # A token typed by hand: the account is (re)linked now.
            vals.setdefault("link_date", fields.Datetime.now() if vals["refresh_token"] else False)
        result = super().write(vals)
        if {"warehouse_id", "location_id"} & set(vals):
            self._amazon_ensure_send_route()
        return result

    @api.model
    def _default_responsible(self, company=None):
        """The user who creates the account; when the system does (a script, the
        demo), the administrator: activities must reach a person, not OdooBot.
        Nobody when that user does not work for the account's company."""
        company = company or self.env.company
        user = self.env.user
        if self.env.uid == SUPERUSER_ID:
            user = self.env.ref("base.user_admin", raise_if_not_found=False) or user
        return user if company in user.sudo().company_ids else self.env["res.users"]

    @api.model
    def _prepare_company_defaults(self, vals):
        """Defaults of an account made for another company than the current one
        are that company's (the field defaults are the current company's)."""
        company = self.env["res.company"].browse(vals.get("company_id") or self.env.company.id)
        if company == self.env.company:
            return
        if "warehouse_id" not in vals:
            vals["warehouse_id"] = (
                self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1).id
            )
        for field in ("responsible_id", "user_id"):
            if field not in vals:
                vals[field] = self._default_responsible(company).id

    def _has_records(self):
        """Whether anything was made for the account: its orders, offers, runs."""
        self.ensure_one()
        return any(
            self.env[model].sudo().search_count([(field, "=", self.id)], limit=1)
            for model, field in (
                ("sale.order", "amazon_account_id"),
                ("amazon.offer", "account_id"),
                ("amazon.sync.log", "account_id"),
            )
        )

    def _check_company_change(self, company_id):
        """An account's orders, offers, stock and money are its company's: once
        it has any, it stays in that company (a new account is made instead)."""
        for account in self:
            if account.company_id.id != company_id and account._has_records():
                raise UserError(
                    _(
                        "%(account)s already has orders, offers or synchronizations in "
                        "%(company)s: it cannot move to another company. Archive it and "
                        "create an account in the other company instead.",
                        account=account.name,
                        company=account.company_id.name,
                    )
                )

    def _check_company_consistency(self):
        """Before a flow writes anything as the system: everything the account
        points to is its company's (Odoo's company checks hold on what a user
        saves; this also catches what was set before them)."""
        for account in self:
            account._check_company()
            company = account.company_id
            for record in (company.amazon_fba_location_id, company.amazon_fba_damaged_location_id):
                if record and record.company_id and record.company_id != company:
                    raise UserError(
                        _(
                            "%(record)s belongs to %(other)s, not to %(company)s: the "
                            "Amazon flows of %(account)s do not run until it is mended.",
                            record=record.display_name,
                            other=record.company_id.name,
                            company=company.name,
                            account=account.name,
                        )
                    )

    def _check_can_operate(self):
        """Checked inside every action that talks to Amazon or changes the link,
        not only by the view: they run as the system, so the caller must be one
        who may change these accounts (sales managers, per the access rights, of
        the accounts' companies, per the record rules)."""
        self.check_access("write")

    # --- the flows' buttons (each flow's home does the work) ---------------------------------
    def _sync_orders(self, max_pages=None, **adapter_options):
        """Import the account's new and changed orders (the orders flow:
        amazon.order.import)."""
        return self.env["amazon.order.import"]._run(self, max_pages=max_pages, **adapter_options)

    def action_sync_orders(self):
        self._check_can_operate()
        self.ensure_one()
        return self.env["amazon.order.import"]._action_run(self)

    def action_open_recover_wizard(self):
        self._check_can_operate()
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Recover an Amazon Order"),
            "res_model": "amazon.recover.order.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_account_id": self.id},
        }

    def action_import_listings(self):
        self._check_can_operate()
        self.ensure_one()
        return self.env["amazon.listing.import"]._action_run(self)

    def action_reconcile_fba_stock(self):
        self._check_can_operate()
        self.ensure_one()
        return self.env["amazon.fba.inventory"]._action_run(self)

    def action_import_returns(self):
        self._check_can_operate()
        self.ensure_one()
        return self.env["amazon.return.import"]._action_run(self)

    def action_import_transactions(self):
        self._check_can_operate()
        self.ensure_one()
        return self.env["amazon.finance.import"]._action_run(self)

    def action_push_stock(self):
        self._check_can_operate()
        self.ensure_one()
        return self.env["amazon.stock.push"]._action_run(self)

    def action_send_cancellations(self):
        """Send the cancellations waiting and read Amazon's answers, now."""
        self._check_can_operate()
        self.ensure_one()
        return self.env["amazon.cancellation.export"]._action_run(self)

    # --- shipment confirmations ------------------------------------------------------------
    def action_sync_pickings(self):
        """Send the account's pending shipment confirmations now."""
        self._check_can_operate()
        self.ensure_one()
        return self.env["amazon.shipment.export"]._action_run(self)
