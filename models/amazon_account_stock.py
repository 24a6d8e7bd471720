"""Where an Amazon account's goods are: the warehouse that ships its
merchant-fulfilled orders, the location that stands for what Amazon holds
(FBA), the route that replenishes it (*Send to Amazon*), and how much of the
warehouse's stock the account offers Amazon (the FBM stock push)."""

from odoo import _, fields, models


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Warehouse (FBM)",
        check_company=True,
        default=lambda self: self.env["stock.warehouse"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
        help="Ships the orders fulfilled by the merchant.",
    )
    location_id = fields.Many2one(
        "stock.location",
        string="FBA Stock Location",
        check_company=True,
        domain="[('usage', '=', 'internal')]",
        help="Where the stock held by Amazon (FBA) lives in Odoo. Default: the "
        "company's 'Amazon' location.",
    )
    fbm_stock_sync = fields.Boolean(
        string="Synchronize FBM Stock",
        help="Send the available quantities of merchant-fulfilled offers to Amazon.",
    )
    stock_buffer = fields.Integer(
        string="Stock Buffer",
        help="Units of each product kept back: Amazon is offered the free quantity minus this.",
    )
    stock_share = fields.Integer(
        string="Stock Share (%)",
        default=100,
        help="The percent of the free quantity (after the buffer) this account offers. "
        "In 'split' allocation (Settings), the shares of the accounts selling a "
        "product from one warehouse are scaled down when they add up to more than 100%.",
    )

    # --- replenishing Amazon: the Send to Amazon route ---------------------------------
    def _amazon_ensure_send_route(self):
        """Each account's 'Send to Amazon' operation type and route: from its
        warehouse's stock to its Amazon location. Made once per warehouse and
        location, then the seller's to edit (they are found by the type's mark)."""
        PickingType = self.env["stock.picking.type"].sudo().with_context(active_test=False)
        for account in self.filtered(
            lambda a: a.warehouse_id and a.warehouse_id.company_id == a.company_id
        ):
            warehouse = account.warehouse_id
            location = account.location_id or account.company_id._amazon_get_fba_location()
            found = PickingType.search(
                [
                    ("amazon_send_to_amazon", "=", True),
                    ("warehouse_id", "=", warehouse.id),
                    ("default_location_dest_id", "=", location.id),
                ],
                limit=1,
            )
            if found:
                continue
            picking_type = PickingType.create(
                account._prepare_amazon_send_type_values(warehouse, location)
            )
            self.env["stock.route"].sudo().create(
                account._prepare_amazon_send_route_values(warehouse, location, picking_type)
            )

    def _prepare_amazon_send_type_values(self, warehouse, location):
        return {
            "name": _("Send to Amazon"),
            "code": "internal",
            "sequence_code": "AMZ",
            "amazon_send_to_amazon": True,
            "warehouse_id": warehouse.id,
            "company_id": warehouse.company_id.id,
            "default_location_src_id": warehouse.lot_stock_id.id,
            "default_location_dest_id": location.id,
        }

    def _prepare_amazon_send_route_values(self, warehouse, location, picking_type):
        """A route products (and reordering rules at the Amazon location) take:
        Odoo's replenishment then plans the Send to Amazon transfers."""
        return {
            "name": _("Send to Amazon from %(warehouse)s", warehouse=warehouse.name),
            "product_selectable": True,
            "warehouse_selectable": False,
            "company_id": warehouse.company_id.id,
            "rule_ids": [
                (
                    0,
                    0,
                    {
                        "name": _(
                            "%(warehouse)s: Stock to %(location)s",
                            warehouse=warehouse.name,
                            location=location.display_name,
                        ),
                        "action": "pull",
                        "picking_type_id": picking_type.id,
                        "location_src_id": warehouse.lot_stock_id.id,
                        "location_dest_id": location.id,
                        "procure_method": "make_to_stock",
                        "warehouse_id": warehouse.id,
                        "company_id": warehouse.company_id.id,
                    },
                )
            ],
        }
