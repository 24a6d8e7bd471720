"""Amazon's inventory ledger in Odoo: each event of the account's FBA units
(GET_LEDGER_DETAIL_VIEW_DATA rows), read by the FBA reconciliation, and the
claims Amazon owes the seller.

Units Amazon lost or damaged in its warehouses are claimable until Amazon
reimburses them or finds them: FBA lost and damaged inventory reimbursement
policy, "A fulfilment centre operations claim for an item that is lost or
damaged in the fulfilment centre must be submitted no later than 60 days
after the item was reported lost or damaged." A unit found later closes the
oldest open loss of its SKU; a reimbursement in the financial transactions
(financesV0 AdjustmentType "FBAInventoryReimbursement: An FBA inventory
reimbursement to a seller's account") closes the oldest open claims of its
SKU, unit by unit.
"""

import hashlib
from collections import Counter, defaultdict
from datetime import timedelta

from odoo import _, api, fields, models

from ..mapping.ledger import DAMAGED, LOST

CLAIM_WINDOW = timedelta(days=60)
REIMBURSEMENT = "FBAInventoryReimbursement"
CLAIMABLE_REASONS = LOST + DAMAGED


class AmazonFbaLedgerEvent(models.Model):
    _name = "amazon.fba.ledger.event"
    _description = "Amazon FBA Inventory Ledger Event"
    _order = "date desc, id desc"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    reconciliation_id = fields.Many2one(
        "amazon.fba.reconciliation", ondelete="set null", index="btree_not_null", readonly=True
    )
    line_id = fields.Many2one(
        "amazon.fba.reconciliation.line",
        string="Reconciliation Line",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
    )
    key = fields.Char(required=True, readonly=True)
    date = fields.Date(required=True, readonly=True)
    sku = fields.Char(string="SKU", required=True, readonly=True, index=True)
    fnsku = fields.Char(string="FNSKU", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True, index="btree_not_null")
    event_type = fields.Char(readonly=True)
    kind = fields.Char(
        string="Event",
        readonly=True,
        help="Receipts, Shipments, CustomerReturns, VendorReturns, WhseTransfers; for "
        "adjustments what happened: Lost, Found, Damaged, Disposed, Other.",
    )
    reason = fields.Char(readonly=True, help="Amazon's reason code of an adjustment.")
    reference = fields.Char(
        readonly=True, help="An order, an inbound shipment, a return or Amazon's adjustment."
    )
    quantity = fields.Integer(readonly=True, help="Units in positive, out negative.")
    disposition = fields.Char(readonly=True)
    country = fields.Char(readonly=True)
    fulfillment_center = fields.Char(readonly=True)
    matched = fields.Boolean(
        string="In Odoo Too",
        readonly=True,
        help="Odoo recorded the same movement (the order's delivery, the return): not a drift.",
    )
    claim_state = fields.Selection(
        [
            ("open", "Claimable"),
            ("found", "Found by Amazon"),
            ("reimbursed", "Reimbursed"),
            ("reconciled", "Reconciled by Amazon"),
        ],
        readonly=True,
        index="btree_not_null",
    )
    claim_quantity = fields.Integer(
        string="Units to Claim", readonly=True, help="Lost or damaged units not yet found or paid."
    )
    claim_from = fields.Date(string="Claim From", readonly=True)
    claim_until = fields.Date(
        string="Claim Until",
        readonly=True,
        help="Amazon's reimbursement policy: a claim for units lost or damaged in its "
        "fulfilment centres no later than 60 days after they were reported.",
    )
    reimbursement_ids = fields.Many2many(
        "amazon.finance.transaction",
        "amazon_fba_claim_reimbursement_rel",
        "event_id",
        "transaction_id",
        string="Reimbursements",
        readonly=True,
    )

    _sql_constraints = [
        (
            "key_unique",
            "unique(account_id, key)",
            "An event of Amazon's ledger is recorded once per account.",
        )
    ]

    @api.depends("kind", "reference", "quantity")
    def _compute_display_name(self):
        for event in self:
            event.display_name = f"{event.kind} {event.quantity:+d} {event.reference or ''}".strip()

    # --- recording a report's events ------------------------------------------------------
    @api.model
    def _event_keys(self, events):
        """One key per event: its content, and its rank among identical rows
        (a report may hold two equal rows; the next report's overlap the same)."""
        seen = Counter()
        keys = []
        for event in events:
            content = "|".join(
                str(value)
                for value in (
                    event.day,
                    event.sku,
                    event.event_type,
                    event.reference,
                    event.quantity,
                    event.fulfillment_center,
                    event.disposition,
                    event.reason,
                    event.country,
                )
            )
            seen[content] += 1
            digest = hashlib.sha1(f"{content}#{seen[content]}".encode()).hexdigest()
            keys.append(digest)
        return keys

    @api.model
    def _record(self, account, reconciliation, events, product_of):
        """The events not recorded yet, created at once; the new records."""
        keys = self._event_keys(events)
        known = set(
            self.search([("account_id", "=", account.id), ("key", "in", keys)]).mapped("key")
        )
        values = [
            self._prepare_event_values(account, reconciliation, event, key, product_of)
            for event, key in zip(events, keys, strict=True)
            if key not in known
        ]
        records = self.create(values)
        records._close_found()
        return records

    @api.model
    def _prepare_event_values(self, account, reconciliation, event, key, product_of):
        values = {
            "account_id": account.id,
            "reconciliation_id": reconciliation.id,
            "key": key,
            "date": event.day,
            "sku": event.sku,
            "fnsku": event.fnsku or False,
            "product_id": product_of.get(event.sku, False),
            "event_type": event.event_type,
            "kind": event.kind,
            "reason": event.reason or False,
            "reference": event.reference or False,
            "quantity": event.quantity,
            "disposition": event.disposition or False,
            "country": event.country or False,
            "fulfillment_center": event.fulfillment_center or False,
        }
        claimable = event.reason in CLAIMABLE_REASONS and event.quantity < 0
        if claimable and event.disposition in ("", "SELLABLE"):
            # Amazon may report a loss already reconciled (found or paid).
            units = -event.quantity - min(event.reconciled, -event.quantity)
            values.update(
                claim_state="open" if units else "reconciled",
                claim_quantity=units,
                claim_from=event.day,
                claim_until=event.day + CLAIM_WINDOW,
            )
        return values

    # --- claims closed -----------------------------------------------------------------------
    def _open_claims(self, account, skus):
        """{sku: [open claims, oldest first]} of ``account``."""
        claims = defaultdict(list)
        for claim in self.search(
            [
                ("account_id", "=", account.id),
                ("claim_state", "=", "open"),
                ("sku", "in", list(skus)),
            ],
            order="date, id",
        ):
            claims[claim.sku].append(claim)
        return claims

    def _take(self, claims, units, state, reimbursement=None):
        """Close ``units`` of ``claims`` (oldest first): the units left."""
        for claim in claims:
            if not units:
                break
            if claim.claim_state != "open":
                continue
            taken = min(units, claim.claim_quantity)
            units -= taken
            values = {"claim_quantity": claim.claim_quantity - taken}
            if values["claim_quantity"] == 0:
                values["claim_state"] = state
            if reimbursement:
                values["reimbursement_ids"] = [fields.Command.link(reimbursement.id)]
            claim.write(values)
        return units

    def _close_found(self):
        """Units Amazon found close the oldest open losses of their SKU."""
        found = self.filtered(lambda e: e.kind == "Found" and e.quantity > 0)
        for account in found.account_id:
            mine = found.filtered(lambda e, account=account: e.account_id == account)
            claims = self._open_claims(account, set(mine.mapped("sku")))
            for event in mine.sorted(lambda e: (e.date, e.id)):
                lost = [c for c in claims[event.sku] if c.kind == "Lost"]
                self._take(lost, event.quantity, "found")

    @api.model
    def _close_by_reimbursements(self, account):
        """Amazon's inventory reimbursements not yet matched close the oldest
        open claims of their SKUs, unit by unit; one whose claim is not read
        yet waits for it."""
        oldest = self.search(
            [("account_id", "=", account.id), ("claim_state", "=", "open")],
            order="date, id",
            limit=1,
        )
        if not oldest:
            return 0  # nothing owed: no reimbursement to look at
        # Paid after the oldest open claim was reported (a day's margin: the
        # ledger's dates are the marketplace's, the payments' UTC).
        reimbursements = self.env["amazon.finance.transaction"].search(
            [
                ("account_id", "=", account.id),
                ("kind", "=", REIMBURSEMENT),
                ("amazon_claim_ids", "=", False),
                ("posted", ">=", oldest.date - timedelta(days=1)),
            ],
            order="posted, id",
        )
        if not reimbursements:
            return 0
        lines = reimbursements.line_ids.filtered(lambda line: line.item_level and line.sku)
        claims = self._open_claims(account, set(lines.mapped("sku")))
        closed = 0
        for reimbursement in reimbursements:
            units_of = {}
            for line in reimbursement.line_ids.filtered(lambda line: line.item_level and line.sku):
                # One item's breakdowns repeat its quantity: counted once.
                units_of[line.sku] = max(units_of.get(line.sku, 0), abs(line.quantity or 1))
            for sku, units in units_of.items():
                left = self._take(claims[sku], units, "reimbursed", reimbursement)
                closed += units - left
        return closed

    @api.model
    def _kind_labels(self):
        """{kind: what a person reads} of the ledger's events, in the user's language."""
        return {
            "Receipts": _("Received"),
            "Shipments": _("Shipped"),
            "CustomerReturns": _("Returned by a customer"),
            "VendorReturns": _("Removed"),
            "WhseTransfers": _("Transferred"),
            "Lost": _("Lost"),
            "Found": _("Found"),
            "Damaged": _("Damaged"),
            "Disposed": _("Disposed of"),
            "Other": _("Other"),
        }


class AmazonAccount(models.Model):
    _inherit = "amazon.account"

    fba_claim_units = fields.Integer(
        string="Units to Claim",
        compute="_compute_fba_claim_units",
        help="Units Amazon's ledger reports lost or damaged, not yet found or reimbursed.",
    )

    def _compute_fba_claim_units(self):
        groups = self.env["amazon.fba.ledger.event"]._read_group(
            [("account_id", "in", self.ids), ("claim_state", "=", "open")],
            ["account_id"],
            ["claim_quantity:sum"],
        )
        units = {account.id: total for account, total in groups}
        for account in self:
            account.fba_claim_units = units.get(account.id, 0)

    def action_view_fba_claims(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale_amazon_connector.amazon_fba_claim_action"
        )
        action["domain"] = [("account_id", "=", self.id), ("claim_state", "!=", False)]
        return action
