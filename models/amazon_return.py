"""Customer returns in: Amazon's returns reports booked in Odoo. The flow's home.

Entry points: the cron (``_cron_import``) and the account's Import Returns
button (``_action_import``). Amazon writes reports in the background
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

import hashlib
import logging
from datetime import UTC, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.orders import PayloadError
from ..mapping.returns import (
    FBA_RETURNS_REPORT,
    FBM_RETURNS_REPORT,
    parse_fba_return,
    parse_fbm_return,
    read_tsv,
)
from ..spapi import SpApiDocumentError, SpApiError, SpApiNotFoundError

_logger = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(days=30)  # how far back the first run looks
WINDOW_OVERLAP = timedelta(days=3)  # Amazon lists some returns days after their date
# dataEndTime "must be prior to or equal to the current date and time": a
# margin for the clocks of Odoo's server and Amazon's.
CLOCK_MARGIN = timedelta(minutes=2)


class AmazonReportRequest(models.Model):
    """A report asked of Amazon, read once Amazon has written it."""

    _name = "amazon.report.request"
    _description = "Amazon Report Request"
    _order = "id desc"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    report_type = fields.Char(required=True, index=True)
    amazon_report_ref = fields.Char(string="Amazon Report ID", required=True)
    data_start = fields.Datetime(required=True)
    data_end = fields.Datetime(required=True)
    state = fields.Selection(
        [
            ("requested", "Requested"),
            ("done", "Read"),
            ("empty", "Nothing to Report"),
            ("failed", "Failed"),
        ],
        default="requested",
        required=True,
        index=True,
    )
    row_count = fields.Integer(readonly=True)
    error = fields.Char(readonly=True)


class AmazonReturn(models.Model):
    """One customer return as Amazon reports it, and what Odoo booked for it."""

    _name = "amazon.return"
    _description = "Amazon Customer Return"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "returned_at desc, id desc"
    _rec_name = "amazon_order_ref"

    account_id = fields.Many2one("amazon.account", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    key = fields.Char(required=True, index=True, readonly=True)
    channel = fields.Selection(
        [("fba", "Fulfilled by Amazon"), ("fbm", "Fulfilled by Merchant")],
        required=True,
        readonly=True,
    )
    amazon_order_ref = fields.Char(string="Amazon Order", required=True, index=True, readonly=True)
    sku = fields.Char(string="SKU", readonly=True)
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    returned_at = fields.Datetime(
        string="Returned On",
        readonly=True,
        help="FBA: when Amazon's centre received the unit. Merchant-fulfilled: when the "
        "buyer asked for the return.",
    )
    disposition = fields.Char(readonly=True, help="FBA: Amazon's verdict on the unit.")
    reason = fields.Char(readonly=True)
    amazon_status = fields.Char(string="Amazon Status", readonly=True)
    rma = fields.Char(string="Amazon RMA", readonly=True)
    license_plate = fields.Char(string="License Plate Number", readonly=True)
    sale_order_id = fields.Many2one("sale.order", readonly=True, index=True)
    sale_line_id = fields.Many2one("sale.order.line", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    move_id = fields.Many2one("stock.move", string="Return Move", readonly=True)
    picking_id = fields.Many2one("stock.picking", string="Return", readonly=True)
    location_dest_id = fields.Many2one("stock.location", string="Returned To", readonly=True)
    credit_note_id = fields.Many2one(
        "account.move",
        readonly=True,
        help="The credit note of Amazon's refund for this return (from its transactions).",
    )
    state = fields.Selection(
        [
            ("waiting", "Waiting for the Order"),
            ("booked", "Booked"),
            ("to_check", "To Check"),
        ],
        default="waiting",
        required=True,
        index=True,
        tracking=True,
    )
    note = fields.Text(readonly=True)

    _sql_constraints = [
        ("key_uniq", "UNIQUE(account_id, key)", "This Amazon return is already recorded."),
    ]

    def action_retry(self):
        """Book these returns again (after the order came in or was fixed)."""
        self.check_access("write")  # the booking runs as the system
        for account in self.account_id:
            returns = self.filtered(lambda r, a=account: r.account_id == a and r.state != "booked")
            run_account = account.sudo().with_company(account.company_id)
            self.env["amazon.return.import"].with_env(run_account.env)._book(
                run_account, returns.sudo()
            )
        return True


class AmazonReturnImport(models.AbstractModel):
    _name = "amazon.return.import"
    _inherit = "amazon.flow"
    _description = "Amazon Customer Returns In"

    REPORT_TYPES = (FBA_RETURNS_REPORT, FBM_RETURNS_REPORT)

    @api.model
    def _cron_import(self):
        """The linked accounts in turns (``amazon.flow._cron_turns``), one step
        of their returns import each."""
        accounts = self.env["amazon.account"].search(
            [("link_date", "!=", False), ("marketplace_ids", "!=", False)]
        )

        def turn(account):
            self._import(account, max_throttle_wait=self.cron_max_throttle_wait)
            return False

        self._cron_turns("returns", accounts, turn)
        return True

    @api.model
    def _import(self, account, **adapter_options):
        """One step of the account's returns import; logged. Returns the counts
        (None when another run holds the account)."""

        def work(adapter):
            run_account = account.sudo().with_company(account.company_id)
            counts = self.with_env(run_account.env)._run_import(run_account, adapter)
            return counts, counts or {}

        return self._run_logged(account, "returns", work, **adapter_options)

    @api.model
    def _action_import(self, account):
        """The account's Import Returns button (access checked by the account)."""
        title = _("Customer returns")
        try:
            counts = self._import(account)
        except SpApiError as error:
            return self._notify(title, account._explain(error), "danger")
        if counts is None:
            message = _("Another returns import of this account is running: try again later.")
            return self._notify(title, message, "warning")
        message = _(
            "%(booked)s returns booked, %(waiting)s waiting for their order. Reports Amazon "
            "is still writing: %(pending)s (read by the next import).",
            booked=counts["created"] + counts["updated"],
            waiting=counts["waiting"],
            pending=counts["pending"],
        )
        return self._notify(title, message, "success", reload=True)

    # --- lock -> fetch -> map -> write -> log -------------------------------------------
    def _run_import(self, account, adapter):
        if not self._lock_account(account, "returns"):
            return None
        try:
            counts = {"fetched": 0, "created": 0, "updated": 0, "skipped": 0, "failed": 0}
            counts["pending"] = 0
            # Returns that waited for their order: booked once it is in Odoo.
            waiting = self.env["amazon.return"].search(
                [("account_id", "=", account.id), ("state", "=", "waiting")]
            )
            counts["updated"] += len(self._book(account, waiting))
            for report_type in self.REPORT_TYPES:
                self._run_report(account, adapter, report_type, counts)
            counts["waiting"] = self.env["amazon.return"].search_count(
                [("account_id", "=", account.id), ("state", "=", "waiting")]
            )
            return counts
        finally:
            self._unlock_account(account, "returns")

    def _run_report(self, account, adapter, report_type, counts):
        Request = self.env["amazon.report.request"]
        request = Request.search(
            [
                ("account_id", "=", account.id),
                ("report_type", "=", report_type),
                ("state", "=", "requested"),
            ],
            limit=1,
        )
        if not request:
            request = self._request_report(account, adapter, report_type)
            if not request:
                return
        try:
            report, text = adapter.read_report(request.amazon_report_ref)
        except (SpApiDocumentError, SpApiNotFoundError) as error:
            # A refused document, or a report Amazon no longer has (it keeps
            # them for a while only): never read again; the next run asks
            # Amazon for a new report of the same window.
            request.write({"state": "failed", "error": str(error)})
            counts["failed"] += 1
            counts.setdefault("problems", []).append((request, str(error)))
            self._commit()
            return
        status = report.get("processingStatus")
        if status == "DONE" and text is not None:
            rows = read_tsv(text)
            counts["fetched"] += len(rows)
            self._book_rows(account, report_type, rows, counts)
            request.write({"state": "done", "row_count": len(rows)})
        elif status == "CANCELLED":
            # "an automatic cancellation if there is no data to return"
            request.state = "empty"
        elif status == "FATAL":
            # The window stays where it was: the next run asks for it again.
            request.write({"state": "failed", "error": _("Amazon could not write the report.")})
        else:
            counts["pending"] += 1
        self._commit()

    def _request_report(self, account, adapter, report_type):
        """Ask Amazon for the report of the window since the last one read."""
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
        report_ref = adapter.create_report(
            report_type,
            account.marketplace_ids.mapped("api_ref"),
            start.replace(tzinfo=UTC),
            end.replace(tzinfo=UTC),
        )
        request = self.env["amazon.report.request"].create(
            {
                "account_id": account.id,
                "report_type": report_type,
                "amazon_report_ref": report_ref,
                "data_start": start,
                "data_end": end,
            }
        )
        # Kept whatever follows: a run that stops reads this same report next time.
        self._commit()
        return request

    # --- map and write ------------------------------------------------------------------
    def _book_rows(self, account, report_type, rows, counts):
        fba = report_type == FBA_RETURNS_REPORT
        parse = parse_fba_return if fba else parse_fbm_return
        values, seen = [], set()
        for row in rows:
            try:
                item = parse(row)
            except PayloadError as error:
                # Kept, never dropped: a person sees the row and why.
                item_values = self._prepare_unreadable_values(account, fba, row, error)
                counts["failed"] += 1
            else:
                item_values = self._prepare_return_values(account, fba, item)
            if item_values["key"] not in seen:
                seen.add(item_values["key"])
                values.append(item_values)
        known = set(
            self.env["amazon.return"]
            .search([("account_id", "=", account.id), ("key", "in", list(seen))])
            .mapped("key")
        )
        new = [v for v in values if v["key"] not in known]
        counts["skipped"] += len(rows) - len(new)
        returns = self.env["amazon.return"].create(new)
        counts["created"] += len(
            self._book(account, returns.filtered(lambda r: r.state == "waiting"))
        )

    def _prepare_return_values(self, account, fba, item):
        values = {
            "account_id": account.id,
            "key": item.key,
            "channel": "fba" if fba else "fbm",
            "amazon_order_ref": item.order_ref,
            "sku": item.sku,
            "quantity": item.quantity,
            "reason": item.reason,
            "amazon_status": item.status,
        }
        if fba:
            values.update(
                returned_at=item.returned_at,
                disposition=item.disposition,
                license_plate=item.license_plate,
            )
        else:
            values.update(returned_at=item.requested_at, rma=item.rma)
        return values

    def _prepare_unreadable_values(self, account, fba, row, error):
        digest = hashlib.sha1(repr(sorted(row.items())).encode()).hexdigest()[:16]
        return {
            "account_id": account.id,
            "key": f"unreadable|{digest}",
            "channel": "fba" if fba else "fbm",
            "amazon_order_ref": row.get("order-id") or row.get("Order ID") or "?",
            "sku": row.get("sku") or row.get("Merchant SKU"),
            "state": "to_check",
            "note": _(
                "Amazon's report row could not be read (%(error)s): %(row)s", error=error, row=row
            ),
        }

    def _book(self, account, returns):
        """Book ``returns`` whose order is in Odoo; returns the booked ones.
        Orders and offers are read once for all; each return is booked in its
        own savepoint, so one that cannot be booked says why and the others go on."""
        if not returns:
            return returns
        sales = self.env["sale.order"].search(
            [
                ("amazon_account_id", "=", account.id),
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
            try:
                with self.env.cr.savepoint():
                    if item.channel == "fba":
                        self._book_fba(account, item, sale, line)
                    else:
                        self._book_fbm(account, item, sale, line)
            except UserError as error:
                item.write(
                    {
                        "state": "to_check",
                        "sale_order_id": sale.id,
                        "sale_line_id": line.id,
                        "product_id": line.product_id.id,
                        "note": str(error),
                    }
                )
            else:
                booked |= item
        return booked

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
