import functools

from markupsafe import Markup

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
    # Multi-Channel Fulfillment: what Amazon said of this order's deliveries.
    amazon_mcf_preview_ids = fields.One2many(
        "amazon.mcf.preview", "sale_id", string="Amazon's MCF Previews", readonly=True
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
        amount = functools.partial(formatLang, self.env, currency_obj=currency)

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

    # --- the orders flow: an Amazon order's refreshes --------------------------------------------
    @api.model
    def _prepare_amazon_window_values(self, order):
        """Amazon's ship-by and deliver-by windows and programs (also refreshed
        when Amazon changes them)."""
        return {
            "amazon_ship_by_earliest": order.ship_by_earliest or False,
            "amazon_ship_by_date": order.ship_by_latest or False,
            "amazon_deliver_by_earliest": order.deliver_by_earliest or False,
            "amazon_deliver_by_date": order.deliver_by_latest or False,
            "amazon_programs": ", ".join(order.programs) or False,
        }

    def _amazon_update(self, order):
        """Amazon's newer version of the order (mapping.Order): its status and
        windows, its cancellation, the units it shipped outside Odoo."""
        self.ensure_one()
        values = {"amazon_status": order.status, "amazon_last_updated": order.last_updated}
        windows = self._prepare_amazon_window_values(order)
        values.update({name: value for name, value in windows.items() if self[name] != value})
        if order.status == "CANCELLED" and self.amazon_status != "CANCELLED":
            self._amazon_cancel()
        elif order.channel != "FBA" and self.state == "sale":
            self._amazon_record_shipped_items(order)
        self.write(values)

    def _amazon_record_shipped_items(self, order):
        """What Amazon already counts as shipped of an FBM order (a partly
        shipped order, or one shipped in Seller Central since) is not on its
        delivery: recorded delivered."""
        shipped = {item.item_ref: item.quantity_shipped for item in order.items}
        if any(shipped.values()):
            self._amazon_record_shipped_elsewhere(shipped)

    @api.model
    def _amazon_log_origin(self, account, created):
        """Each new order's chatter says where it came from and when, in one
        create for the page (message_post per order would cost a few queries
        each). ``created``: [(sale order, mapping.Order)]. ``self.env._``:
        plain ``_`` finds no language inside a comprehension."""
        note = self.env.ref("mail.mt_note").id
        imported = fields.Datetime.now()
        self.env["mail.message"].create(
            [
                {
                    "model": "sale.order",
                    "res_id": sale.id,
                    "record_name": sale.name,
                    "message_type": "notification",
                    "subtype_id": note,
                    "body": Markup("<p>%s</p>")
                    % self.env._(
                        "Imported from %(marketplace)s (account %(account)s) on %(imported)s "
                        "UTC: Amazon order %(ref)s, placed on %(placed)s UTC, %(channel)s.",
                        marketplace=sale.amazon_marketplace_id.name,
                        account=account.name,
                        imported=fields.Datetime.to_string(imported),
                        ref=order.ref,
                        placed=fields.Datetime.to_string(order.purchase_date),
                        channel=order.channel,
                    ),
                }
                for sale, order in created
            ]
        )
