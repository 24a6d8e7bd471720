"""One reconciliation of an account's FBA stock, and its drift explained by
Amazon's inventory ledger.

A reconciliation sets the Amazon location to Amazon's quantities: the drift
of a product is what Amazon's count moved since the previous reconciliation
and Odoo's did not (or the reverse). Once Amazon's ledger of that period is
read (``amazon.fba.inventory`` asks for it in one run, reads it in a later
one), each line shows Odoo's movement, Amazon's by event type, and the drift
explained event by event: an Amazon event Odoo has no record of (a loss, a
removal, an order not imported), or an Odoo move Amazon's ledger does not
show; what no event explains is listed as unexplained.
"""

from collections import defaultdict

from odoo import _, api, fields, models

# Ledger events that move what the Amazon location counts. Receipts do not:
# the units were counted at the location since their Send to Amazon transfer
# (inbound); only the SELLABLE disposition is the location's (damaged units
# are the Amazon Damaged location's).
NEUTRAL_TYPES = ("Receipts",)
LOCATION_DISPOSITIONS = ("", "SELLABLE")
LEDGER_COLUMNS = {
    "Receipts": "ledger_receipts",
    "Shipments": "ledger_shipments",
    "CustomerReturns": "ledger_returns",
    "VendorReturns": "ledger_removals",
    "WhseTransfers": "ledger_transfers",
    "Found": "ledger_found",
    "Lost": "ledger_lost",
    "Damaged": "ledger_damaged",
    "Disposed": "ledger_disposed",
    "Other": "ledger_other",
}


