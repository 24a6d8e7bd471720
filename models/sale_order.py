from datetime import timedelta

from odoo import _, api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    amazon_account_id = fields.Many2one(
        "amazon.account", string="Amazon Account", readonly=True, index="btree_not_null"
    )
    amazon_order_ref = fields.Char(
        string="Amazon Order Reference", readonly=True, copy=False, index="btree_not_null"
    )
    amazon_marketplace_id = fields.Many2one(
        "amazon.marketplace", string="Amazon Marketplace", readonly=True
    )
    amazon_channel = fields.Selection(
        [("fba", "Fulfilled by Amazon"), ("fbm", "Fulfilled by Merchant")],
        string="Fulfillment Channel",
        readonly=True,
    )
    amazon_status = fields.Char(string="Amazon Status", readonly=True, copy=False)
    amazon_last_updated = fields.Datetime(string="Amazon Last Update", readonly=True, copy=False)
    amazon_total = fields.Monetary(
        string="Amazon Total",
        readonly=True,
        copy=False,
        help="The order total Amazon charged the buyer.",
    )
    amazon_total_difference = fields.Monetary(
        compute="_compute_amazon_total_difference",
        store=True,
        string="Difference with Amazon",
        help="Amazon's total minus Odoo's: not zero when the products' taxes differ "
        "from the taxes Amazon charged.",
    )

    # OrderFulfillment.shipByWindow / deliverByWindow: FBM sellers are measured
    # on them (late shipment rate). The delivery is scheduled by the ship-by.
    amazon_ship_by_earliest = fields.Datetime(string="Ship From", readonly=True, copy=False)
    amazon_ship_by_date = fields.Datetime(
        string="Ship By",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The latest time Amazon promised the buyer the order ships.",
    )
    amazon_deliver_by_earliest = fields.Datetime(string="Deliver From", readonly=True, copy=False)
    amazon_deliver_by_date = fields.Datetime(
        string="Deliver By",
        readonly=True,
        copy=False,
        help="The latest time Amazon promised the buyer the order arrives.",
    )
    amazon_programs = fields.Char(
        string="Amazon Programs",
        readonly=True,
        copy=False,
        help="Amazon's programs for this order (Prime, Business, Premium, Pre-order...).",
    )

    _sql_constraints = [
        (
            "amazon_order_uniq",
            "UNIQUE(amazon_account_id, amazon_order_ref)",
            "This Amazon order was already imported for this account.",
        ),
    ]

    @api.depends("amazon_total", "amount_total", "amazon_order_ref")
    def _compute_amazon_total_difference(self):
        for order in self:
            order.amazon_total_difference = (
                order.amazon_total - order.amount_total if order.amazon_order_ref else 0.0
            )

    # The buyer's words, personal data: sales managers only (the warehouse reads
    # it on the delivery). Erased once the order is delivered and the buyer's
    # retention period is over (res.partner._cron_amazon_anonymize).
    amazon_gift_message = fields.Text(
        string="Gift Message",
        readonly=True,
        copy=False,
        groups="sales_team.group_sale_manager",
    )

    def _amazon_cancel(self):
        """Amazon cancelled the order: cancel it with its open deliveries, unless
        goods already left; then a person decides (an activity says so)."""
        for order in self:
            delivered = any(
                move.state == "done" and move.location_dest_id.usage == "customer"
                for move in order.order_line.move_ids
            )
            if delivered:
                order.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=_("Cancelled on Amazon after delivery"),
                    note=_(
                        "Amazon cancelled order %(ref)s, but goods were already delivered "
                        "in Odoo. Check the delivery and refund or return as needed.",
                        ref=order.amazon_order_ref,
                    ),
                    user_id=(order.amazon_account_id.responsible_id or self.env.user).id,
                )
            elif order.state != "cancel":
                order.with_context(disable_cancel_warning=True)._action_cancel()


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    amazon_item_ref = fields.Char(string="Amazon Order Item", readonly=True, copy=False)
    amazon_offer_id = fields.Many2one("amazon.offer", readonly=True, copy=False)

    def _prepare_procurement_values(self, group_id=False):
        """Merchant-fulfilled Amazon orders leave by Amazon's ship-by date: it is
        the delivery's deadline, and its scheduled date (less the company's
        security lead time, never before the ship window opens)."""
        values = super()._prepare_procurement_values(group_id)
        order = self.order_id
        if order.amazon_channel == "fbm" and order.amazon_ship_by_date:
            planned = order.amazon_ship_by_date - timedelta(days=order.company_id.security_lead)
            if order.amazon_ship_by_earliest:
                planned = max(planned, order.amazon_ship_by_earliest)
            values.update(date_deadline=order.amazon_ship_by_date, date_planned=planned)
        return values

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        # Amazon ships FBA orders from its own stock: no delivery to pick in Odoo
        # (the importer records one done move per item instead).
        others = self.filtered(lambda line: line.order_id.amazon_channel != "fba")
        return super(SaleOrderLine, others)._action_launch_stock_rule(previous_product_uom_qty)
