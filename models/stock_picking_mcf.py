"""Deliveries Amazon ships from the seller's FBA stock (Multi-Channel
Fulfillment): a delivery of an account's 'Amazon MCF' operation type is a
fulfillment order, sent by the flow amazon_mcf_sync.py under the delivery's
reference. Amazon's packages validate it with Amazon's quantities (a partial
shipment leaves a backorder that follows the same order), with their tracking
numbers; Odoo's usual rules apply to the customer (this is not an Amazon
buyer: Odoo's shipping email). Cancelling it cancels the fulfillment order
while Amazon allows it."""

from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..mapping.checks import PayloadError
from ..mapping.mcf import SPEEDS, McfAddress, McfLine, fulfillment_order_id
from ..spapi import SpApiError, SpApiRequestError

MCF_STATES = [
    ("to_send", "To Send"),
    ("sent", "At Amazon"),
    ("done", "Shipped"),
    ("refused", "Refused"),
    ("cancelled", "Cancelled"),
]


class StockPicking(models.Model):
    _inherit = "stock.picking"

    amazon_mcf_account_id = fields.Many2one(
        related="picking_type_id.amazon_mcf_account_id", store=True, index="btree_not_null"
    )
    amazon_mcf_state = fields.Selection(
        MCF_STATES, string="Amazon MCF", copy=False, readonly=True, index="btree_not_null"
    )
    amazon_mcf_ref = fields.Char(string="Amazon Fulfillment Order", copy=False, readonly=True)
    amazon_mcf_status = fields.Char(string="Amazon's Status", copy=False, readonly=True)
    amazon_mcf_speed = fields.Selection(
        [(speed, speed) for speed in SPEEDS],
        string="Shipping Speed",
        copy=False,
        help="Empty: the account's.",
    )
    amazon_mcf_error = fields.Text(string="Amazon MCF Problem", copy=False, readonly=True)
    amazon_mcf_packages = fields.Json(string="Amazon Packages Applied", copy=False, readonly=True)
    amazon_mcf_preview_ids = fields.One2many(
        "amazon.mcf.preview", "picking_id", string="Amazon's Previews", readonly=True
    )

    def _amazon_mcf_mark_new(self):
        """New deliveries of an 'Amazon MCF' operation type wait To Send; the
        flow runs now (stock_picking.py's create calls this for them only)."""
        self.sudo().amazon_mcf_state = "to_send"
        self.env.ref("sale_amazon_connector.ir_cron_amazon_mcf_sync").sudo()._trigger()

    # --- what Amazon is sent ---------------------------------------------------------------
    def _amazon_mcf_lines(self):
        """One McfLine per product (SKU of the account's offer), or a UserError
        naming each product without one."""
        self.ensure_one()
        account = self.amazon_mcf_account_id
        moves = self.move_ids.filtered(lambda m: m.state not in ("done", "cancel"))
        offers = self.env["amazon.offer"].search(
            [("account_id", "=", account.id), ("product_id", "in", moves.product_id.ids)],
            order="id",
        )
        sku_of = {}
        for offer in offers:
            sku_of.setdefault(offer.product_id, offer.sku)
        missing = moves.product_id.filtered(lambda p: p not in sku_of)
        if missing:
            raise UserError(
                _(
                    "%(products)s have no Amazon offer on %(account)s: Amazon knows its FBA "
                    "stock by SKU.",
                    products=", ".join(missing.mapped("display_name")),
                    account=account.name,
                )
            )
        quantities = {}
        for move in moves:
            quantity = move.product_uom._compute_quantity(
                move.product_uom_qty, move.product_id.uom_id
            )
            quantities[move.product_id] = quantities.get(move.product_id, 0) + quantity
        return [
            McfLine(str(product.id), sku_of[product], quantity)
            for product, quantity in quantities.items()
        ]

    def _amazon_mcf_address(self):
        partner = self.partner_id
        if not partner:
            raise UserError(_("%(picking)s has no delivery address.", picking=self.name))
        return McfAddress(
            name=partner.name or partner.commercial_partner_id.name or "",
            line1=partner.street or "",
            line2=partner.street2 or "",
            city=partner.city or "",
            state=partner.state_id.code or "",
            postal_code=partner.zip or "",
            country=partner.country_id.code or "",
            phone=partner.phone or partner.mobile or "",
        )

    def _amazon_mcf_order_ref(self):
        return fulfillment_order_id((self.backorder_id or self).name)

    def _amazon_mcf_store_previews(self, previews):
        """Amazon's previews on the delivery, replacing the last ones."""
        self.ensure_one()
        currencies = self.env["res.currency"].search(
            [("name", "in", list({p.currency for p in previews if p.currency}))]
        )
        by_name = {currency.name: currency.id for currency in currencies}
        self.amazon_mcf_preview_ids.sudo().unlink()
        self.env["amazon.mcf.preview"].sudo().create(
            [
                {
                    "picking_id": self.id,
                    "speed": preview.speed,
                    "fulfillable": preview.fulfillable,
                    "fee": float(preview.fee_total),
                    "currency_id": by_name.get(preview.currency),
                    "ship_by": preview.latest_ship,
                    "arrival_from": preview.earliest_arrival,
                    "arrival_by": preview.latest_arrival,
                    "reasons": ", ".join(preview.reasons)[:250] or False,
                }
                for preview in previews
                if preview.speed in SPEEDS
            ]
        )

    def action_amazon_mcf_preview(self):
        """Ask Amazon now what each shipping speed would cost and promise."""
        self.ensure_one()
        self.check_access("read")
        if not self.amazon_mcf_account_id:
            raise UserError(_("%(picking)s is not shipped by Amazon.", picking=self.name))
        picking = self.sudo()  # the account's adapter; the user may read the delivery
        try:
            picking.env["amazon.mcf.sync"]._preview(picking)
        except (PayloadError, SpApiError) as error:
            raise UserError(str(error)) from error
        return True

    def action_amazon_mcf_retry(self):
        """Send a refused delivery to Amazon again (its address, speed or
        stock mended): previewed and created by the next run, started now."""
        if not self.env.user.has_group("stock.group_stock_user"):
            raise AccessError(_("Only inventory users can send deliveries to Amazon."))
        self.check_access("write")
        refused = self.filtered(
            lambda p: p.amazon_mcf_state == "refused" and p.state not in ("done", "cancel")
        )
        refused.sudo().write({"amazon_mcf_state": "to_send", "amazon_mcf_error": False})
        refused.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_warning")
        ).action_feedback(feedback=_("Sent to Amazon again."))
        self.env.ref("sale_amazon_connector.ir_cron_amazon_mcf_sync").sudo()._trigger()
        return True

    def _amazon_mcf_refuse(self, reason):
        """Amazon cannot (or would not) ship it: said on the delivery, with an
        activity for the account's responsible."""
        for picking in self:
            picking.write({"amazon_mcf_state": "refused", "amazon_mcf_error": reason})
            picking.activity_schedule(
                "mail.mail_activity_data_warning",
                summary=_("Amazon does not ship %(picking)s", picking=picking.name),
                note=reason,
                user_id=(picking.amazon_mcf_account_id.responsible_id or self.env.user).id,
            )

    # --- what Amazon did --------------------------------------------------------------------
    def _amazon_mcf_apply(self, order):
        """Amazon's fulfillment order (mapping.mcf.McfOrder) on this delivery
        and its backorders: each package shipped validates what it holds."""
        self.ensure_one()
        pickings = self.search([("amazon_mcf_ref", "=", self.amazon_mcf_ref)], order="id")
        applied = set(self.amazon_mcf_packages or [])
        for picking in pickings:
            applied |= set(picking.amazon_mcf_packages or [])
        new = [p for p in order.packages if f"{p.shipment_ref}/{p.number}" not in applied]
        open_pickings = pickings.filtered(lambda p: p.state not in ("done", "cancel"))
        pickings.write({"amazon_mcf_status": order.status})
        if new and open_pickings:
            open_pickings[:1]._amazon_mcf_ship(new, sorted(applied))
        if order.final:
            left = pickings.filtered(lambda p: p.state not in ("done", "cancel"))
            pickings.filtered(lambda p: p.state == "done").amazon_mcf_state = "done"
            if left and order.status == "Cancelled":  # in Seller Central
                left.amazon_mcf_state = "cancelled"
            elif left:
                left._amazon_mcf_refuse(
                    _(
                        "Amazon's fulfillment order %(ref)s is %(status)s: what was not shipped "
                        "will not be.",
                        ref=self.amazon_mcf_ref,
                        status=order.status,
                    )
                )

    def _amazon_mcf_ship(self, packages, applied):
        """Validate this delivery with the units of ``packages``; the rest
        waits on a backorder that follows the same fulfillment order."""
        self.ensure_one()
        shipped = {}
        for package in packages:
            for item_ref, quantity in package.items:
                shipped[item_ref] = shipped.get(item_ref, 0) + quantity
        for move in self.move_ids.filtered(lambda m: m.state not in ("done", "cancel")):
            units = shipped.get(str(move.product_id.id), 0)
            take = min(units, move.product_uom_qty)
            move.quantity = take
            move.picked = bool(take)
            shipped[str(move.product_id.id)] = units - take
        trackings = [p.tracking for p in packages if p.tracking]
        self.write(
            {
                "carrier_tracking_ref": ",".join(trackings) or self.carrier_tracking_ref,
                "amazon_mcf_packages": applied + [f"{p.shipment_ref}/{p.number}" for p in packages],
            }
        )
        self.with_context(cancel_backorder=False)._action_done()

    def _create_backorder(self, backorder_moves=None):
        backorders = super()._create_backorder(backorder_moves=backorder_moves)
        for backorder in backorders.filtered("backorder_id.amazon_mcf_ref"):
            origin = backorder.backorder_id
            backorder.sudo().write(
                {
                    "amazon_mcf_state": origin.amazon_mcf_state,
                    "amazon_mcf_ref": origin.amazon_mcf_ref,
                    "amazon_mcf_status": origin.amazon_mcf_status,
                }
            )
        return backorders

    # --- cancelling -------------------------------------------------------------------------
    def action_cancel(self):
        sent = self.filtered(lambda p: p.amazon_mcf_state == "sent")
        if sent:
            if not self.env.user.has_group("stock.group_stock_user"):
                raise AccessError(_("Only inventory users can cancel Amazon's shipments."))
            sent.check_access("write")
            for picking in sent.sudo():
                picking._amazon_mcf_cancel()
        return super().action_cancel()

    def _amazon_mcf_cancel(self):
        adapter = self.amazon_mcf_account_id._get_adapter()
        try:
            adapter.cancel_fulfillment_order(self.amazon_mcf_ref)
        except SpApiRequestError as error:
            raise UserError(
                _(
                    "Amazon does not cancel %(picking)s: %(reason)s",
                    picking=self.name,
                    reason=error.details or error.message,
                )
            ) from error
        pickings = self.search([("amazon_mcf_ref", "=", self.amazon_mcf_ref)])
        pickings.filtered(lambda p: p.state not in ("done", "cancel")).write(
            {"amazon_mcf_state": "cancelled", "amazon_mcf_status": "Cancelled"}
        )
