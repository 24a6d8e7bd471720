from decimal import Decimal

from odoo import fields, models

from ..mapping.finances import MoneyLine


class AmazonFinanceTransactionLine(models.Model):
    """An amount of a transaction by type (``ProductCharges``, ``Tax``,
    ``AmazonFees``...), for an item (SKU) or the transaction itself."""

    _name = "amazon.finance.transaction.line"
    _description = "Amazon Financial Transaction Line"
    _order = "transaction_id, id"

    transaction_id = fields.Many2one(
        "amazon.finance.transaction", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="transaction_id.company_id", store=True)
    currency_id = fields.Many2one(related="transaction_id.currency_id")
    item_level = fields.Boolean(
        string="Item", help="A breakdown of an item (else of the transaction as a whole)."
    )
    sku = fields.Char(string="SKU")
    quantity = fields.Integer()
    breakdown_type = fields.Char(string="Type")
    detail_type = fields.Char(string="Detail")
    amount = fields.Monetary()
    adjustment_ref = fields.Char(string="Adjustment ID")

    def _money_lines(self):
        """These lines as mapping.finances.MoneyLine."""
        return [
            MoneyLine(
                sku=line.sku or "",
                quantity=line.quantity,
                kind=line.breakdown_type or "",
                detail=line.detail_type or line.breakdown_type or "",
                amount=Decimal(str(line.amount)),
                # Lines kept before the level was: an item's have a SKU.
                item_level=line.item_level or bool(line.sku),
            )
            for line in self
        ]
