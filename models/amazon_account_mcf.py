"""An account's Multi-Channel Fulfillment settings: Amazon ships the orders of
Odoo's other channels (webshop, B2B...) from the account's FBA stock.

Turned on, the account gets an operation type "Amazon MCF" (from its Amazon
location to the customers) and a route "Fulfilled by Amazon (MCF)" that sale
order lines and products can take: their deliveries are this account's
fulfillment orders (stock_picking_mcf.py, the flow amazon_mcf_sync.py)."""

from odoo import _, fields, models

from ..mapping.mcf import POLICIES, SPEEDS

POLICY_LABELS = {
    "FillOrKill": "Fill or kill: nothing ships if an item cannot",
    "FillAll": "Fill all: ship everything, waiting for what is missing",
    "FillAllAvailable": "Fill all available: ship what there is, cancel the rest",
}


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    mcf_enabled = fields.Boolean(
        string="Multi-Channel Fulfillment",
        readonly=True,
        help="Amazon ships the deliveries of the route 'Fulfilled by Amazon (MCF)' from this "
        "account's FBA stock.",
    )
    mcf_speed = fields.Selection(
        [(speed, speed) for speed in SPEEDS],
        string="MCF Shipping Speed",
        default="Standard",
        required=True,
        help="The shipping speed a delivery asks unless it says otherwise.",
    )
    mcf_policy = fields.Selection(
        [(policy, POLICY_LABELS[policy]) for policy in POLICIES],
        string="MCF Fulfillment Policy",
        default="FillOrKill",
        required=True,
    )
    mcf_marketplace_id = fields.Many2one(
        "amazon.marketplace",
        string="MCF Marketplace",
        domain="[('id', 'in', marketplace_ids)]",
        help="The marketplace whose fulfillment network ships the orders (where the FBA "
        "stock is). Empty: the account's sign-up marketplace.",
    )
    mcf_picking_type_id = fields.Many2one(
        "stock.picking.type", string="MCF Operation Type", readonly=True, copy=False
    )
    mcf_route_id = fields.Many2one("stock.route", string="MCF Route", readonly=True, copy=False)
    mcf_last_sync = fields.Datetime(
        string="MCF Orders Read",
        readonly=True,
        copy=False,
        help="Amazon's fulfillment orders changed since then are read at the next run.",
    )

    def action_enable_mcf(self):
        """Amazon ships the route's deliveries from now on: the account's MCF
        operation type and route made (once), or active again."""
        self.check_access("write")
        self.write({"mcf_enabled": True})
        self._amazon_ensure_mcf_route()
        self.mcf_route_id.sudo().active = True
        return True

    def action_disable_mcf(self):
        """No new delivery goes to Amazon (those at Amazon are still followed);
        the route is archived, to take up again."""
        self.check_access("write")
        self.write({"mcf_enabled": False})
        self.mcf_route_id.sudo().active = False
        return True

    def _amazon_mcf_marketplace(self):
        """The marketplace the account's fulfillment orders are placed against."""
        self.ensure_one()
        return self.mcf_marketplace_id or self.signup_marketplace_id

    def _amazon_ensure_mcf_route(self):
        """The account's 'Amazon MCF' operation type and route, made once (the
        seller's to edit afterwards)."""
        for account in self.filtered(lambda a: not a.mcf_picking_type_id):
            warehouse = account.warehouse_id or self.env["stock.warehouse"].search(
                [("company_id", "=", account.company_id.id)], limit=1
            )
            location = account.location_id or account.company_id._amazon_get_fba_location()
            picking_type = (
                self.env["stock.picking.type"]
                .sudo()
                .create(account._prepare_amazon_mcf_type_values(warehouse, location))
            )
            route = (
                self.env["stock.route"]
                .sudo()
                .create(account._prepare_amazon_mcf_route_values(warehouse, location, picking_type))
            )
            account.sudo().write({"mcf_picking_type_id": picking_type.id, "mcf_route_id": route.id})

    def _prepare_amazon_mcf_type_values(self, warehouse, location):
        customers = self.env.ref("stock.stock_location_customers")
        return {
            "name": _("Amazon MCF (%(account)s)", account=self.name),
            "code": "outgoing",
            "sequence_code": "MCF",
            "amazon_mcf_account_id": self.id,
            "warehouse_id": warehouse.id,
            "company_id": self.company_id.id,
            "default_location_src_id": location.id,
            "default_location_dest_id": customers.id,
        }

    def _prepare_amazon_mcf_route_values(self, warehouse, location, picking_type):
        """A route sale order lines and products take: their deliveries leave
        from the Amazon location, shipped by Amazon."""
        return {
            "name": _("Fulfilled by Amazon (MCF): %(account)s", account=self.name),
            "sale_selectable": True,
            "product_selectable": True,
            "warehouse_selectable": False,
            "company_id": self.company_id.id,
            "rule_ids": [
                (
                    0,
                    0,
                    {
                        "name": _("%(location)s to customers", location=location.display_name),
                        "action": "pull",
                        "procure_method": "make_to_stock",
                        "picking_type_id": picking_type.id,
                        "location_src_id": location.id,
                        "location_dest_id": picking_type.default_location_dest_id.id,
                        "warehouse_id": warehouse.id,
                        "company_id": self.company_id.id,
                    },
                )
            ],
        }
