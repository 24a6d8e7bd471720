from odoo import fields, models


class StockMove(models.Model):
    _inherit = "stock.move"

    # The FBA reconciliation's inventory adjustments: the line that booked
    # them, and Amazon's ledger's explanation of it (for the valuation's audit).
    amazon_fba_line_id = fields.Many2one(
        "amazon.fba.reconciliation.line",
        string="Amazon FBA Reconciliation",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    amazon_ledger_explanation = fields.Text(
        related="amazon_fba_line_id.explanation", string="Amazon's Ledger Explanation"
    )

    def _amazon_ledger_reference(self):
        """The reference Amazon's ledger gives the same movement: the Amazon
        order of an FBA order's delivery or return, the fulfilment order of an
        MCF delivery, else the move's origin."""
        self.ensure_one()
        order = self.sale_line_id.order_id
        if order.amazon_order_ref:
            return order.amazon_order_ref
        return self.picking_id.amazon_mcf_ref or self.origin or self.reference or ""
