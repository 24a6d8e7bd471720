from odoo import fields, models


class AmazonFbaReconciliationLine(models.Model):
    _name = "amazon.fba.reconciliation.line"
    _description = "Amazon FBA Stock Reconciliation Line"
    _order = "abs_drift desc, id"

    reconciliation_id = fields.Many2one(
        "amazon.fba.reconciliation", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="reconciliation_id.company_id", store=True)
    account_id = fields.Many2one(related="reconciliation_id.account_id", store=True)
    date = fields.Datetime(related="reconciliation_id.date", store=True)
    product_id = fields.Many2one("product.product", required=True, readonly=True)
    skus = fields.Char(string="SKUs", readonly=True)
    odoo_before = fields.Float(
        string="Odoo Before", digits="Product Unit of Measure", readonly=True
    )
    amazon_quantity = fields.Integer(
        string="Amazon's Quantity",
        readonly=True,
        help="What the Amazon location holds after this reconciliation: the fulfillable "
        "units, those Amazon reserves (mostly for orders it is shipping, which take "
        "their units out of the location when Odoo imports them) and those shipped to "
        "Amazon and not received yet.",
    )
    fulfillable = fields.Integer(readonly=True, help="Amazon can pick, pack and ship these.")
    inbound = fields.Integer(
        readonly=True, help="On their way to Amazon: working, shipped and receiving."
    )
    reserved = fields.Integer(
        readonly=True,
        help="Held by Amazon for orders being picked and shipped, transfers between "
        "fulfilment centres or processing.",
    )
    unfulfillable = fields.Integer(
        readonly=True,
        help="Damaged, defective or expired units: what the Amazon Damaged location holds "
        "after this reconciliation.",
    )
    researching = fields.Integer(readonly=True, help="Misplaced units Amazon is looking for.")
    drift = fields.Float(
        digits="Product Unit of Measure",
        readonly=True,
        help="Amazon's quantity minus Odoo's before this reconciliation.",
    )
    abs_drift = fields.Float(readonly=True)
    cause = fields.Char(readonly=True)
