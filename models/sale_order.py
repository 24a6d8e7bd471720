from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import float_compare
from odoo.tools.misc import formatLang

from .utils import amazon_label


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
    amazon_status = fields.Char(string="Amazon Status Code", readonly=True, copy=False)
    amazon_status_label = fields.Char(string="Amazon Status", compute="_compute_amazon_labels")
    amazon_last_updated = fields.Datetime(string="Amazon Last Update", readonly=True, copy=False)
    amazon_total = fields.Monetary(
        string="Amazon Total",
        readonly=True,
        copy=False,
        help="The order total Amazon charged the buyer.",
    )
    amazon_tax = fields.Monetary(
        string="Tax Charged by Amazon",
        readonly=True,
        copy=False,
        help="The tax in Amazon's total (its TAX proceeds). On marketplaces whose prices "
        "include VAT, Amazon's prices hold the VAT and this is usually zero.",
    )
    amazon_marketplace_tax = fields.Monetary(
        string="Tax Collected by Amazon",
        readonly=True,
        copy=False,
        help="The tax Amazon withholds and remits itself as marketplace facilitator (US "
        "states, and the like): in Amazon's total, but neither the seller's revenue nor "
        "the seller's tax to pay, so it is not on the order.",
    )
    amazon_total_difference = fields.Monetary(
        compute="_compute_amazon_total_difference",
        store=True,
        string="Difference with Amazon",
        help="Amazon's total, less the tax Amazon collects itself, minus Odoo's total. "
        "Not zero when the order's taxes or lines differ from Amazon's; the order says why.",
    )
    amazon_total_explanation = fields.Text(
        compute="_compute_amazon_total_explanation",
        string="Why Totals Differ",
    )
    amazon_invoice_error = fields.Char(
        string="Amazon Invoicing Error",
        readonly=True,
        copy=False,
        help="Why the last automatic invoicing of this order failed (cleared once invoiced).",
    )
    amazon_return_ids = fields.One2many("amazon.return", "sale_order_id", string="Amazon Returns")
    amazon_return_count = fields.Integer(compute="_compute_amazon_return_count")

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

    @api.depends("amazon_total", "amazon_marketplace_tax", "amount_total", "amazon_order_ref")
    def _compute_amazon_total_difference(self):
        for order in self:
            order.amazon_total_difference = (
                order.amazon_total - order.amazon_marketplace_tax - order.amount_total
                if order.amazon_order_ref
                else 0.0
            )

    @api.depends("amazon_return_ids")
    def _compute_amazon_return_count(self):
        for order in self:
            order.amazon_return_count = len(order.amazon_return_ids)

    def action_view_amazon_returns(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_amazon_connector.amazon_return_action"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    @api.depends("amazon_total_difference", "amount_tax", "amount_untaxed", "order_line.tax_id")
    def _compute_amazon_total_explanation(self):
        for order in self:
            order.amazon_total_explanation = order._amazon_explain_difference()

    def _amazon_explain_difference(self):
        """In words, why Odoo's total is not Amazon's (False when it is)."""
        self.ensure_one()
        currency = self.currency_id
        if not self.amazon_order_ref or currency.is_zero(self.amazon_total_difference):
            return False

        def amount(value):
            return formatLang(self.env, value, currency_obj=currency)

        reasons = []
        marketplace = self.amazon_marketplace_id
        excluded = self.order_line.tax_id.filtered(lambda tax: not tax.price_include)
        if marketplace.tax_included and excluded:
            reasons.append(
                _(
                    "Prices on %(marketplace)s include VAT, but the taxes %(taxes)s are not "
                    "price-included: Odoo took them out of Amazon's prices and adds them back, "
                    "rounding line by line. Map them to price-included taxes in the fiscal "
                    "position of the marketplace or of the destination country.",
                    marketplace=marketplace.name,
                    taxes=", ".join(excluded.mapped("name")),
                )
            )
        seller_tax = self.amazon_tax - self.amazon_marketplace_tax
        tax_excluded = not marketplace.tax_included
        if tax_excluded and currency.compare_amounts(seller_tax, self.amount_tax):
            reasons.append(
                _(
                    "Amazon charged %(amazon)s of tax that is the seller's to pay; Odoo's taxes "
                    "(%(taxes)s, fiscal position %(position)s) come to %(odoo)s. Check the "
                    "fiscal position of the delivery country or of %(marketplace)s.",
                    amazon=amount(seller_tax),
                    odoo=amount(self.amount_tax),
                    taxes=", ".join(self.order_line.tax_id.mapped("name")) or _("none"),
                    position=self.fiscal_position_id.name or _("none"),
                    marketplace=marketplace.name,
                )
            )
        untaxed = self.amazon_total - self.amazon_tax
        if tax_excluded and currency.compare_amounts(untaxed, self.amount_untaxed):
            reasons.append(
                _(
                    "Before tax, Amazon's items and charges come to %(amazon)s and Odoo's "
                    "lines to %(odoo)s: lines or prices were changed after the import.",
                    amazon=amount(untaxed),
                    odoo=amount(self.amount_untaxed),
                )
            )
        if not reasons:
            reasons.append(
                _(
                    "Odoo's total is %(odoo)s, Amazon's %(amazon)s: the order's lines or "
                    "prices were changed after the import, or a unit price was rounded (an "
                    "item's total that is not a multiple of its quantity).",
                    odoo=amount(self.amount_total),
                    amazon=amount(self.amazon_total - self.amazon_marketplace_tax),
                )
            )
        return "\n".join(reasons)

    # The buyer's words, personal data: sales managers only (the warehouse reads
    # it on the delivery). Erased once the order is delivered and the buyer's
    # retention period is over (res.partner._cron_amazon_anonymize).
    amazon_gift_message = fields.Text(
        string="Gift Message",
        readonly=True,
        copy=False,
        groups="sales_team.group_sale_manager",
    )

    @api.depends("amazon_status")
    def _compute_amazon_labels(self):
        for order in self:
            order.amazon_status_label = amazon_label(order.amazon_status, self.env.lang)

    def _amazon_record_shipped_elsewhere(self, shipped):
        """Amazon counts ``shipped`` ({order item ref: units}) of this FBM order
        as shipped, some of them without Odoo (in Seller Central, with another
        tool): what Odoo has not delivered of them leaves the open delivery and
        is recorded delivered, a done move from the warehouse's stock, the way
        FBA items are. Run again (a refresh), it records only what is new.
        Returns the done moves."""
        self.ensure_one()
        todo = {}
        for line in self.order_line:
            units = shipped.get(line.amazon_item_ref or "", 0)
            if not units or line.product_id.type != "consu":
                continue
            # Amazon also counts what Odoo shipped and confirmed: only the rest is new.
            extra = units - line.qty_delivered
            if float_compare(extra, 0, precision_rounding=line.product_uom.rounding) > 0:
                todo[line] = extra
        if not todo:
            return self.env["stock.move"]
        tracked = [line for line in todo if line.product_id.tracking != "none"]
        if tracked:
            # Which lots left, only a person knows: nothing is changed for them.
            self.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=_("Shipped outside Odoo: %(ref)s", ref=self.amazon_order_ref),
                note=_(
                    "Amazon reports units of %(products)s of this order as shipped, which "
                    "Odoo did not deliver. Validate them on the delivery with the lots or "
                    "serial numbers that left, and keep the rest on it.",
                    products=", ".join(line.product_id.display_name for line in tracked),
                ),
                user_id=(self.amazon_account_id.responsible_id or self.env.user).id,
            )
        lines = [line for line in todo if line.product_id.tracking == "none"]
        for line in lines:
            line._amazon_reduce_open_moves(todo[line])
        moves = self.env["stock.move"].create(
            [line._amazon_prepare_shipped_move_values(todo[line]) for line in lines]
        )
        moves._action_confirm()
        for move in moves:
            move.quantity = move.product_uom_qty
        moves.picked = True
        moves._action_done()
        return moves

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
        if self.amazon_offer_id.needs_review and self.name:
            # The default product of a SKU Odoo does not know: the packer reads
            # Amazon's title and SKU (the line's name) on the delivery and slip.
            values["product_description_variants"] = "\n" + self.name
        order = self.order_id
        if order.amazon_channel == "fbm" and order.amazon_ship_by_date:
            planned = order.amazon_ship_by_date - timedelta(days=order.company_id.security_lead)
            if order.amazon_ship_by_earliest:
                planned = max(planned, order.amazon_ship_by_earliest)
            values.update(date_deadline=order.amazon_ship_by_date, date_planned=planned)
        return values

    def _amazon_reduce_open_moves(self, units):
        """Take ``units`` (of the line's unit) off the line's open delivery, and
        off the moves that feed it (pick, pack): they left without it."""
        self.ensure_one()
        moves = self.move_ids.filtered(
            lambda m: m.state not in ("done", "cancel") and m.location_dest_id.usage == "customer"
        )
        for move in moves:
            if float_compare(units, 0, precision_rounding=self.product_uom.rounding) <= 0:
                break
            demand = move.product_uom._compute_quantity(move.product_uom_qty, self.product_uom)
            taken = min(units, demand)
            units -= taken
            chain = move | self.env["stock.move"].browse(move._rollup_move_origs())
            for step in chain.filtered(lambda m: m.state not in ("done", "cancel")):
                left = step.product_uom_qty - self.product_uom._compute_quantity(
                    taken, step.product_uom
                )
                if float_compare(left, 0, precision_rounding=step.product_uom.rounding) <= 0:
                    step._action_cancel()
                else:
                    step.product_uom_qty = left
                    step._action_assign()

    def _amazon_prepare_shipped_move_values(self, units):
        """The done move of ``units`` Amazon counts as shipped outside Odoo."""
        self.ensure_one()
        order = self.order_id
        warehouse = order.warehouse_id or order.amazon_account_id.warehouse_id
        return {
            "name": _(
                "%(order)s: %(product)s, shipped outside Odoo (Amazon)",
                order=order.name,
                product=self.product_id.display_name,
            ),
            "product_id": self.product_id.id,
            "product_uom": self.product_uom.id,
            "product_uom_qty": units,
            "location_id": warehouse.lot_stock_id.id,
            "location_dest_id": order.partner_shipping_id.property_stock_customer.id,
            "partner_id": order.partner_shipping_id.id,
            "sale_line_id": self.id,
            "company_id": order.company_id.id,
            "origin": order.name,
            "warehouse_id": warehouse.id,
        }

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        # Amazon ships FBA orders from its own stock: no delivery to pick in Odoo
        # (the importer records one done move per item instead).
        others = self.filtered(lambda line: line.order_id.amazon_channel != "fba")
        return super(SaleOrderLine, others)._action_launch_stock_rule(previous_product_uom_qty)