class AmazonFbaReconciliation(models.Model):
    """One reconciliation of an account's FBA stock: the drift report."""

    _name = "amazon.fba.reconciliation"
    _description = "Amazon FBA Stock Reconciliation"
    _order = "date desc, id desc"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    location_id = fields.Many2one("stock.location", string="Amazon Location", readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, readonly=True)
    line_ids = fields.One2many("amazon.fba.reconciliation.line", "reconciliation_id")
    product_count = fields.Integer(string="Products", readonly=True)
    adjusted_count = fields.Integer(string="Products Adjusted", readonly=True)
    unknown_skus = fields.Text(
        string="SKUs Without Product",
        readonly=True,
        help="SKUs Amazon holds stock of that no offer of the account pairs with a "
        "product: pair them on their offer, the next reconciliation counts them.",
    )
    period_start = fields.Datetime(
        readonly=True, help="The previous reconciliation: the ledger's period starts there."
    )
    ledger_state = fields.Selection(
        [
            ("none", "No Ledger (First Reconciliation)"),
            ("waiting", "Waiting for Amazon's Ledger"),
            ("explained", "Every Unit Explained"),
            ("unexplained", "Units Unexplained"),
        ],
        string="Ledger",
        default="none",
        readonly=True,
        index=True,
    )
    ledger_event_ids = fields.One2many(
        "amazon.fba.ledger.event", "reconciliation_id", string="Ledger Events"
    )
    unexplained_count = fields.Integer(string="Products Unexplained", readonly=True)
    ledger_request_ids = fields.One2many(
        "amazon.report.request", "fba_reconciliation_id", string="Ledger Reports"
    )

    @api.depends("account_id", "date")
    def _compute_display_name(self):
        for record in self:
            record.display_name = f"{record.account_id.name} - {record.date}"

    # --- the drift explained by the ledger ------------------------------------------------------
    def _explain(self, events, days, product_of):
        """Explain each line's drift with the ledger ``events`` (amazon.fba.ledger.event
        of the period) and the summary ``days`` (mapping.ledger.LedgerDay);
        ``product_of``: {SKU: product id} of the account's offers."""
        self.ensure_one()
        lines = self.line_ids
        line_of = {line.product_id: line for line in lines}
        moves = self._odoo_moves(lines.product_id)
        labels = self.env["amazon.fba.ledger.event"]._kind_labels()
        amazon = defaultdict(list)
        for event in events:
            if event.product_id in line_of:
                amazon[event.product_id].append(event)
        # The ledger's last sellable balance of each SKU and country, per product.
        last = {}
        for day in sorted(days, key=lambda day: day.day):
            if day.disposition in LOCATION_DISPOSITIONS and day.sku in product_of:
                last[day.sku, day.location] = day.ending
        ending_of = defaultdict(int)
        for (sku, _location), units in last.items():
            ending_of[product_of[sku]] += units
        unexplained, matched = 0, []
        for product, line in line_of.items():
            values, matched_ids = self._prepare_explanation(
                line, amazon[product], moves[product], labels
            )
            matched += matched_ids
            values["ledger_ending"] = ending_of[product.id]
            line.write(values)
            unexplained += bool(values["unexplained"])
        events.browse(matched).write({"matched": True})
        for product, line in line_of.items():
            # One write per line's events: the events are linked to their line.
            if amazon[product]:
                events.browse([e.id for e in amazon[product]]).line_id = line
        self.write(
            {
                "ledger_state": "unexplained" if unexplained else "explained",
                "unexplained_count": unexplained,
            }
        )

    def _odoo_moves(self, products):
        """{product: [(reference, signed units, move)]}: Odoo's done moves in or
        out of the Amazon location during the period, the reconciliations'
        own adjustments aside; read in one query."""
        location = self.location_id
        domain = [
            ("state", "=", "done"),
            ("product_id", "in", products.ids),
            ("date", "<=", self.date),
            ("amazon_fba_line_id", "=", False),
            "|",
            ("location_id", "=", location.id),
            ("location_dest_id", "=", location.id),
        ]
        if self.period_start:
            domain.append(("date", ">", self.period_start))
        moves = defaultdict(list)
        for move in self.env["stock.move"].search(domain):
            if move.picking_type_id.amazon_send_to_amazon:
                continue  # inbound: Amazon counted them already (Receipts are neutral)
            sign = 1 if move.location_dest_id == location else -1
            moves[move.product_id].append(
                (move._amazon_ledger_reference(), sign * move.product_qty, move)
            )
        return moves

    def _prepare_explanation(self, line, events, moves, labels):
        """The line's values: Amazon's movement by type, Odoo's, and the drift
        explained by what one side recorded and the other did not, matched by
        reference (an order, a return, an MCF order)."""
        values = dict.fromkeys(LEDGER_COLUMNS.values(), 0)
        location_events = [e for e in events if e.disposition in LOCATION_DISPOSITIONS]
        for event in location_events:
            values[LEDGER_COLUMNS.get(event.kind, "ledger_other")] += event.quantity
        counted = [e for e in location_events if e.event_type not in NEUTRAL_TYPES]
        amazon_by_ref, odoo_by_ref = defaultdict(int), defaultdict(float)
        for event in counted:
            amazon_by_ref[event.reference or ""] += event.quantity
        for reference, units, _move in moves:
            odoo_by_ref[reference] += units
        matched = {
            ref
            for ref in amazon_by_ref
            if ref and ref in odoo_by_ref and amazon_by_ref[ref] == odoo_by_ref[ref]
        }
        explanation, explained = [], 0.0
        for event in counted:
            if event.reference in matched:
                continue
            explained += event.quantity
            explanation.append(
                _(
                    "%(units)+d %(what)s on %(date)s (%(reference)s)",
                    units=event.quantity,
                    what=labels.get(event.kind, event.kind or "")
                    + (f" [{event.reason}]" if event.reason else ""),
                    date=event.date,
                    reference=event.reference or _("no reference"),
                )
            )
        for reference, units in odoo_by_ref.items():
            if reference in matched:
                continue
            explained -= units
            explanation.append(
                _(
                    "%(units)+g recorded in Odoo (%(reference)s), not in Amazon's ledger "
                    "of the period",
                    units=-units,
                    reference=reference or _("no reference"),
                )
            )
        unexplained = line.drift - explained
        if line.product_id.tracking != "none":
            unexplained = 0.0  # lots are counted, never adjusted: no drift to explain
        elif unexplained:
            explanation.append(
                _(
                    "%(units)+g unexplained: no event of Amazon's ledger tells them",
                    units=unexplained,
                )
            )
        values.update(
            odoo_movement=sum(units for _ref, units, _move in moves),
            amazon_movement=sum(e.quantity for e in location_events),
            explained=explained,
            unexplained=unexplained,
            abs_unexplained=abs(unexplained),
            explanation="\n".join(explanation) or False,
        )
        return values, [e.id for e in events if e.reference in matched]
