"""Amazon refunds as credit notes. The flow's home.

A refund reaches Odoo as a ``Refund`` transaction of the Finances API
(``amazon_finance_import.py``). Once the order's invoice is posted, it becomes a
posted credit note reversing that invoice for what the buyer got back: per
SKU the product (with its tax on marketplaces whose prices include it), the
shipping and gift wrap, less the promotion Amazon took back. Amazon's own
items of the refund (the fees it returns, its refund administration fee) are
not the buyer's: the payout books them.

Each credit line is made the way the order line was: the invoice line's
product, taxes and account, the price converted from Amazon's amount as the
order import does; it is linked to the sale order line, so the order shows
the credit note and its invoiced quantity drops by the refunded quantity. The
credit note is linked to the customer return of the same order and SKU when
there is one.

Entry points: after each transactions import and each invoicing run, for the
account (``_book_refunds``). Each refund is booked in its own savepoint under
a row lock and committed: once per transaction, however many runs or workers
meet it. A refund whose order is not invoiced yet waits; one Odoo cannot book
is *To Check* with why, and tried again after the others.
"""

import logging

from odoo import Command, _, api, models
from odoo.exceptions import UserError

from ..mapping.finances import refunded_items

_logger = logging.getLogger(__name__)


class AmazonRefund(models.AbstractModel):
    _name = "amazon.refund"
    _inherit = "amazon.flow"
    _description = "Amazon Refunds to Credit Notes"

    @api.model
    def _book_refunds(self, account, result, limit=200):
        """Book up to ``limit`` of the account's pending refunds as credit
        notes, counted in the caller's run ``result`` (a FlowResult: a refund
        Odoo cannot book, for any reason, is one of its failures). Runs in the
        caller's environment: the flows call it as the system, in the account's
        company."""
        extra = result.extra
        extra.setdefault("credit_notes", 0)
        extra.setdefault("refunds_waiting", 0)
        for transaction in self._pending_refunds(account, limit):
            if not self._lock_transaction(transaction):
                continue  # another run books it
            try:
                with self.env.cr.savepoint():
                    state = self._book_refund(account, transaction)
            except Exception as error:  # any error, the database's too: this refund's
                reason = self._failure_reason(error)
                _logger.info("Amazon refund %s not credited: %s", transaction.ref, reason)
                transaction.write({"refund_state": "error", "refund_note": reason[:250]})
                result.failed += 1
            else:
                extra["credit_notes" if state == "done" else "refunds_waiting"] += 1
            # Each credit note kept as soon as it is posted: a run that stops
            # halfway never credits a refund twice (it is no longer pending).
            self._commit()

    def _pending_refunds(self, account, limit):
        Transaction = self.env["amazon.finance.transaction"]
        domain = [
            ("account_id", "=", account.id),
            ("kind", "=", "Refund"),
            ("credit_note_id", "=", False),
        ]
        # Refunds Odoo could not book come after the others: a batch full of
        # refunds waiting for a fix never holds the rest back.
        pending = Transaction.search(
            [*domain, ("refund_state", "in", ["waiting", False])], order="posted, id", limit=limit
        )
        if len(pending) < limit:
            pending |= Transaction.search(
                [*domain, ("refund_state", "=", "error")],
                order="posted, id",
                limit=limit - len(pending),
            )
        return pending

    def _lock_transaction(self, transaction):
        """Lock the refund's row, or say another run holds it; re-read it."""
        self.env.cr.execute(
            "SELECT id FROM amazon_finance_transaction WHERE id = %s FOR UPDATE SKIP LOCKED",
            (transaction.id,),
        )
        if not self.env.cr.fetchone():
            return False
        transaction.invalidate_recordset(["credit_note_id", "refund_state"])
        return not transaction.credit_note_id

    # --- find -> map -> write --------------------------------------------------------------
    def _book_refund(self, account, transaction):
        """Credit ``transaction``; returns its refund state ("done", "waiting")."""
        sale = transaction.sale_order_id or self.env["sale.order"].search(
            [
                ("amazon_account_id", "=", account.id),
                ("amazon_order_ref", "=", transaction.amazon_order_ref),
            ],
            limit=1,
        )
        invoice = self._refunded_invoice(sale)
        if not invoice:
            note = (
                _("The order's invoice is not posted yet.")
                if sale
                else _("The order %(ref)s is not in Odoo yet.", ref=transaction.amazon_order_ref)
            )
            transaction.write(
                {"refund_state": "waiting", "refund_note": note, "sale_order_id": sale.id}
            )
            return "waiting"
        items = refunded_items(transaction.line_ids._money_lines())
        lines = []
        for item in items:
            lines += self._prepare_credit_lines(account, sale, invoice, item)
        if not lines:
            raise UserError(
                _("Nothing the buyer got back in this refund matches the order's invoice.")
            )
        credit_note = self.env["account.move"].create(
            self._prepare_credit_note_values(account, transaction, invoice, lines)
        )
        credit_note.action_post()
        returns = self._returns_of(account, transaction, {item.sku for item in items})
        returns.credit_note_id = credit_note
        transaction.write(
            {
                "refund_state": "done",
                "refund_note": False,
                "credit_note_id": credit_note.id,
                "sale_order_id": sale.id,
                "return_id": returns[:1].id,
            }
        )
        return "done"

    def _refunded_invoice(self, sale):
        """The order's posted invoice the refund reverses (its first one)."""
        return sale.invoice_ids.filtered(
            lambda move: move.move_type == "out_invoice" and move.state == "posted"
        ).sorted("id")[:1]

    def _prepare_credit_note_values(self, account, transaction, invoice, lines):
        return {
            "move_type": "out_refund",
            "partner_id": invoice.partner_id.id,
            "partner_shipping_id": invoice.partner_shipping_id.id,
            "journal_id": invoice.journal_id.id,
            "currency_id": invoice.currency_id.id,
            "fiscal_position_id": invoice.fiscal_position_id.id,
            "invoice_date": transaction.posted.date() if transaction.posted else False,
            "invoice_origin": invoice.invoice_origin,
            "reversed_entry_id": invoice.id,
            "ref": _(
                "Amazon refund %(refund)s of %(invoice)s",
                refund=transaction.refund_ref or transaction.ref,
                invoice=invoice.name,
            ),
            "invoice_line_ids": [Command.create(line) for line in lines],
        }

    def _prepare_credit_lines(self, account, sale, invoice, item):
        """The credit note's lines for one refunded SKU: the product, then the
        services (shipping, gift wrap, promotion) when Amazon refunded them."""
        item_line = self._invoice_line_of(account, invoice, item.sku)
        if not item_line and any(item.parts.get(k) for k in ("product", "product_tax")):
            raise UserError(
                _(
                    "The SKU %(sku)s is not on the order's invoice %(invoice)s.",
                    sku=item.sku,
                    invoice=invoice.name,
                )
            )
        tax_included = sale.amazon_marketplace_id.tax_included
        lines = []
        if item_line:
            quantity = min(item.quantity or 1, item_line.quantity) or 1
            gross = self._gross(item, "product", item_line, tax_included)
            if gross:
                lines.append(self._prepare_credit_line(item_line, gross, quantity, tax_included))
        for kind in ("shipping", "giftwrap", "promotion"):
            gross = item.gross(kind)
            if not gross:
                continue
            service_line = self._service_line_of(account, invoice, kind, item.sku)
            if service_line:
                gross = self._gross(item, kind, service_line, tax_included)
                lines.append(self._prepare_credit_line(service_line, gross, 1, tax_included))
            else:
                lines.append(self._prepare_service_credit_line(account, kind, item_line, gross))
        return lines

    def _gross(self, item, kind, invoice_line, tax_included):
        """What the credit line's price is made from, the way the order import
        made the order line's: on marketplaces whose prices include VAT, the
        refunded amount with its tax (when the line bears the seller's tax);
        elsewhere the net amount, Odoo's taxes adding theirs."""
        return item.gross(kind, with_tax=bool(tax_included and invoice_line.tax_ids))

    def _prepare_credit_line(self, invoice_line, gross, quantity, tax_included):
        # The order import's conversion: one rule for the order and its refund.
        price_unit = invoice_line.tax_ids._amazon_unit_price(
            gross, quantity, tax_included, invoice_line.currency_id
        )
        return {
            "product_id": invoice_line.product_id.id,
            "name": invoice_line.name,
            "quantity": quantity,
            "product_uom_id": invoice_line.product_uom_id.id,
            "price_unit": price_unit,
            "tax_ids": [Command.set(invoice_line.tax_ids.ids)],
            "account_id": invoice_line.account_id.id,
            "analytic_distribution": invoice_line.analytic_distribution,
            "sale_line_ids": [Command.set(invoice_line.sale_line_ids.ids)],
        }

    def _prepare_service_credit_line(self, account, kind, item_line, gross):
        """A refunded service the invoice has no line for: the company's
        default product of the kind, taxed as the item."""
        product = account.company_id._amazon_get_default_product(kind)
        return {
            "product_id": product.id,
            "quantity": 1,
            "price_unit": float(gross),
            "tax_ids": [Command.set(item_line.tax_ids.ids if item_line else [])],
        }

    def _invoice_line_of(self, account, invoice, sku):
        lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        return (
            lines.filtered(lambda line: line.sale_line_ids.amazon_offer_id.sku == sku)[:1]
            or lines.filtered(lambda line: line.product_id.default_code == sku)[:1]
        )

    def _service_line_of(self, account, invoice, kind, sku):
        """The invoice's line of Amazon's service ``kind`` (shipping, gift
        wrap, promotion) the order import made, for ``sku`` when it says."""
        company = account.company_id
        defaults = {k: company._amazon_get_default_product(k) for k in ("giftwrap", "promotion")}
        services = invoice.invoice_line_ids.filtered(
            lambda line: (
                line.display_type == "product"
                and line.sale_line_ids
                and not any(line.sale_line_ids.mapped("amazon_item_ref"))
            )
        )
        if kind == "shipping":
            return services.filtered(
                lambda line: line.product_id not in (defaults["giftwrap"] | defaults["promotion"])
            )[:1]
        of_kind = services.filtered(lambda line: line.product_id == defaults[kind])
        return of_kind.filtered(lambda line: sku and sku in (line.name or ""))[:1] or of_kind[:1]

    def _returns_of(self, account, transaction, skus):
        """The customer returns of the refunded SKUs not credited yet."""
        return self.env["amazon.return"].search(
            [
                ("account_id", "=", account.id),
                ("amazon_order_ref", "=", transaction.amazon_order_ref),
                ("sku", "in", list(skus)),
                ("credit_note_id", "=", False),
            ]
        )
