from odoo import _, api, fields, models

# Amazon's carrier codes (the CarrierCode values of confirmShipment). Anything
# else is sent as "Other" with the carrier's name.
AMAZON_CARRIERS = [
    ("USPS", "USPS"),
    ("UPS", "UPS"),
    ("UPS Mail Innovations", "UPS Mail Innovations"),
    ("FedEx", "FedEx"),
    ("FedEx SmartPost", "FedEx SmartPost"),
    ("DHL", "DHL"),
    ("DHL eCommerce", "DHL eCommerce"),
    ("Amazon Shipping", "Amazon Shipping"),
    ("OnTrac", "OnTrac"),
    ("Canada Post", "Canada Post"),
    ("Purolator", "Purolator"),
    ("Estafeta", "Estafeta"),
    ("Royal Mail", "Royal Mail"),
    ("Parcelforce", "Parcelforce"),
    ("Evri", "Evri (Hermes)"),
    ("DPD", "DPD"),
    ("GLS", "GLS"),
    ("Hermes Logistik Gruppe", "Hermes (Germany)"),
    ("Deutsche Post", "Deutsche Post"),
    ("La Poste", "La Poste"),
    ("Colissimo", "Colissimo"),
    ("Chronopost", "Chronopost"),
    ("Correos", "Correos"),
    ("SEUR", "SEUR"),
    ("MRW", "MRW"),
    ("BRT", "BRT"),
    ("Poste Italiane", "Poste Italiane"),
    ("PostNL", "PostNL"),
    ("Bpost", "bpost"),
    ("TNT", "TNT"),
    ("PostNord", "PostNord"),
    ("InPost", "InPost"),
    ("Japan Post", "Japan Post"),
    ("Yamato Transport", "Yamato Transport"),
    ("Sagawa Express", "Sagawa Express"),
    ("Australia Post", "Australia Post"),
    ("India Post", "India Post"),
    ("Blue Dart", "Blue Dart"),
    ("Self Delivery", "Self delivery (your own vehicles)"),
]
# The integrations Odoo ships, and Amazon's code of their carrier.
DELIVERY_TYPE_CODES = {
    "ups": "UPS",
    "ups_rest": "UPS",
    "fedex": "FedEx",
    "fedex_rest": "FedEx",
    "dhl": "DHL",
    "dhl_rest": "DHL",
    "usps": "USPS",
    "usps_rest": "USPS",
    "bpost": "Bpost",
    "sendcloud": False,  # several carriers behind it: choose by hand
    "easypost": False,
}


# Tracking pages of the carriers Buy Shipping names (carrierId, by prefix).
TRACKING_URLS = {
    "AMZN": "https://track.amazon.com/tracking/{}",
    "DHL": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={}",
    "UPS": "https://www.ups.com/track?tracknum={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "FEDEX": "https://www.fedex.com/fedextrack/?trknbr={}",
    "ROYAL_MAIL": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
}


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

    delivery_type = fields.Selection(
        selection_add=[("amazon", "Amazon Buy Shipping")], ondelete={"amazon": "set default"}
    )
    amazon_package_type_id = fields.Many2one(
        "stock.package.type",
        string="Default Package Type",
        check_company=True,
        help="The box of a delivery not put in packages: Amazon rates a parcel by its "
        "dimensions and weight.",
    )

    amazon_carrier_code = fields.Selection(
        AMAZON_CARRIERS,
        string="Amazon Carrier",
        compute="_compute_amazon_carrier_code",
        store=True,
        readonly=False,
        help="How Amazon knows this carrier in shipment confirmations. Empty: sent as "
        "'Other' with the carrier's name.",
    )

    @api.depends("delivery_type")
    def _compute_amazon_carrier_code(self):
        for carrier in self:
            if not carrier.amazon_carrier_code:
                carrier.amazon_carrier_code = DELIVERY_TYPE_CODES.get(carrier.delivery_type) or (
                    False
                )

    def _amazon_provides_tracking(self):
        """The carrier's integration creates the shipment and its tracking number
        when the delivery is validated."""
        self.ensure_one()
        return self.integration_level == "rate_and_ship" and self.delivery_type not in (
            "fixed",
            "base_on_rule",
        )

    # --- Amazon Buy Shipping: Odoo's carrier API (stock_delivery) -------------------------
    def amazon_rate_shipment(self, order):
        """Amazon rates each parcel when its delivery is validated; the buyer
        paid Amazon's shipping on Amazon: nothing to add to an Amazon order."""
        if order.amazon_order_ref and order.amazon_channel == "fbm":
            return {"success": True, "price": 0.0, "error_message": False, "warning_message": False}
        return {
            "success": False,
            "price": 0.0,
            "error_message": _("Amazon Buy Shipping ships the orders you sell on Amazon only."),
            "warning_message": False,
        }

    def amazon_send_shipping(self, pickings):
        """Buy the labels of ``pickings`` (Odoo calls this as the system once
        the user validated, or pressed Send to Shipper)."""
        results = []
        for picking in pickings:
            # Bought as the system once the user may change the delivery (a
            # packer need not read the order or the account).
            picking.check_access("write")
            labels = self.env["amazon.shipping.label"].sudo()._buy(picking.sudo())
            currency = picking.sale_id.currency_id or picking.company_id.currency_id
            price = sum(
                label.currency_id._convert(
                    label.amount, currency, picking.company_id, fields.Date.context_today(self)
                )
                for label in labels
            )
            picking._amazon_confirmed_by_labels(labels)
            results.append(
                {"exact_price": price, "tracking_number": ",".join(labels.mapped("tracking_ref"))}
            )
        return results

    def amazon_get_tracking_link(self, picking):
        label = picking.amazon_label_ids.filtered(lambda label: label.state == "bought")[:1]
        for prefix, url in TRACKING_URLS.items():
            if label and (label.carrier_ref or "").upper().startswith(prefix):
                return url.format(label.tracking_ref)
        return False

    def amazon_cancel_shipment(self, pickings):
        for picking in pickings:
            picking._amazon_cancel_labels()

    def _amazon_carrier(self):
        """(carrierCode, carrierName) for confirmShipment."""
        self.ensure_one()
        if self.amazon_carrier_code == "Self Delivery":
            return "Other", self.name or "Self Delivery"
        if self.amazon_carrier_code:
            return self.amazon_carrier_code, self.name
        return "Other", self.name
