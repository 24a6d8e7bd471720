from odoo import fields, models


class StockPickingType(models.Model):
    _inherit = "stock.picking.type"

    amazon_send_to_amazon = fields.Boolean(
        string="Send to Amazon",
        copy=False,
        help="The operation type that sends a warehouse's goods to an Amazon account's FBA "
        "location (made with the account).",
    )
    amazon_mcf_account_id = fields.Many2one(
        "amazon.account",
        string="Fulfilled by Amazon (MCF)",
        copy=False,
        index="btree_not_null",
        help="Deliveries of this operation type are shipped by Amazon from this account's FBA "
        "stock (Multi-Channel Fulfillment).",
    )
