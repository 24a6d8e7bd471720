"""FBA stock in: what Amazon holds, set on the account's Amazon location. The
flow's home.

Entry points: the daily cron (``_cron_reconcile``) and the account's
Reconcile FBA Stock button (``_action_reconcile``). Each run reads Amazon's
inventory summaries (getInventorySummaries, with details) of the account's
marketplaces, sets each known product's quantity at the account's Amazon
location to Amazon's quantity (fulfillable plus reserved) through Odoo's inventory
adjustments (dated, labelled with their source), and keeps a reconciliation
record: per product, Odoo's figure before, Amazon's buckets, the drift and
its likely cause.

Amazon reports a SKU per marketplace, and one fulfilment network serves
several marketplaces (Pan-European FBA, remote fulfilment): the same units
show in each. Within a network (``amazon.marketplace.fba_network``) a SKU
counts once, with the largest figure its marketplaces report; the networks
of an account (say the EU's and the UK's) add up.

Amazon's inventory ledger explains each reconciliation's drift (the steps:
amazon_fba_ledger_read.py): once a
reconciliation has settled (``LEDGER_SETTLE``: Amazon writes its ledger
events late), a run asks for the ledger detail and summary reports of its
period (since the previous reconciliation) through the Reports code the
returns use (``amazon.report.reader``), and a later run reads them, records
the events (``amazon.fba.ledger.event``) and explains the reconciliation
(``amazon.fba.reconciliation._explain``): no run waits on Amazon. The same
run closes the claims Amazon's inventory reimbursements pay.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from odoo import _, api, fields, models

from ..mapping.checks import safe_text
from ..mapping.fba import FbaQuantities, parse_inventory_summary, summary_sku
from . import flow_kinds
from .flow_run import FlowRun

_logger = logging.getLogger(__name__)


@dataclass
class InventoryPage:
    """One page of one marketplace's inventory summaries, as Amazon sent them."""

    marketplace: object
    summaries: list = field(default_factory=list)


class FbaRun(FlowRun):
    """A reconciliation's state: Amazon's figures per fulfilment network, and
    the SKUs whose summary did not read (never taken for "Amazon holds none")."""

    def __init__(self, account, adapter, **limits):
        super().__init__(account, adapter, **limits)
        self.per_network = defaultdict(dict)  # {network: {sku: FbaQuantities}}
        self.unread_skus = set()
        # A summary without a readable SKU: no product may be taken for gone.
        self.unread_unknown = False
        self.result.extra["reconciliation"] = None


