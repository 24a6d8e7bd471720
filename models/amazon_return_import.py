"""Customer returns in: Amazon's returns reports booked in Odoo. The flow's home.

A flow on amazon.flow's template: its pages are the reports Amazon has
written, its units their rows and the returns they make. Amazon writes reports in the background
(Reports API 2021-06-30): a run asks for the report of the window since the
last one (createReport) and a later run reads it once Amazon is done
(getReport, getReportDocument), so no run waits on Amazon. The requests are
stored (``amazon.report.request``): a run that stops halfway goes on with the
same report, and the window moves on only once its report is booked. Windows
overlap by a few days, for returns Amazon lists late; the keys make that safe.

Each row is one ``amazon.return``, unique per account by its key (order, SKU,
license plate number or RMA): a report read twice books nothing twice.

- FBA (customer returns report): a done return move from the customer into
  the account's Amazon location when Amazon deems the unit sellable, else
  into the company's Amazon Damaged location; linked to the order line and the
  move that delivered it.
- Merchant-fulfilled (returns report by return date): Odoo's own return of
  the order's delivery, a receipt ready for the warehouse to receive.

A return whose order is not in Odoo yet waits and is booked by a later run;
one Odoo cannot book (no such line, no delivery) says why and waits for a
person.
"""

import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.checks import PayloadError
from ..mapping.returns import (
    FBA_RETURNS_REPORT,
    FBM_RETURNS_REPORT,
    parse_fba_return,
    parse_fbm_return,
)
from . import flow_kinds

_logger = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(days=30)  # how far back the first run looks
WINDOW_OVERLAP = timedelta(days=3)  # Amazon lists some returns days after their date
# dataEndTime "must be prior to or equal to the current date and time": a
# margin for the clocks of Odoo's server and Amazon's.
CLOCK_MARGIN = timedelta(minutes=2)


