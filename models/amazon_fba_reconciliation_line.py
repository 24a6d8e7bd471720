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

    # --- Amazon's inventory ledger of the period (amazon_fba_reconciliation.py _explain) ---
    odoo_movement = fields.Float(
        string="Odoo's Movement",
        digits="Product Unit of Measure",
        readonly=True,
        help="Odoo's moves in and out of the Amazon location since the previous "
        "reconciliation (FBA orders, returns, MCF), Send to Amazon transfers aside.",
    )
    amazon_movement = fields.Integer(
        string="Amazon's Movement",
        readonly=True,
        help="The sellable units' events of Amazon's ledger over the same period.",
    )
    ledger_receipts = fields.Integer(string="Received", readonly=True)
    ledger_shipments = fields.Integer(string="Shipped", readonly=True)
    ledger_returns = fields.Integer(string="Customer Returns", readonly=True)
    ledger_removals = fields.Integer(string="Removed", readonly=True)
    ledger_transfers = fields.Integer(string="Transfers", readonly=True)
    ledger_found = fields.Integer(string="Found", readonly=True)
    ledger_lost = fields.Integer(string="Lost", readonly=True)
    ledger_damaged = fields.Integer(string="Damaged", readonly=True)
    ledger_disposed = fields.Integer(string="Disposed", readonly=True)
    ledger_other = fields.Integer(string="Other Events", readonly=True)
    ledger_ending = fields.Integer(
        string="Ledger's Ending Balance",
        readonly=True,
        help="The sellable units Amazon's ledger summary counts at the period's end.",
    )
    explained = fields.Float(digits="Product Unit of Measure", readonly=True)
    unexplained = fields.Float(
        digits="Product Unit of Measure",
        readonly=True,
        help="The drift no event of Amazon's ledger or move of Odoo explains.",
    )
    abs_unexplained = fields.Float(string="Unexplained (Units)", readonly=True)
    explanation = fields.Text(
        readonly=True, help="The drift, event by event, each with its reference."
    )
    ledger_event_ids = fields.One2many(
        "amazon.fba.ledger.event", "line_id", string="Ledger Events", readonly=True
    )
    move_ids = fields.One2many(
        "stock.move", "amazon_fba_line_id", string="Adjustments Booked", readonly=True
    )
