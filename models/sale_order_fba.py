"""The stock side of orders fulfilled by Amazon (FBA): Amazon shipped them
from its own stock, so each item leaves the account's Amazon location in a
done move, and tracked products wait for their lots."""

from odoo import _, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    # --- FBA: Amazon shipped from its stock -----------------------------------------------------
    def _amazon_record_fba_moves(self):
        """One done move per item, from the account's Amazon location to the
        customer (all these orders at once).

        Lot- and serial-tracked products take the lots Odoo holds at the Amazon
        location, through Odoo's reservation (the product's removal strategy:
        first in, first out unless its category says otherwise). Where none is
        there, the move waits on a delivery for a person to say which lot
        Amazon shipped: never a made-up lot."""
        lines = self.order_line.filtered(
            lambda line: line.product_id.type == "consu" and line.product_uom_qty > 0
        )
        if not lines:
            return
        # One location per account, looked up once (not once per line).
        sources = {
            account: account.location_id or account.company_id._amazon_get_fba_location()
            for account in self.amazon_account_id
        }
        moves = self.env["stock.move"].create(
            [
                line._prepare_amazon_fba_move_values(sources[line.order_id.amazon_account_id])
                for line in lines
            ]
        )
        moves._action_confirm()
        tracked = moves.filtered(lambda move: move.has_tracking != "none")
        for move in moves - tracked:
            move.quantity = move.product_uom_qty
        tracked._action_assign()
        waiting = tracked.filtered(
            lambda move: move.state != "assigned" or not all(move.move_line_ids.lot_id)
        )
        done = moves - waiting
        done.picked = True
        done._action_done()
        for sale in waiting.sale_line_id.order_id:
            sale._amazon_await_lots(
                waiting.filtered(lambda m, s=sale: m.sale_line_id.order_id == s)
            )

    def _amazon_fba_location(self):
        self.ensure_one()
        account = self.amazon_account_id
        return account.location_id or self.company_id._amazon_get_fba_location()

    def _amazon_await_lots(self, moves):
        """Moves of tracked products Amazon shipped without a lot Odoo knows
        of: a delivery from the Amazon location, for a person to enter the lot
        and validate, with an activity on the order saying so."""
        self.ensure_one()
        account = self.amazon_account_id
        warehouse = account.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.company_id.id)], limit=1
        )
        picking_type = warehouse.out_type_id
        if not self.procurement_group_id:
            self.procurement_group_id = self.env["procurement.group"].create(
                moves.sale_line_id[:1]._prepare_procurement_group_vals()
            )
        picking = self.env["stock.picking"].create(
            self._prepare_amazon_lot_picking_values(picking_type)
        )
        moves.write(
            {
                "picking_id": picking.id,
                "picking_type_id": picking_type.id,
                "group_id": self.procurement_group_id.id,
            }
        )
        note = _(
            "Amazon shipped this order from its stock (FBA), but Odoo's location "
            "%(location)s holds no lot or serial number of %(products)s to take. "
            "Enter the lot or serial number Amazon shipped on %(picking)s and "
            "validate it. Sending tracked products to Amazon with their lots "
            "(a Send to Amazon transfer) lets the next orders take them by themselves.",
            location=self._amazon_fba_location().display_name,
            products=", ".join(moves.product_id.mapped("display_name")),
            picking=picking.name,
        )
        self.activity_schedule(
            "mail.mail_activity_data_warning",
            summary=_("Lot or serial number for FBA order %(ref)s", ref=self.amazon_order_ref),
            note=note,
            user_id=(account.responsible_id or self.env.user).id,
        )

    def _prepare_amazon_lot_picking_values(self, picking_type):
        """The delivery of an FBA order awaiting the lots Amazon shipped."""
        return {
            "picking_type_id": picking_type.id,
            "location_id": self._amazon_fba_location().id,
            "location_dest_id": self.partner_shipping_id.property_stock_customer.id,
            "partner_id": self.partner_shipping_id.id,
            "origin": self.name,
            "group_id": self.procurement_group_id.id,
            "company_id": self.company_id.id,
        }
