from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import float_compare


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

    # --- the orders flow (``run``: its OrderRun) ---------------------------------------------
    @api.model
    def _prepare_amazon_lines(self, run, order, fiscal_position, currency, tax_included):
        """The lines of an Amazon order (mapping.Order): one per item, with
        its promotion, then its shipping and gift wrap."""
        no_tax = self.env["account.tax"]
        lines = []
        for item in order.items:
            offer = self.env["amazon.offer"]._amazon_for_item(run, item, order)
            # Tax Amazon collects and remits as marketplace facilitator is not
            # the seller's: no tax of the seller's on the item.
            taxes = (
                no_tax
                if item.tax_by_marketplace
                else self._amazon_taxes(run, offer.product_id, fiscal_position)
            )
            lines.append(
                self._prepare_amazon_line_values(run, item, offer, taxes, tax_included, currency)
            )
            if item.promotion_discount:
                name = _(
                    "Promotion %(ids)s on %(sku)s", ids=", ".join(item.promotion_ids), sku=item.sku
                )
                product = run.company._amazon_get_default_product("promotion")
                lines.append(
                    self._prepare_amazon_service_values(
                        product, -item.promotion_discount, name, taxes, tax_included, currency
                    )
                )
        services = []  # (kind, amount, Amazon's level, line name)
        if order.shipping_total or order.service_level:
            level = order.service_level
            name = _("Shipping (%(level)s)", level=level or _("standard"))
            services.append(("shipping", order.shipping_total, level, name))
        if order.giftwrap_total:
            level = order.giftwrap_level
            name = _("Gift wrapping (%(level)s)", level=level or "-")
            services.append(("giftwrap", order.giftwrap_total, level, name))
        for kind, amount, level, name in services:
            # The product whose internal reference is Amazon's level, else the default.
            product = run.products_by_code.get(level) or (
                run.company._amazon_get_default_product(kind)
            )
            taxes = (
                no_tax
                if order.taxed_by_marketplace
                else self._amazon_taxes(run, product, fiscal_position)
            )
            lines.append(
                self._prepare_amazon_service_values(
                    product, amount, name, taxes, tax_included, currency
                )
            )
        return lines

    @api.model
    def _amazon_taxes(self, run, product, fiscal_position):
        taxes = product.taxes_id.filtered(lambda t: t.company_id in run.company.parent_ids)
        return fiscal_position.map_tax(taxes)

    @api.model
    def _prepare_amazon_line_values(self, run, item, offer, taxes, tax_included, currency):
        """The sale order line of an Amazon order item."""
        line = {
            "product_id": offer.product_id.id,
            "product_uom_qty": item.quantity,
            "price_unit": taxes._amazon_unit_price(
                item.item_total, item.quantity, tax_included, currency
            ),
            "tax_id": [(6, 0, taxes.ids)],
            "amazon_item_ref": item.item_ref,
            "amazon_offer_id": offer.id,
        }
        if offer.needs_review and item.title:  # the default product: Amazon's title says what
            line["name"] = f"[{item.sku}] {item.title}"
        return line

    @api.model
    def _prepare_amazon_service_values(self, product, amount, name, taxes, tax_included, currency):
        """A line of a service Amazon charged: shipping, gift wrap, a promotion."""
        return {
            "product_id": product.id,
            "name": name,
            "product_uom_qty": 1,
            "price_unit": taxes._amazon_unit_price(amount, 1, tax_included, currency),
            "tax_id": [(6, 0, taxes.ids)],
        }

    # --- FBA ---------------------------------------------------------------------------------
    def _prepare_amazon_fba_move_values(self, source):
        """The done move of an FBA order line, from Amazon's location."""
        self.ensure_one()
        order = self.order_id
        return {
            "name": f"{order.name}: {self.product_id.display_name}",
            "location_dest_id": order.partner_shipping_id.property_stock_customer.id,
            "product_id": self.product_id.id,
            "product_uom": self.product_uom.id,
            "product_uom_qty": self.product_uom_qty,
            "location_id": source.id,
            "partner_id": order.partner_shipping_id.id,
            "sale_line_id": self.id,
            "company_id": order.company_id.id,
            "origin": order.name,
        }

    def _action_launch_stock_rule(self, previous_product_uom_qty=False):
        # Amazon ships FBA orders from its own stock: no delivery to pick in Odoo
        # (the importer records one done move per item instead).
        others = self.filtered(lambda line: line.order_id.amazon_channel != "fba")
        return super(SaleOrderLine, others)._action_launch_stock_rule(previous_product_uom_qty)
