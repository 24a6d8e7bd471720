from odoo import api, fields, models

from .amazon_account import SECRET_GROUP
from .res_partner import ANONYMIZE_DAYS_PARAM, ANONYMIZE_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    amazon_app_ref = fields.Char(
        related="company_id.amazon_app_ref", readonly=False, groups=SECRET_GROUP
    )
    amazon_lwa_client_id = fields.Char(
        related="company_id.amazon_lwa_client_id", readonly=False, groups=SECRET_GROUP
    )
    amazon_lwa_client_secret = fields.Char(
        related="company_id.amazon_lwa_client_secret", readonly=False, groups=SECRET_GROUP
    )
    amazon_sqs_queue_url = fields.Char(
        related="company_id.amazon_sqs_queue_url", readonly=False, groups=SECRET_GROUP
    )
    amazon_sqs_region = fields.Char(
        related="company_id.amazon_sqs_region", readonly=False, groups=SECRET_GROUP
    )
    amazon_sqs_access_key = fields.Char(
        related="company_id.amazon_sqs_access_key", readonly=False, groups=SECRET_GROUP
    )
    amazon_sqs_secret_key = fields.Char(
        related="company_id.amazon_sqs_secret_key", readonly=False, groups=SECRET_GROUP
    )
    amazon_sale_product_id = fields.Many2one(
        related="company_id.amazon_sale_product_id", readonly=False
    )
    amazon_shipping_product_id = fields.Many2one(
        related="company_id.amazon_shipping_product_id", readonly=False
    )
    amazon_giftwrap_product_id = fields.Many2one(
        related="company_id.amazon_giftwrap_product_id", readonly=False
    )
    amazon_promotion_product_id = fields.Many2one(
        related="company_id.amazon_promotion_product_id", readonly=False
    )
    amazon_stock_allocation = fields.Selection(
        related="company_id.amazon_stock_allocation", readonly=False
    )
    amazon_log_retention_days = fields.Integer(
        string="Keep Amazon Sync Logs (days)",
        config_parameter="sale_amazon_connector.log_retention_days",
        default=30,
    )
    # Not a plain config_parameter boolean: Odoo deletes the parameter when it is
    # unticked, and the default (on) would come back. Stored as "True"/"False".
    amazon_anonymize = fields.Boolean(
        string="Anonymize Amazon Buyers",
        help="Erase the names, streets, phones and emails of the buyers the Amazon "
        "import created, once all their orders are delivered and invoiced and the "
        "last delivery is older than the days below. Customers who were in Odoo "
        "before are never erased.",
    )
    amazon_anonymize_days = fields.Integer(
        string="Anonymize After (days)",
        config_parameter=ANONYMIZE_DAYS_PARAM,
        default=30,
    )

    @api.model
    def get_values(self):
        values = super().get_values()
        param = self.env["ir.config_parameter"].sudo().get_param(ANONYMIZE_PARAM, "True")
        values["amazon_anonymize"] = param == "True"
        return values

    def set_values(self):
        super().set_values()
        self.env["ir.config_parameter"].sudo().set_param(
            ANONYMIZE_PARAM, "True" if self.amazon_anonymize else "False"
        )
