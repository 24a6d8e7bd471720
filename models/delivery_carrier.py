from odoo import api, fields, models

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


class DeliveryCarrier(models.Model):
    _inherit = "delivery.carrier"

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

    def _amazon_carrier(self):
        """(carrierCode, carrierName) for confirmShipment."""
        self.ensure_one()
        if self.amazon_carrier_code == "Self Delivery":
            return "Other", self.name or "Self Delivery"
        if self.amazon_carrier_code:
            return self.amazon_carrier_code, self.name
        return "Other", self.name