class AmazonFbaInventory(models.AbstractModel):
    _name = "amazon.fba.inventory"
    _inherit = ["amazon.flow", "amazon.report.reader"]
    _description = "Amazon FBA Stock In"
    _flow_kind = flow_kinds.FBA_STOCK
    _run_class = FbaRun

    @api.model
    def _cron_reconcile(self):
        """The linked accounts in turns (``amazon.flow._cron_turns``), one
        whole reconciliation each."""
        return self._cron_run()

    def _flow_title(self):
        return _("FBA stock reconciliation")

    def _action_answer(self, result):
        """The button opens the reconciliation it made."""
        record = result.extra["reconciliation"]
        if not record:
            return super()._action_answer(result)
        return {
            "type": "ir.actions.act_window",
            "res_model": "amazon.fba.reconciliation",
            "res_id": record.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # --- the steps: every page read, then one reconciliation ----------------------------
    def _before_pages(self, run):
        # Units Amazon shipped for Multi-Channel Fulfillment left its count:
        # Odoo's deliveries take them first, never a drift booked for them
        # (which the delivery would then take a second time).
        self.env["amazon.mcf.sync"]._follow_account(run)
        self.env["amazon.fba.ledger.event"]._close_by_reimbursements(run.account)
        # The ledgers of settled reconciliations asked for now, and looked at
        # again once the inventory is read (minutes later on a large account):
        # a day's reconciliation is explained by the next day's run.
        self._ask_ledgers(run)
        self._read_ledgers(run)

    def _fetch(self, run, window):
        """Every page of every marketplace. The pages of one marketplace are
        read back to back: a nextToken expires after 30 seconds."""
        for marketplace in run.account.marketplace_ids:
            for summaries in run.adapter.iter_fba_inventory_pages(marketplace.api_ref):
                yield InventoryPage(marketplace, summaries)

    def _has_next(self, page):
        # A reconciliation needs all of Amazon's figures: a run never pauses.
        return False

    def _process_page(self, run, page):
        """Each summary read on its own: one that does not read is its SKU's
        failure, the others count. The marketplaces of one fulfilment network
        show the same units: counted once, with the largest figure."""
        marketplace = page.marketplace
        network = run.per_network[marketplace.fba_network or marketplace.api_ref]
        for summary in page.summaries:
            quantities = self._read_unit(run, summary, parse_inventory_summary)
            if quantities is None:
                continue
            run.result.fetched += 1
            known = network.get(quantities.sku)
            if known is None or quantities.total > known.total:
                network[quantities.sku] = quantities

    def _unit_failed(self, run, unit, error):
        sku = summary_sku(unit) if isinstance(unit, dict) else ""
        if sku:
            run.unread_skus.add(sku)
        else:
            run.unread_unknown = True
        run.result.failed += 1
        run.result.problems.append(
            _(
                "Inventory summary %(sku)s: %(reason)s",
                sku=safe_text(sku, "?"),
                reason=self._failure_reason(error),
            )
        )

    def _close_window(self, run, window):
        """All of Amazon's figures are in: the networks of the account add up."""
        amazon = {}
        for network in run.per_network.values():
            for sku, quantities in network.items():
                amazon[sku] = amazon[sku] + quantities if sku in amazon else quantities
        record = self._write(run, amazon)
        run.result.extra["reconciliation"] = record
        run.result.updated = record.adjusted_count
        self._commit()  # the stock is Amazon's: kept whatever the ledger's requests do
        # Asked for, then looked at once: Amazon writes them in the background.
        self._ask_ledgers(run)
        self._read_ledgers(run)

    def _map(self, account, amazon, offers):
        """({product: FbaQuantities summed over its SKUs}, {product: [skus]},
        [SKUs without product]), through the account's ``offers``."""
        product_of = {
            offer.sku: offer.product_id
            for offer in offers
            if offer.sku in amazon
            and offer.product_id
            and not offer.needs_review
            and offer.product_id.is_storable
        }
        per_product, skus_of, unknown = {}, {}, []
        for sku, quantities in amazon.items():
            product = product_of.get(sku)
            if not product:
                unknown.append(sku)
                continue
            skus_of.setdefault(product, []).append(sku)
            known = per_product.get(product)
            per_product[product] = quantities if known is None else known + quantities
        return per_product, skus_of, sorted(unknown)

    def _write(self, run, amazon):
        account = run.account
        company = account.company_id
        location = account.location_id or company._amazon_get_fba_location()
        # The account's offers, read once: they pair SKUs with products, and
        # say which products of the location are the account's.
        offers = self.env["amazon.offer"].search([("account_id", "=", account.id)])
        per_product, skus_of, unknown = self._map(account, amazon, offers)
        # A product one of whose summaries did not read is left as it is: its
        # figure would be short of what Amazon holds.
        unread = self._unread_products(run, offers)
        for product in unread:
            per_product.pop(product, None)
        damaged = company.amazon_fba_damaged_location_id
        if not damaged and any(q.unfulfillable for q in per_product.values()):
            damaged = company._amazon_get_fba_damaged_location()
        before = self._held(location)
        before_damaged = self._held(damaged) if damaged else {}
        # Products Odoo has at the locations but Amazon no longer holds go to
        # zero; none when a summary that named no SKU did not read (it may be
        # any product's).
        offered = offers.product_id if not run.unread_unknown else offers.product_id.browse()
        for product in {*before, *before_damaged}:
            if product not in per_product and product in offered and product not in unread:
                per_product[product] = FbaQuantities(sku="")
                skus_of.setdefault(product, [])
        now = fields.Datetime.now()
        label = _(
            "Amazon FBA stock of %(account)s on %(date)s UTC",
            account=account.name,
            date=fields.Datetime.to_string(now),
        )
        lines, moves, adjusted = [], [], 0
        for product, quantities in per_product.items():
            odoo = before.get(product, 0.0)
            drift = self._amazon_quantity(quantities) - odoo
            damaged_drift = quantities.unfulfillable - before_damaged.get(product, 0.0)
            lines.append(
                self._prepare_line_values(product, skus_of[product], odoo, quantities, drift)
            )
            if product.tracking != "none":
                continue  # lots: left to the FBA orders' lots, counted only
            if drift:
                moves.append(
                    (product, self._prepare_adjustment_values(product, location, drift, label))
                )
            if damaged and damaged_drift:
                moves.append(
                    (
                        product,
                        self._prepare_adjustment_values(product, damaged, damaged_drift, label),
                    )
                )
            adjusted += bool(drift or (damaged and damaged_drift))
        previous = self.env["amazon.fba.reconciliation"].search(
            [("account_id", "=", account.id)], order="date desc, id desc", limit=1
        )
        record = self.env["amazon.fba.reconciliation"].create(
            {
                "account_id": account.id,
                "location_id": location.id,
                "date": now,
                "product_count": len(per_product),
                "adjusted_count": adjusted,
                "unknown_skus": ", ".join(unknown) or False,
                "line_ids": [(0, 0, values) for values in lines],
                # The ledger of the period since the previous one explains the drift.
                "period_start": previous.date,
                "ledger_state": "waiting" if previous else "none",
            }
        )
        if moves:
            # Odoo's inventory adjustments, as Physical Inventory makes them: one
            # done move per product and location, from or to Inventory adjustment,
            # each on the line that explains it.
            line_of = {line.product_id: line.id for line in record.line_ids}
            for product, values in moves:
                values["amazon_fba_line_id"] = line_of[product]
            self.env["stock.move"].create([values for _product, values in moves])._action_done()
        return record

    def _unread_products(self, run, offers):
        """The products of the SKUs whose summary did not read in this run."""
        return {offer.product_id for offer in offers if offer.sku in run.unread_skus}

    def _held(self, location):
        """{product: quantity} of the storable products at ``location``, in one query."""
        return dict(
            self.env["stock.quant"]._read_group(
                [("location_id", "=", location.id), ("product_id.is_storable", "=", True)],
                ["product_id"],
                ["quantity:sum"],
            )
        )

    def _prepare_adjustment_values(self, product, location, drift, label):
        """The inventory adjustment that moves ``drift`` units into (or out of)
        the Amazon location."""
        inventory = product.with_company(location.company_id).property_stock_inventory
        source, destination = (inventory, location) if drift > 0 else (location, inventory)
        quantity = abs(drift)
        return {
            "name": label,
            "product_id": product.id,
            "product_uom": product.uom_id.id,
            "product_uom_qty": quantity,
            "company_id": location.company_id.id,
            "state": "confirmed",
            "location_id": source.id,
            "location_dest_id": destination.id,
            "is_inventory": True,
            "picked": True,
            "move_line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "product_uom_id": product.uom_id.id,
                        "quantity": quantity,
                        "location_id": source.id,
                        "location_dest_id": destination.id,
                        "company_id": location.company_id.id,
                    },
                )
            ],
        }

    def _amazon_quantity(self, quantities):
        """What the Amazon location should hold of a product: the fulfillable
        units, plus the reserved ones, plus those shipped to Amazon and not
        received yet.

        FBA orders come into Odoo once shipped, each with a move out of the
        location: the units Amazon reserves for them must still be there then,
        or the location would go negative. A Send to Amazon transfer puts the
        units there when they leave the warehouse: Amazon counts them inbound
        (shipped, then receiving) until its centre has them. Inbound units
        still "working" are a shipment plan: still in the seller's warehouse."""
        return (
            quantities.fulfillable
            + quantities.reserved
            + quantities.inbound_shipped
            + quantities.inbound_receiving
        )

    def _prepare_line_values(self, product, skus, odoo, quantities, drift):
        return {
            "product_id": product.id,
            "skus": ", ".join(skus),
            "odoo_before": odoo,
            "amazon_quantity": self._amazon_quantity(quantities),
            "fulfillable": quantities.fulfillable,
            "inbound": quantities.inbound,
            "reserved": quantities.reserved,
            "unfulfillable": quantities.unfulfillable,
            "researching": quantities.researching,
            "drift": drift,
            "abs_drift": abs(drift),
            "cause": self._cause(odoo, quantities, drift, product) or False,
        }

    def _cause(self, odoo, quantities, drift, product):
        """The likely cause of a drift, in words, where Amazon's buckets tell it."""
        if not drift:
            return ""
        if product.tracking != "none":
            return _("Tracked by lots or serial numbers: not adjusted, counted only.")
        if drift < 0 and (quantities.unfulfillable or quantities.researching):
            return _(
                "Units became unsellable (%(damaged)s) or are being looked for (%(researching)s).",
                damaged=quantities.unfulfillable,
                researching=quantities.researching,
            )
        if drift > 0 and odoo < 0:
            return _("Odoo had sold more than it held: Amazon's stock was never brought in.")
        if drift > 0:
            return _(
                "Sent to or received by Amazon (inbound shipments or customer returns) "
                "without a transfer in Odoo."
            )
        return _(
            "Sold or removed on Amazon without a record in Odoo: FBA orders not imported "
            "yet, removals or disposals."
        )
