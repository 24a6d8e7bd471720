"""Choose an Amazon Buy Shipping rate by hand: Amazon's rates for each parcel
of a delivery (carrier, service, price, promised delivery), the account's
rule's pick chosen first; buying validates the delivery (or sends it to the
shipper again) with the rates chosen.

The lines are Amazon's answer, written by the server: users read them and
choose among them, never write them. A purchase reads the chosen line by id
from the context and only accepts the user's own line of this delivery
(amazon.shipping.label._chosen_rate).
"""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..mapping.shipping import meets_promise, rate_to_dict


class AmazonShippingRateWizard(models.TransientModel):
    _name = "amazon.shipping.rate.wizard"
    _description = "Choose an Amazon Buy Shipping Rate"

    picking_id = fields.Many2one("stock.picking", required=True, readonly=True)
    deliver_by = fields.Datetime(
        string="Amazon's Delivery Promise",
        readonly=True,
        help="The latest delivery date Amazon promised the buyer.",
    )
    line_ids = fields.One2many("amazon.shipping.rate.wizard.line", "wizard_id", readonly=True)
    chosen_line_ids = fields.Many2many(
        "amazon.shipping.rate.wizard.line",
        "amazon_shipping_rate_chosen_rel",
        "wizard_id",
        "line_id",
        string="Chosen",
    )

    @api.model
    def _open(self, picking):
        """Ask Amazon for the rates of ``picking`` and show them."""
        picking.ensure_one()
        if not self.env.user.has_group("stock.group_stock_user"):
            raise AccessError(_("Only inventory users can buy Amazon labels."))
        picking.check_access("write")
        # Rated as the system once the user may change the delivery (a packer
        # need not read the order or the account), as the purchase is.
        quotes = self.env["amazon.shipping.label"].sudo()._quote(picking.sudo())
        deliver_by = picking.sudo().sale_id.amazon_deliver_by_date
        wizard = self.create({"picking_id": picking.id, "deliver_by": deliver_by})
        lines, chosen = [], []
        for package, token, rates, default in quotes:
            if not rates:
                raise UserError(
                    _(
                        "Amazon offers no rate for parcel %(parcel)s of %(picking)s.",
                        parcel=package.reference,
                        picking=picking.name,
                    )
                )
            for rate in rates:
                lines.append(self._prepare_line_values(wizard, package, token, rate, deliver_by))
                chosen.append(rate == default)
        currencies = self.env["res.currency"].search(
            [("name", "in", list({line["currency_name"] for line in lines}))]
        )
        by_name = {currency.name: currency.id for currency in currencies}
        for line in lines:
            line["currency_id"] = by_name.get(line.pop("currency_name"))
        # Amazon's answer, written by the server only (users read the lines).
        created = self.env["amazon.shipping.rate.wizard.line"].sudo().create(lines)
        wizard.chosen_line_ids = [
            (6, 0, [line.id for line, pick in zip(created, chosen, strict=True) if pick])
        ]
        return {
            "type": "ir.actions.act_window",
            "name": _("Choose an Amazon Rate"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    @api.model
    def _prepare_line_values(self, wizard, package, token, rate, deliver_by):
        """One rate's line (a hook)."""
        return {
            "wizard_id": wizard.id,
            "package_ref": package.reference,
            "token": token,
            "rate_data": rate_to_dict(rate),
            "carrier_name": rate.carrier_name,
            "service_name": rate.service_name,
            "amount": float(rate.amount),
            "currency_name": rate.currency,
            "delivery_start": rate.delivery_start,
            "delivery_end": rate.delivery_end,
            "meets_promise": meets_promise(rate, deliver_by),
        }

    def action_buy(self):
        """Buy the chosen rates: the delivery is validated (or sent to the
        shipper again after a cancelled label) with them."""
        self.ensure_one()
        choice = {}
        for line in self.chosen_line_ids.filtered(lambda line: line.wizard_id == self):
            if line.package_ref in choice:
                raise UserError(_("Choose one rate per parcel."))
            choice[line.package_ref] = line.id
        missing = set(self.line_ids.mapped("package_ref")) - set(choice)
        if missing:
            raise UserError(
                _("Choose a rate for parcel(s) %(parcels)s.", parcels=", ".join(sorted(missing)))
            )
        picking = self.picking_id.with_context(amazon_rate_choice=choice)
        if picking.state == "done":
            picking.send_to_shipper()
            return {"type": "ir.actions.act_window_close"}
        result = picking.button_validate()
        # A further step (a backorder...) is Odoo's own dialog; else closed.
        return result if isinstance(result, dict) else {"type": "ir.actions.act_window_close"}


class AmazonShippingRateWizardLine(models.TransientModel):
    _name = "amazon.shipping.rate.wizard.line"
    _description = "Amazon Buy Shipping Rate"
    _order = "package_ref, amount, delivery_end, id"

    wizard_id = fields.Many2one(
        "amazon.shipping.rate.wizard", required=True, ondelete="cascade", readonly=True
    )
    package_ref = fields.Char(string="Parcel", readonly=True)
    token = fields.Char(readonly=True)  # Amazon's requestToken of these rates
    rate_data = fields.Json(readonly=True)  # mapping.shipping.rate_to_dict
    carrier_name = fields.Char(string="Carrier", readonly=True)
    service_name = fields.Char(string="Service", readonly=True)
    amount = fields.Monetary(string="Price", currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    delivery_start = fields.Datetime(string="Delivery From", readonly=True)
    delivery_end = fields.Datetime(string="Delivery By", readonly=True)
    meets_promise = fields.Boolean(
        string="Meets Amazon's Promise",
        readonly=True,
        help="Delivered by the latest delivery date Amazon promised the buyer.",
    )
    chosen = fields.Boolean(compute="_compute_chosen")

    @api.depends("wizard_id.chosen_line_ids")
    def _compute_chosen(self):
        for line in self:
            line.chosen = line in line.wizard_id.chosen_line_ids

    def action_choose(self):
        """This rate for its parcel, instead of the one chosen before."""
        self.ensure_one()
        wizard = self.wizard_id
        others = wizard.chosen_line_ids.filtered(lambda line: line.package_ref != self.package_ref)
        wizard.chosen_line_ids = others | self
        return {
            "type": "ir.actions.act_window",
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
            "name": _("Choose an Amazon Rate"),
        }
