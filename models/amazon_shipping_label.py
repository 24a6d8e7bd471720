"""Amazon Buy Shipping labels of FBM deliveries (Shipping API v2).

A delivery validated with a shipping method of type *Amazon Buy Shipping*
buys one label per parcel ("each shipment is limited to a single package"):
its parcels are read from Odoo (packages, else the delivery as one parcel of
the carrier's default package type), rated by Amazon, one rate chosen by the
account's rule (or by hand, ``amazon_rate_choice`` in the context), bought, and
the label attached to the delivery. The label confirms the shipment on
Amazon: the delivery is never sent again with confirmShipment.

A purchase is written down before it is sent (``amazon.shipping.purchase``):
after a crash the same request is sent again and Amazon answers with the
first label. Amazon's refusal undoes the validation with Amazon's reason;
rates older than Amazon's 10 minutes (TOKEN_EXPIRED) are asked again, once.
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.checks import PayloadError
from ..mapping.shipping import (
    LabelPackage,
    buyable_rates,
    choose_rate,
    document_specification,
    parse_purchase,
    parse_rates,
    rate_from_dict,
    rates_request,
)
from ..spapi import SpApiError, SpApiRequestError

_logger = logging.getLogger(__name__)


class AmazonShippingLabel(models.Model):
    _name = "amazon.shipping.label"
    _description = "Amazon Buy Shipping Label"
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "tracking_ref"

    picking_id = fields.Many2one(
        "stock.picking", required=True, index=True, ondelete="restrict", check_company=True
    )
    company_id = fields.Many2one(related="picking_id.company_id", store=True, index=True)
    account_id = fields.Many2one(
        "amazon.account", required=True, ondelete="restrict", check_company=True
    )
    package_ref = fields.Char(string="Parcel", required=True, readonly=True)
    shipment_ref = fields.Char(string="Amazon Shipment", required=True, readonly=True)
    tracking_ref = fields.Char(string="Tracking Number", required=True, readonly=True)
    carrier_ref = fields.Char(string="Carrier Id", readonly=True)
    carrier_name = fields.Char(string="Carrier", readonly=True)
    service_name = fields.Char(string="Service", readonly=True)
    amount = fields.Monetary(string="Price", currency_field="currency_id", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    delivery_date = fields.Datetime(string="Promised Delivery", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="Label", readonly=True)
    # The purchase's x-amzn-IdempotencyKey: a purchase in flight whose label is
    # recorded is done (amazon.shipping.purchase).
    purchase_key = fields.Char(readonly=True, index="btree_not_null", copy=False)
    state = fields.Selection(
        [("bought", "Bought"), ("cancelled", "Cancelled")],
        default="bought",
        required=True,
        readonly=True,
    )

    _sql_constraints = [
        ("shipment_unique", "unique(account_id, shipment_ref)", "A label is recorded once."),
    ]

    # --- buying ----------------------------------------------------------------------------
    @api.model
    def _buy(self, picking):
        """Buy the labels of ``picking`` (read as the system: the warehouse
        user's rights were checked by the validation). Returns the labels."""
        self._check_fbm(picking)
        packages = self._packages(picking)  # says what is missing before any call
        adapter = picking.sale_id.amazon_account_id._get_adapter()
        labels = self.browse()
        for package in packages:
            labels |= self._buy_package(picking, package, adapter)
        return labels

    @api.model
    def _quote(self, picking):
        """Amazon's rates for each parcel of ``picking``, for a person to choose
        (wizards/amazon_shipping_rate_wizard.py): [(package, token, buyable
        rates, the rate the account's rule picks)]."""
        self._check_fbm(picking)
        account = picking.sale_id.amazon_account_id
        adapter = account._get_adapter()
        quotes = []
        for package in self._packages(picking):
            token, rates = self._get_rates(picking, package, adapter)
            rates = buyable_rates(rates, account.buy_shipping_format)
            quotes.append((package, token, rates, self._choose(picking, rates)))
        return quotes

    @staticmethod
    def _check_fbm(picking):
        order = picking.sale_id
        if not (order.amazon_order_ref and order.amazon_channel == "fbm"):
            raise UserError(
                _(
                    "%(picking)s is not the delivery of an Amazon order shipped by you: "
                    "Amazon Buy Shipping buys labels for those only.",
                    picking=picking.name,
                )
            )

    def _packages(self, picking):
        """The parcels of the delivery (mapping.shipping.LabelPackage), or a
        UserError naming each missing weight or dimension."""
        kg = self.env.ref("uom.product_uom_kgm")
        cm = self.env.ref("uom.product_uom_cm")
        template = self.env["product.template"]
        weight_uom = template._get_weight_uom_id_from_ir_config_parameter()
        length_uom = template._get_length_uom_id_from_ir_config_parameter()
        default_type = picking.carrier_id.amazon_package_type_id
        groups = {}
        for line in picking.move_line_ids.filtered("quantity"):
            groups.setdefault(line.result_package_id, self.env["stock.move.line"])
            groups[line.result_package_id] |= line
        problems, packages = [], []
        light = picking.move_line_ids.product_id.filtered(lambda p: p.weight <= 0)
        if light:
            problems.append(
                _(
                    "Set the weight of %(products)s (product form, Inventory tab).",
                    products=", ".join(light.mapped("display_name")),
                )
            )
        for index, (package, lines) in enumerate(sorted(groups.items(), key=lambda g: g[0].id)):
            kind = package.package_type_id or default_type
            if not (kind and kind.packaging_length > 0 and kind.width > 0 and kind.height > 0):
                problems.append(
                    _(
                        "Give %(parcel)s a package type with its length, width and height, or "
                        "set a default package type on %(carrier)s.",
                        parcel=package.name or picking.name,
                        carrier=picking.carrier_id.name,
                    )
                )
                continue
            weight = package.shipping_weight or sum(
                line.product_id.weight
                * line.product_uom_id._compute_quantity(line.quantity, line.product_id.uom_id)
                for line in lines
            ) + (kind.base_weight or 0)
            items, value = {}, 0.0
            for line in lines:
                sale_line = line.move_id.sale_line_id
                if not sale_line.amazon_item_ref:
                    continue
                quantity = line.product_uom_id._compute_quantity(
                    line.quantity, sale_line.product_uom
                )
                items[sale_line.amazon_item_ref] = (
                    items.get(sale_line.amazon_item_ref, 0) + quantity
                )
                value += sale_line.price_reduce_taxinc * quantity
            packages.append(
                LabelPackage(
                    reference=str(index + 1),
                    weight_kg=weight_uom._compute_quantity(weight, kg),
                    length_cm=length_uom._compute_quantity(kind.packaging_length, cm),
                    width_cm=length_uom._compute_quantity(kind.width, cm),
                    height_cm=length_uom._compute_quantity(kind.height, cm),
                    value=round(value, 2),
                    currency=picking.sale_id.currency_id.name,
                    items=tuple(
                        (ref, round(qty)) for ref, qty in sorted(items.items()) if round(qty)
                    ),
                )
            )
        if problems:
            raise UserError(
                _("Amazon needs each parcel's weight and size to rate it:")
                + "\n- "
                + "\n- ".join(problems)
            )
        return packages

    def _buy_package(self, picking, package, adapter):
        purchases = self.env["amazon.shipping.purchase"].sudo()
        pending = purchases._pending(picking, package.reference)
        if pending and self.search_count([("purchase_key", "=", pending[2])]):
            pending = None  # recorded; its row is forgotten after the commit
        if pending:
            # Sent before and never recorded (a crash, a failed validation): the
            # same request again, which Amazon answers with the same label.
            token, rate_ref, key, rate_values = pending
        else:
            token, rate_ref, rate_values = self._rate(picking, package, adapter)
            key = purchases._intend(picking, package.reference, token, rate_ref, rate_values)
        try:
            purchase = self._purchase(picking, package, adapter, token, rate_ref, key)
        except SpApiRequestError as error:
            if error.code != "TOKEN_EXPIRED" or self.env.context.get("amazon_rerated"):
                purchases._forget(picking, package.reference, committed=True)
                raise UserError(
                    _(
                        "Amazon refused the label of %(picking)s: %(reason)s",
                        picking=picking.name,
                        reason=error.details or error.message,
                    )
                ) from error
            # Amazon's rates last 10 minutes: rated again, once.
            purchases._forget(picking, package.reference, committed=True)
            return self.with_context(amazon_rerated=True)._buy_package(picking, package, adapter)
        except SpApiError as error:
            # Unknown whether Amazon bought it: the purchase stays written down,
            # the next validation sends the same request again.
            raise UserError(
                _(
                    "Amazon could not be reached to buy the label of %(picking)s: %(reason)s. "
                    "Validate again: no second label will be bought.",
                    picking=picking.name,
                    reason=error,
                )
            ) from error
        label = self._record(picking, package, purchase, rate_values, key)
        purchases._forget(picking, package.reference)
        return label

    def _rate(self, picking, package, adapter):
        """(request token, rate id, the label's rate values) of one parcel: the
        rate a person chose in the wizard, else the account's rule's."""
        chosen = self._chosen_rate(picking, package)
        if chosen and not self.env.context.get("amazon_rerated"):
            rate = rate_from_dict(chosen.rate_data)
            return chosen.token, rate.rate_id, self._prepare_rate_values(rate)
        token, rates = self._get_rates(picking, package, adapter)
        account = picking.sale_id.amazon_account_id
        rates = buyable_rates(rates, account.buy_shipping_format)
        if chosen:
            # The chosen rate expired: the same carrier's same service, else
            # the person chooses again.
            seen = rate_from_dict(chosen.rate_data)
            rate = next(
                (
                    r
                    for r in rates
                    if (r.carrier_id, r.service_id) == (seen.carrier_id, seen.service_id)
                ),
                None,
            )
            if rate is None:
                raise UserError(
                    _(
                        "Amazon no longer offers %(carrier)s %(service)s for %(picking)s: "
                        "choose the rate again.",
                        carrier=seen.carrier_name,
                        service=seen.service_name,
                        picking=picking.name,
                    )
                )
        else:
            rate = self._choose(picking, rates)
        if rate is None:
            raise UserError(
                _(
                    "Amazon offers no rate for %(picking)s that prints a %(format)s label.",
                    picking=picking.name,
                    format=account.buy_shipping_format,
                )
            )
        return token, rate.rate_id, self._prepare_rate_values(rate)

    def _get_rates(self, picking, package, adapter):
        """(request token, every Rate) Amazon offers for one parcel."""
        request = rates_request(picking.sale_id.amazon_order_ref, self._ship_from(picking), package)
        payload = adapter.get_rates(request, self._country(picking))
        try:
            return parse_rates(payload)
        except PayloadError as error:
            raise UserError(
                _("Amazon's rates could not be read: %(error)s", error=error)
            ) from error

    @api.model
    def _choose(self, picking, rates):
        """The rate the account's rule picks among buyable ``rates`` (a hook)."""
        account = picking.sale_id.amazon_account_id
        return choose_rate(
            rates,
            account.buy_shipping_rule,
            account.buy_shipping_format,
            picking.sale_id.amazon_deliver_by_date,
        )

    def _chosen_rate(self, picking, package):
        """The wizard's line a person chose for this parcel, if any: only the
        user's own line of a wizard on this delivery counts (the context is the
        caller's; its values are Amazon's, written by the wizard)."""
        line_id = (self.env.context.get("amazon_rate_choice") or {}).get(package.reference)
        if not line_id:
            return None
        line = self.env["amazon.shipping.rate.wizard.line"].sudo().browse(int(line_id)).exists()
        if not (
            line
            and line.create_uid.id == self.env.uid
            and line.wizard_id.picking_id == picking
            and line.package_ref == package.reference
        ):
            raise UserError(_("This rate was not offered for %(picking)s.", picking=picking.name))
        return line

    def _purchase(self, picking, package, adapter, token, rate_ref, key):
        account = picking.sale_id.amazon_account_id
        payload = adapter.purchase_shipment(
            token,
            rate_ref,
            document_specification(account.buy_shipping_format),
            key,
            self._country(picking),
        )
        try:
            return parse_purchase(payload, package.reference)
        except PayloadError as error:
            raise UserError(
                _("Amazon's label could not be read: %(error)s", error=error)
            ) from error

    @api.model
    def _prepare_rate_values(self, rate):
        """What the label records of its rate (a hook)."""
        return {
            "carrier_ref": rate.carrier_id,
            "carrier_name": rate.carrier_name,
            "service_ref": rate.service_id,
            "service_name": rate.service_name,
            "amount": str(rate.amount),
            "currency": rate.currency,
            "delivery_date": rate.delivery_end and fields.Datetime.to_string(rate.delivery_end),
        }

    def _record(self, picking, package, purchase, rate_values, key):
        currency = self.env["res.currency"].search(
            [("name", "=", rate_values["currency"])], limit=1
        )
        extension = {"PDF": "pdf", "ZPL": "zpl", "PNG": "png"}.get(purchase.document_format, "bin")
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"LabelAmazon-{purchase.tracking_id}.{extension}",
                "raw": purchase.document,
                "res_model": "stock.picking",
                "res_id": picking.id,
                "mimetype": "application/pdf" if extension == "pdf" else None,
            }
        )
        return self.create(
            {
                "picking_id": picking.id,
                "account_id": picking.sale_id.amazon_account_id.id,
                "package_ref": package.reference,
                "shipment_ref": purchase.shipment_id,
                "tracking_ref": purchase.tracking_id,
                "carrier_ref": rate_values["carrier_ref"],
                "carrier_name": rate_values["carrier_name"],
                "service_name": rate_values["service_name"],
                "amount": float(rate_values["amount"]),
                "currency_id": currency.id,
                "delivery_date": rate_values.get("delivery_date"),
                "attachment_id": attachment.id,
                "purchase_key": key,
            }
        )

    def _ship_from(self, picking):
        """The warehouse's address (shippingV2 Address)."""
        partner = picking.picking_type_id.warehouse_id.partner_id or picking.company_id.partner_id
        missing = [
            label
            for label, value in (
                (_("street"), partner.street),
                (_("city"), partner.city),
                (_("ZIP"), partner.zip),
                (_("country"), partner.country_id),
            )
            if not value
        ]
        if missing:
            raise UserError(
                _(
                    "The address of %(partner)s, where Amazon's carrier picks the parcel up, "
                    "lacks its %(missing)s.",
                    partner=partner.display_name,
                    missing=", ".join(missing),
                )
            )
        address = {
            "name": (partner.name or "")[:50],
            "addressLine1": partner.street,
            "addressLine2": partner.street2,
            "city": partner.city,
            "stateOrRegion": partner.state_id.code or partner.city,
            "postalCode": partner.zip,
            "countryCode": partner.country_id.code,
            "phoneNumber": partner.phone,
        }
        return {key: value for key, value in address.items() if value}

    @staticmethod
    def _country(picking):
        return picking.sale_id.amazon_marketplace_id.country_id.code or None

    # --- after the purchase ------------------------------------------------------------------
    def _cancel(self):
        """Cancel these labels on Amazon; Amazon's refusal is said as it is."""
        for label in self.filtered(lambda label: label.state == "bought"):
            adapter = label.account_id._get_adapter()
            try:
                adapter.cancel_shipment(label.shipment_ref, self._country(label.picking_id))
            except SpApiRequestError as error:
                raise UserError(
                    _(
                        "Amazon does not cancel the label %(tracking)s: %(reason)s",
                        tracking=label.tracking_ref,
                        reason=error.details or error.message,
                    )
                ) from error
            label.state = "cancelled"
