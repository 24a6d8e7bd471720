import logging

from odoo import api, fields, models

from ..mapping.finances import type_key

_logger = logging.getLogger(__name__)


class AmazonFeeAccount(models.Model):
    """The expense account of a type of Amazon fee, per company. A type met
    for the first time gets a line on the company's Amazon Fees account: the
    accountant sees every type Amazon charged and may give it its own."""

    _name = "amazon.fee.account"
    _description = "Amazon Fee Account"
    _order = "name"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    name = fields.Char(
        string="Fee Type", required=True, help="As Amazon names it (breakdown type)."
    )
    key = fields.Char(compute="_compute_key", store=True, index=True)
    account_id = fields.Many2one(
        "account.account", required=True, check_company=True, domain="[('deprecated', '=', False)]"
    )

    _sql_constraints = [
        ("key_uniq", "UNIQUE(company_id, key)", "This fee type already has its account."),
    ]

    @api.depends("name")
    def _compute_key(self):
        for mapping in self:
            mapping.key = type_key(mapping.name)

    @api.model
    def _accounts_for(self, company, names):
        """{type_key: account} of the fee types ``names``, the missing ones
        made on the company's default fee account."""
        wanted = {type_key(name): name for name in names}
        mappings = self.sudo().search(
            [("company_id", "=", company.id), ("key", "in", list(wanted))]
        )
        known = {mapping.key: mapping.account_id for mapping in mappings}
        missing = [key for key in wanted if key not in known]
        if missing:
            default = company._amazon_get_account("fee")
            self.sudo().create(
                [
                    {"company_id": company.id, "name": wanted[key], "account_id": default.id}
                    for key in missing
                ]
            )
            known.update(dict.fromkeys(missing, default))
        return known
