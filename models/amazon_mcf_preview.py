from odoo import fields, models

from ..mapping.mcf import SPEEDS


class AmazonMcfPreview(models.Model):
    """What Amazon's getFulfillmentPreview says of a delivery, per shipping
    speed: whether it can ship it, its fees and the promised dates."""

    _name = "amazon.mcf.preview"
    _description = "Amazon MCF Preview"
    _order = "picking_id, fee"
    _check_company_auto = True

    picking_id = fields.Many2one(
        "stock.picking", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(related="picking_id.company_id", store=True, index=True)
    sale_id = fields.Many2one(related="picking_id.sale_id", store=True, index="btree_not_null")
    speed = fields.Selection([(speed, speed) for speed in SPEEDS], required=True, readonly=True)
    fulfillable = fields.Boolean(readonly=True)
    fee = fields.Monetary(string="Amazon's Fees", currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    ship_by = fields.Datetime(string="Ships By", readonly=True)
    arrival_from = fields.Datetime(string="Arrives From", readonly=True)
    arrival_by = fields.Datetime(string="Arrives By", readonly=True)
    reasons = fields.Char(string="Why Not", readonly=True)
