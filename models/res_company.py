from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..spapi.queue import NotificationQueue, QueueError
from .amazon_account_adapter import TRUSTED_HOSTS_PARAM

SECRET_GROUP = "base.group_system"
AMAZON_PRODUCT_KINDS = ("sale", "shipping", "giftwrap", "promotion")


class ResCompany(models.Model):
    _inherit = "res.company"

    # Company-wide defaults of the SP-API app (one app usually serves every account).
    amazon_app_ref = fields.Char(string="Amazon SP-API App ID", groups=SECRET_GROUP)
    amazon_lwa_client_id = fields.Char(string="Amazon LWA Client ID", groups=SECRET_GROUP)
    amazon_lwa_client_secret = fields.Char(string="Amazon LWA Client Secret", groups=SECRET_GROUP)
    # The SQS queue Amazon's notifications arrive in (one per app, so per
    # company), and the AWS keys that read it (amazon_notification_consumer.py).
    amazon_sqs_queue_url = fields.Char(string="Amazon Notifications Queue URL", groups=SECRET_GROUP)
    amazon_sqs_region = fields.Char(string="Amazon Notifications Queue Region", groups=SECRET_GROUP)
    amazon_sqs_access_key = fields.Char(string="AWS Access Key ID", groups=SECRET_GROUP)
    amazon_sqs_secret_key = fields.Char(string="AWS Secret Access Key", groups=SECRET_GROUP)
    # Amazon's destination for that queue (createDestination), once made.
    amazon_notification_destination_ref = fields.Char(
        string="Amazon Notifications Destination", copy=False, groups=SECRET_GROUP
    )
    # The queue's health: when it was last read without error, and when a
    # notification last arrived.
    amazon_sqs_polled = fields.Datetime(
        string="Notifications Queue Read", copy=False, readonly=True
    )
    amazon_sqs_received = fields.Datetime(
        string="Last Notification Received", copy=False, readonly=True
    )
    amazon_fba_location_id = fields.Many2one(
        "stock.location", string="Amazon FBA Location", check_company=True
    )
    amazon_fba_damaged_location_id = fields.Many2one(
        "stock.location", string="Amazon Damaged Location", check_company=True
    )
    # The payouts' accounting (amazon_payout.py), each made on first use.
    amazon_payout_journal_id = fields.Many2one(
        "account.journal",
        string="Amazon Payout Journal",
        check_company=True,
        help="The journal of the entries of Amazon's payouts.",
    )
    amazon_clearing_account_id = fields.Many2one(
        "account.account",
        string="Amazon Clearing Account",
        check_company=True,
        help="What Amazon owes the seller: each payout's transfer is debited here, and "
        "matched with the bank statement line of the transfer.",
    )
    amazon_reserve_account_id = fields.Many2one(
        "account.account",
        string="Amazon Reserve Account",
        check_company=True,
        help="Money Amazon holds back (reserves) and balances carried from one payout to the next.",
    )
    amazon_fee_account_id = fields.Many2one(
        "account.account",
        string="Amazon Fees Account",
        check_company=True,
        help="The expense account of a type of Amazon fee with no account of its own "
        "(Amazon Fee Accounts).",
    )
    amazon_vendor_id = fields.Many2one(
        "res.partner",
        string="Amazon as Vendor",
        check_company=True,
        help="The vendor of Amazon's invoices to the seller, and of the fees payouts "
        "deduct for them.",
    )
    amazon_sale_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self._amazon_shipped_product("sale"),
        string="Amazon Sale Product",
        help="Sells the items whose SKU matches no offer nor internal reference.",
    )
    amazon_shipping_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self._amazon_shipped_product("shipping"),
        string="Amazon Shipping Product",
        help="Shipping lines whose service level matches no product.",
    )
    amazon_giftwrap_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self._amazon_shipped_product("giftwrap"),
        string="Amazon Gift Wrapping Product",
        help="Gift-wrap lines whose gift-wrap level matches no product.",
    )

    amazon_promotion_product_id = fields.Many2one(
        "product.product",
        default=lambda self: self._amazon_shipped_product("promotion"),
        string="Amazon Promotion Product",
        help="Lines of the promotion discounts Amazon granted.",
    )
    amazon_stock_allocation = fields.Selection(
        [("each", "Each Listing Offers All"), ("split", "Split Between Listings")],
        string="Amazon Stock Allocation",
        # Not required: a column NOT NULL on res.company breaks the companies
        # other modules create while this one is not loaded (empty = "each").
        default="each",
        help="Each listing offers all: every merchant-fulfilled listing of a product, "
        "on every marketplace and account, offers its whole free quantity (after the "
        "account's buffer and share); a burst of orders can sell more than the stock.\n"
        "Split between listings: the listings of a product together never offer more "
        "than its free quantity.",
    )

    def _amazon_get_fba_location(self):
        """The company's 'Amazon' location (stock held by Amazon), made on first use."""
        self.ensure_one()
        if not self.amazon_fba_location_id:
            self.sudo().amazon_fba_location_id = self._amazon_make_location(_("Amazon"))
        return self.amazon_fba_location_id

    def _amazon_get_fba_damaged_location(self):
        """The company's 'Amazon Damaged' location: units Amazon holds but cannot
        sell (returned damaged or defective). Beside the Amazon location, not
        inside it: FBA orders take their lots from the Amazon location and
        everything in it."""
        self.ensure_one()
        if not self.amazon_fba_damaged_location_id:
            self.sudo().amazon_fba_damaged_location_id = self._amazon_make_location(
                _("Amazon Damaged")
            )
        return self.amazon_fba_damaged_location_id

    def _amazon_get_payout_journal(self):
        """The company's 'Amazon Payouts' journal, made on first use."""
        self.ensure_one()
        if not self.amazon_payout_journal_id:
            Journal = self.env["account.journal"].sudo()
            code = next(
                code
                for code in ("AMZP", "AMZP2", "AMZP3", "AMZP4", "AMZPX")
                if not Journal.search_count([("company_id", "=", self.id), ("code", "=", code)])
            )
            self.sudo().amazon_payout_journal_id = Journal.create(
                {
                    "name": _("Amazon Payouts"),
                    "code": code,
                    "type": "general",
                    "company_id": self.id,
                }
            )
        return self.amazon_payout_journal_id

    def _amazon_get_account(self, kind):
        """The company's Amazon account of ``kind`` (clearing, reserve, fee),
        made on first use, coded after an account of the same nature in the
        company's chart."""
        self.ensure_one()
        field = f"amazon_{kind}_account_id"
        if not self[field]:
            name, account_type, reconcile = {
                "clearing": (_("Amazon Clearing"), "asset_current", True),
                "reserve": (_("Amazon Reserve"), "asset_current", False),
                "fee": (_("Amazon Fees"), "expense", False),
            }[kind]
            Account = self.env["account.account"].sudo().with_company(self)
            like = (
                self.transfer_account_id
                if account_type == "asset_current" and self.transfer_account_id
                else Account.search(
                    [("company_ids", "in", self.id), ("account_type", "=", account_type)],
                    order="code",
                    limit=1,
                )
            )
            code = Account._search_new_account_code(like.code if like else "AMZ000")
            self.sudo()[field] = Account.create(
                {
                    "name": name,
                    "code": code,
                    "account_type": account_type,
                    "reconcile": reconcile,
                    "company_ids": [(6, 0, self.ids)],
                }
            )
        return self[field]

    def _amazon_get_vendor(self, name=None, vat=None):
        """The company's Amazon vendor, made on first use with the name and VAT
        number Amazon invoices under."""
        self.ensure_one()
        if not self.amazon_vendor_id:
            self.sudo().amazon_vendor_id = (
                self.env["res.partner"]
                .sudo()
                .create(
                    {
                        "name": name or "Amazon",
                        "vat": vat or False,
                        "is_company": True,
                        "company_id": self.id,
                        "supplier_rank": 1,
                    }
                )
            )
        return self.amazon_vendor_id

    def _amazon_make_location(self, name):
        parent = self.env.ref("stock.stock_location_locations", raise_if_not_found=False)
        return (
            self.env["stock.location"]
            .sudo()
            .create(
                {
                    "name": name,
                    "usage": "internal",
                    "location_id": parent.id if parent else False,
                    "company_id": self.id,
                }
            )
        )

    def _amazon_shipped_product(self, kind):
        return self.env.ref(f"sale_amazon_connector.product_amazon_{kind}", False)

    @api.model
    def _amazon_fill_default_products(self):
        """Companies without a default product of a kind get the shipped one,
        so that Settings shows the product in use (installation, upgrade)."""
        for kind in AMAZON_PRODUCT_KINDS:
            product = self._amazon_shipped_product(kind)
            field = f"amazon_{kind}_product_id"
            if product:
                self.sudo().search([(field, "=", False)]).write({field: product.id})

    def _amazon_get_default_product(self, kind):
        """The company's default product of ``kind`` (sale, shipping, giftwrap),
        else the one shipped as data."""
        self.ensure_one()
        product = self[f"amazon_{kind}_product_id"]
        return product or self.env.ref(f"sale_amazon_connector.product_amazon_{kind}")

    def _amazon_notification_queue(self):
        """The company's notifications queue (spapi/queue.py), or None when
        Settings name none; a UserError says what is wrong with the settings.
        Called by the consumer (the system) and by account buttons after their
        rights check: it reads the secrets as the system."""
        self.ensure_one()
        company = self.sudo()
        if not company.amazon_sqs_queue_url:
            return None
        listed = self.env["ir.config_parameter"].sudo().get_param(TRUSTED_HOSTS_PARAM, "")
        trusted = {host.strip().lower() for host in listed.split(",") if host.strip()}
        try:
            return NotificationQueue(
                company.amazon_sqs_queue_url.strip(),
                (company.amazon_sqs_region or "").strip(),
                company.amazon_sqs_access_key,
                company.amazon_sqs_secret_key,
                trusted_hosts=trusted,
            )
        except QueueError as error:
            raise UserError(
                _(
                    "The notifications queue of %(company)s cannot be used: %(error)s",
                    company=self.name,
                    error=error,
                )
            ) from None