class AmazonReturnImport(models.AbstractModel):
    _name = "amazon.return.import"
    _inherit = ["amazon.flow", "amazon.report.reader"]
    _description = "Amazon Customer Returns In"
    _flow_kind = flow_kinds.RETURNS
    _action_reload = True

    REPORT_TYPES = (FBA_RETURNS_REPORT, FBM_RETURNS_REPORT)

    # --- entry points: the template's (amazon.flow), and these ------------------------------
    @api.model
    def _cron_import(self):
        """The cron (data/ir_cron_data.xml): every account in turns."""
        return self._cron_run()

    def _flow_title(self):
        return _("Customer returns")

    def _result_message(self, result):
        return _(
            "%(booked)s returns booked, %(waiting)s waiting for their order. Reports Amazon "
            "is still writing: %(pending)s (read by the next import).",
            booked=result.created + result.updated,
            waiting=result.extra.get("waiting", 0),
            pending=result.extra.get("pending", 0),
        )

    # --- the steps: the reports are the pages ---------------------------------------------
    def _before_pages(self, run):
        """Returns that waited for their order: booked once it is in Odoo."""
        waiting = self.env["amazon.return"].search(
            [("account_id", "=", run.account.id), ("state", "=", "waiting")]
        )
        run.result.updated += len(self._book(run, waiting))

    def _fetch(self, run, window):
        for report_type in self.REPORT_TYPES:
            page = self._read_report(run, report_type)
            if page:
                yield page

    def _read_report(self, run, report_type):
        """The report of the window since the last one read, once Amazon has
        written it (else None: asked now, or read by a later run)."""
        Request = self.env["amazon.report.request"]
        request = Request.search(
            [
                ("account_id", "=", run.account.id),
                ("report_type", "=", report_type),
                ("state", "=", "requested"),
            ],
            limit=1,
        ) or self._request_report(run, report_type)
        if not request:
            return None
        return self._read_request(run, request)

    def _request_report(self, run, report_type):
        """Ask Amazon for the report of the window since the last one read."""
        account = run.account
        last = self.env["amazon.report.request"].search(
            [
                ("account_id", "=", account.id),
                ("report_type", "=", report_type),
                ("state", "in", ("done", "empty")),
            ],
            order="data_end desc",
            limit=1,
        )
        end = fields.Datetime.now() - CLOCK_MARGIN
        start = last.data_end - WINDOW_OVERLAP if last else end - FIRST_WINDOW
        if start >= end:
            return self.env["amazon.report.request"]
        # Kept whatever follows: a run that stops reads this same report next time.
        return self._ask_report(run, report_type, start, end)

    def _advance(self, run, window, page):
        page.request.write({"state": "done", "row_count": len(page.rows)})

    def _close_window(self, run, window):
        run.result.extra["waiting"] = self.env["amazon.return"].search_count(
            [("account_id", "=", run.account.id), ("state", "=", "waiting")]
        )

    # --- a report's rows: each a unit -------------------------------------------------------
    def _process_page(self, run, page):
        fba = page.report_type == FBA_RETURNS_REPORT
        values, seen = [], set()
        for row in page.rows:
            item_values = self._row_values(run, fba, row)
            if item_values["key"] not in seen:
                seen.add(item_values["key"])
                values.append(item_values)
        known = set(
            self.env["amazon.return"]
            .search([("account_id", "=", run.account.id), ("key", "in", list(seen))])
            .mapped("key")
        )
        new = [v for v in values if v["key"] not in known]
        run.result.skipped += len(page.rows) - len(new)
        created = self._in_batch(run, new, self._create_returns)
        returns = self.env["amazon.return"].union(*filter(None, created))
        for unreadable in returns.filtered(lambda r: r.key.startswith("unreadable|")):
            run.result.failed += 1
            run.result.problems.append((unreadable, unreadable.note))
        waiting = returns.filtered(lambda r: r.state == "waiting")
        run.result.created += len(self._book(run, waiting))

    def _row_values(self, run, fba, row):
        """The values of a row's return; a row Odoo cannot read is kept,
        never dropped: a person sees the row and why."""
        try:
            item = (parse_fba_return if fba else parse_fbm_return)(row)
        except PayloadError as error:
            return self.env["amazon.return"]._prepare_unreadable_values(
                run.account, fba, row, error
            )
        return self.env["amazon.return"]._prepare_amazon_values(run.account, fba, item)

    def _create_returns(self, run, values):
        return list(self.env["amazon.return"].create(values))

    def _unit_failed(self, run, unit, error):
        """A row the database refused is kept as unreadable, with why; a return
        that cannot be booked waits for a person. Either is listed on the log."""
        super()._unit_failed(run, unit, error)
        reason = self._failure_reason(error)
        try:
            with self.env.cr.savepoint():
                if isinstance(unit, models.BaseModel):
                    unit.write({"state": "to_check", "note": reason})
                    record = unit
                else:
                    values = self.env["amazon.return"]._prepare_unreadable_values(
                        run.account, unit["channel"] == "fba", unit, reason
                    )
                    record = self.env["amazon.return"].create(values)
        except Exception:
            _logger.exception("Amazon return: the failure could not be recorded")
        else:
            run.result.problems[-1] = (record, reason)

    def _book(self, run, returns):
        """Book ``returns`` whose order is in Odoo; returns the booked ones.
        Orders and offers are read once for all; each return is booked in its
        own savepoint (``_in_unit``), so one that cannot be booked says why and
        the others go on."""
        if not returns:
            return returns
        sales = self.env["sale.order"].search(
            [
                ("amazon_account_id", "=", run.account.id),
                ("amazon_order_ref", "in", list(set(returns.mapped("amazon_order_ref")))),
            ]
        )
        sale_of = {sale.amazon_order_ref: sale for sale in sales}
        booked = self.env["amazon.return"]
        for item in returns:
            sale = sale_of.get(item.amazon_order_ref)
            if not sale:
                item.state = "waiting"
                continue
            line = sale.order_line.filtered(
                lambda line, sku=item.sku: line.amazon_offer_id.sku == sku
            )[:1]
            if not line:
                item.write(
                    {
                        "state": "to_check",
                        "sale_order_id": sale.id,
                        "note": _(
                            "Order %(order)s has no line of SKU %(sku)s.",
                            order=sale.name,
                            sku=item.sku,
                        ),
                    }
                )
                continue
            if self._in_unit(run, item, self._book_one, item, sale, line):
                booked |= item
            else:
                item.write(
                    {
                        "sale_order_id": sale.id,
                        "sale_line_id": line.id,
                        "product_id": line.product_id.id,
                    }
                )
        return booked

    def _book_one(self, run, item, sale, line):
        if item.channel == "fba":
            self._book_fba(run.account, item, sale, line)
        else:
            self._book_fbm(run.account, item, sale, line)
        return True

    def _book_fba(self, account, item, sale, line):
        """A done return move into Amazon's stock: the Amazon location when the
        unit is sellable, the Amazon Damaged location otherwise."""
        company = account.company_id
        if item.disposition == "SELLABLE":
            location = account.location_id or company._amazon_get_fba_location()
        else:
            location = company._amazon_get_fba_damaged_location()
        product = line.product_id
        delivered = line.move_ids.filtered(
            lambda move: move.state == "done" and move.location_dest_id.usage == "customer"
        )
        move = self.env["stock.move"].create(
            self._prepare_fba_return_move_values(account, item, line, delivered[:1], location)
        )
        move._action_confirm()
        if product.tracking != "none":
            # Confirming reserved a line without lot (goods from customers are
            # always there): replaced by the lots that left.
            move.move_line_ids.unlink()
            move.move_line_ids = self._lot_lines(item, move, delivered)
        else:
            move.quantity = item.quantity
        move.picked = True
        move._action_done()
        item.write(
            {
                "state": "booked",
                "sale_order_id": sale.id,
                "sale_line_id": line.id,
                "product_id": product.id,
                "move_id": move.id,
                "location_dest_id": location.id,
                "note": False,
            }
        )

    def _prepare_fba_return_move_values(self, account, item, line, delivered, location):
        sale = line.order_id
        return {
            "name": _("Amazon return of %(order)s", order=sale.name),
            "product_id": line.product_id.id,
            "product_uom": line.product_id.uom_id.id,
            "product_uom_qty": item.quantity,
            "location_id": sale.partner_shipping_id.property_stock_customer.id,
            "location_dest_id": location.id,
            "partner_id": sale.partner_shipping_id.id,
            "sale_line_id": line.id,
            "origin_returned_move_id": delivered.id,
            # Amazon refunded the buyer: the order's delivered quantity goes down.
            "to_refund": True,
            "company_id": account.company_id.id,
            "origin": sale.name,
        }

    def _lot_lines(self, item, move, delivered):
        """The lots that left with the order come back, as many as returned."""
        lines, left = [], item.quantity
        for shipped in delivered.move_line_ids.filtered("lot_id"):
            if left <= 0:
                break
            quantity = min(left, shipped.quantity)
            lines.append(
                (
                    0,
                    0,
                    {
                        "product_id": move.product_id.id,
                        "lot_id": shipped.lot_id.id,
                        "quantity": quantity,
                        "location_id": move.location_id.id,
                        "location_dest_id": move.location_dest_id.id,
                    },
                )
            )
            left -= quantity
        if left > 0:
            raise UserError(
                _(
                    "Amazon reports %(quantity)s units of %(product)s returned, but the order's "
                    "delivery carries no lot or serial number for them: book the return by hand "
                    "with the lot Amazon received.",
                    quantity=item.quantity,
                    product=move.product_id.display_name,
                )
            )
        return lines

    def _book_fbm(self, account, item, sale, line):
        """Odoo's own return of the order's delivery, ready to receive."""
        product = line.product_id
        delivery = sale.picking_ids.filtered(
            lambda picking: (
                picking.picking_type_code == "outgoing"
                and picking.state == "done"
                and product in picking.move_ids.product_id
            )
        )[:1]
        if not delivery:
            raise UserError(
                _(
                    "Amazon reports a return of %(product)s on order %(order)s, but Odoo has no "
                    "validated delivery of it to return: validate the delivery, then retry.",
                    product=product.display_name,
                    order=sale.name,
                )
            )
        wizard = self.env["stock.return.picking"].create({"picking_id": delivery.id})
        left = item.quantity
        for return_line in wizard.product_return_moves:
            quantity = (
                min(left, return_line.move_id.quantity) if return_line.product_id == product else 0
            )
            return_line.write({"quantity": quantity, "to_refund": True})
            left -= quantity
        picking = wizard._create_return()
        picking.message_post(
            body=_(
                "Amazon return %(rma)s of order %(order)s: %(reason)s",
                rma=item.rma or "-",
                order=item.amazon_order_ref,
                reason=item.reason or "-",
            )
        )
        item.write(
            {
                "state": "booked",
                "sale_order_id": sale.id,
                "sale_line_id": line.id,
                "product_id": product.id,
                "picking_id": picking.id,
                "location_dest_id": picking.location_dest_id.id,
                "note": False,
            }
        )
