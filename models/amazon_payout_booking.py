import logging
from decimal import Decimal

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.finances import customer_part, is_reserve, label_charge, summary_lines, type_key

_logger = logging.getLogger(__name__)


class AmazonPayoutBooking(models.AbstractModel):
    """Amazon's closed payouts as journal entries. The flow's home.

    One entry per payout, in the company's Amazon Payouts journal, dated the
    transfer:

    - what the buyers paid (and got back) per transaction, on the receivable of
      the order's invoice (its credit note for a refund), reconciled with it;
      a transaction whose order has no posted invoice stays on its buyer's
      receivable, one without order in Odoo on the suspense account;
    - Amazon's fees, per type on the account mapped to it (Amazon Fee
      Accounts), one line per type;
    - reserves, and the balance carried from the previous payout, on the
      Amazon Reserve account;
    - the transfer on the Amazon Clearing account: the entry balances there to
      the amount Amazon transferred, matched with the bank's statement line.

    Booked once (the payout keeps its entry); a payout whose transactions do
    not add up to its total is To Check and booked once they do.
    """

    _name = "amazon.payout.booking"
    _inherit = "amazon.flow"
    _description = "Amazon Payouts to Journal Entries"

    @api.model
    def _book_payouts(self, account, result, payouts=None):
        """Book the account's closed payouts (or ``payouts``), counted in the
        run's ``result`` (a FlowResult)."""
        extra = result.extra
        extra.setdefault("payouts_booked", 0)
        if payouts is None:
            payouts = self.env["amazon.payout"].search(
                [("account_id", "=", account.id), ("state", "in", ["closed", "to_check"])],
                order="start, id",
            )
        for payout in payouts.filtered(lambda p: p.state in ("closed", "to_check")):
            try:
                with self.env.cr.savepoint():
                    outcome = self._book_payout(account, payout)
            except Exception as error:  # any error, the database's too: this payout's
                reason = self.env["amazon.flow"]._failure_reason(error)
                payout.write({"state": "to_check", "note": reason[:250]})
                outcome = "to_check"
            if outcome == "booked":
                extra["payouts_booked"] += 1
            elif outcome:  # None: another run holds it, or booked it already
                result.failed += 1
            self._commit()
        extra["payouts_matched"] = self._match_bank_lines(account)

    # --- the transfer matched with the bank's statement line -----------------------------
    def _match_bank_lines(self, account):
        """Match each booked payout whose transfer is still open on the Amazon
        Clearing account with the bank statement line of the same amount that
        names its trace id (as banks show Amazon's transfers). Returns how many."""
        company = account.company_id
        clearing = company.amazon_clearing_account_id
        if not clearing:
            return 0
        booked = self.env["amazon.payout"].search(
            [("account_id", "=", account.id), ("state", "=", "booked"), ("trace_ref", "!=", False)]
        )
        payout_of = {payout.move_id: payout for payout in booked}
        open_lines = self.env["account.move.line"].search(
            [
                ("account_id", "=", clearing.id),
                ("reconciled", "=", False),
                ("parent_state", "=", "posted"),
                ("move_id", "in", booked.move_id.ids),
            ]
        )
        matched = 0
        for line in open_lines:
            if self._match_bank_line(payout_of[line.move_id], line):
                matched += 1
                self._commit()
        return matched

    def _match_bank_line(self, payout, clearing_line):
        StatementLine = self.env["account.bank.statement.line"]
        candidates = StatementLine.search(
            [
                ("company_id", "=", payout.company_id.id),
                ("is_reconciled", "=", False),
                ("payment_ref", "ilike", payout.trace_ref),
            ]
        )
        for st_line in candidates:
            currency = st_line.foreign_currency_id or st_line.currency_id
            amount = st_line.amount_currency if st_line.foreign_currency_id else st_line.amount
            if currency != clearing_line.currency_id or currency.compare_amounts(
                amount, clearing_line.amount_currency
            ):
                continue
            _liquidity, suspense, other = st_line._seek_for_lines()
            if len(suspense) != 1 or other:
                continue
            # What Odoo's bank reconciliation does: the statement line's
            # counterpart leaves the suspense account for the clearing account,
            # and the two clearing lines are reconciled.
            st_line.move_id.with_context(skip_readonly_check=True).write(
                {"line_ids": [(1, suspense.id, {"account_id": clearing_line.account_id.id})]}
            )
            (suspense | clearing_line).reconcile()
            return True
        return False

    def _book_payout(self, account, payout):
        """Post ``payout``'s entry and reconcile it: "booked", "to_check" (it
        does not add up), or None (another run holds it or has booked it)."""
        self.env.cr.execute(
            "SELECT id FROM amazon_payout WHERE id = %s FOR UPDATE SKIP LOCKED", (payout.id,)
        )
        if not self.env.cr.fetchone():
            return None
        payout.invalidate_recordset(["move_id", "state"])
        if payout.move_id:
            return None
        currency = payout.currency_id
        if not currency:  # Amazon's currency is not in Odoo (the note says which)
            raise UserError(payout.note or _("The payout's currency is not in Odoo."))
        if currency.compare_amounts(payout.transactions_total, payout.total):
            payout.write(
                {
                    "state": "to_check",
                    "note": _(
                        "The transactions Odoo holds add up to %(held)s, Amazon's total is "
                        "%(total)s: a transaction is missing or unreadable.",
                        held=currency.format(payout.transactions_total),
                        total=currency.format(payout.total),
                    ),
                }
            )
            return "to_check"
        company = account.company_id
        lines, to_reconcile = self._prepare_payout_lines(account, payout)
        move = self.env["account.move"].create(self._prepare_move_values(account, payout, lines))
        move.action_post()
        self._reconcile(move, to_reconcile)
        payout.write({"state": "booked", "note": False, "move_id": move.id})
        _logger.info("Amazon payout %s booked in %s (%s)", payout.ref, move.name, company.name)
        return "booked"

    def _prepare_move_values(self, account, payout, lines):
        company = account.company_id
        return {
            "move_type": "entry",
            "journal_id": company._amazon_get_payout_journal().id,
            "date": (payout.transfer_date or payout.end or fields.Datetime.now()).date(),
            "ref": _("Amazon payout %(ref)s", ref=payout.trace_ref or payout.ref),
            "line_ids": [Command.create(line) for line in lines],
        }

    def _reconcile(self, move, to_reconcile):
        """Reconcile, order by order, the buyers' money of the entry with the
        open receivables of the order's invoices and credit notes (Odoo has
        already matched a credit note with the invoice it reverses: what is
        left open of both is what the payout settles)."""
        lines = move.line_ids.sorted("id")
        plan = []
        for sale, indexes in to_reconcile.items():
            ours = self.env["account.move.line"].union(*(lines[index] for index in indexes))
            # An order's invoices, or a Buy Shipping label's bill.
            documents = sale if sale._name == "account.move" else sale.invoice_ids
            documents = documents.filtered(lambda document: document.state == "posted")
            open_lines = documents.line_ids.filtered(
                lambda line: (
                    line.account_id.account_type in ("asset_receivable", "liability_payable")
                    and not line.reconciled
                )
            )
            plan += [
                group
                for account, group in (ours | open_lines).grouped("account_id").items()
                if account.reconcile and len(group) > 1
            ]
        # One plan for the whole payout: Odoo reconciles its groups one after
        # the other but reads and checks them together (reconcile() per order
        # would pay its set-up thousands of times).
        self.env["account.move.line"]._reconcile_plan(plan)

    def _prepare_payout_lines(self, account, payout):
        """(move line values, {sale order: [indexes of its lines]})."""
        company = account.company_id
        transactions = payout.transaction_ids
        # Prefetch what each transaction reaches: one query per model, not per line.
        transactions.line_ids.mapped("amount")
        sales = transactions.sale_order_id
        sales.invoice_ids.line_ids.mapped("account_id")
        lines, to_reconcile = [], {}
        fees, reserves = {}, Decimal("0")
        awaited, bills = self._label_charges(transactions)
        for transaction in transactions:
            charge = {
                "kind": transaction.kind or "",
                "description": transaction.description or "",
                "total": transaction.total,
                "order_ref": transaction.amazon_order_ref,
                "shipment_ref": transaction.shipment_ref,
            }
            charged = awaited and label_charge(charge, awaited.values())
            if charged:
                # Paid to Amazon out of the payout: the label's bill (or its
                # credit note), on Amazon's payable, reconciled with it.
                awaited[charged[0]][3].remove(charged[1])  # charged once
                bill = bills[charged]
                to_reconcile.setdefault(bill, []).append(len(lines))
                lines.append(self._prepare_label_line(payout, transaction, bill))
                continue
            money = summary_lines(transaction.line_ids._money_lines())
            customer = Decimal("0")
            for line in money:
                if customer_part(line):
                    customer += line.amount
                elif is_reserve(line):
                    reserves += line.amount
                else:
                    fees[line.detail] = fees.get(line.detail, Decimal("0")) + line.amount
            rest = Decimal(str(transaction.total)) - sum(
                (line.amount for line in money), Decimal("0")
            )
            if rest:  # what the breakdowns do not tell: the transaction's own type
                kind = transaction.kind or _("Other")
                fees[kind] = fees.get(kind, Decimal("0")) + rest
            if customer:
                sale = transaction.sale_order_id
                if sale:
                    to_reconcile.setdefault(sale, []).append(len(lines))
                lines.append(self._prepare_customer_line(account, payout, transaction, customer))
        fee_accounts = self.env["amazon.fee.account"]._accounts_for(company, list(fees))
        # With Amazon's invoices booked as vendor bills (amazon_fee_invoice_import.py),
        # the fees deducted pay them: on Amazon's payable, not an expense twice.
        vendor = company._amazon_get_vendor() if account.import_fee_invoices else None
        payable = vendor and vendor.with_company(company).property_account_payable_id
        for name, amount in sorted(fees.items()):
            if amount:
                values = self._prepare_amount_line(
                    payout,
                    payable or fee_accounts[type_key(name)],
                    -amount,
                    _("Amazon fees: %(type)s", type=name),
                )
                if vendor:
                    values["partner_id"] = vendor.id
                lines.append(values)
        carried = reserves + Decimal(str(payout.beginning_balance))
        if carried:
            lines.append(
                self._prepare_amount_line(
                    payout,
                    company._amazon_get_account("reserve"),
                    -carried,
                    _("Amazon reserve and carried balance"),
                )
            )
        transfer = self._prepare_amount_line(
            payout,
            company._amazon_get_account("clearing"),
            Decimal(str(payout.total)),
            _("Amazon transfer %(ref)s", ref=payout.trace_ref or payout.ref),
        )
        # In the company's currency the lines are converted one by one: the
        # transfer takes what balances them (never an unbalanced entry).
        transfer["balance"] = company.currency_id.round(-sum(line["balance"] for line in lines))
        lines.append(transfer)
        return lines, to_reconcile

    def _label_charges(self, transactions):
        """The Buy Shipping labels whose charge or refund the payout may hold:
        ({shipment id: (shipment id, order id, price, [kinds awaited])} as
        mapping.finances.label_charge takes them, {(shipment id, kind): bill})."""
        # Read as the system to match the company's own bills: the booking
        # writes journal entries, which its user must be allowed to.
        self.env["account.move"].check_access("create")
        labels = self.env["amazon.shipping.label"].sudo()._charges_of(transactions)
        awaited, bills = {}, {}
        for label in labels:
            kinds = []
            for kind, bill in (("billing", label.bill_id), ("refund", label.refund_bill_id)):
                if bill.state == "posted" and not bill.currency_id.is_zero(bill.amount_residual):
                    kinds.append(kind)
                    bills[label.shipment_ref, kind] = bill
            if kinds:
                order_ref = label.picking_id.sale_id.amazon_order_ref
                awaited[label.shipment_ref] = (label.shipment_ref, order_ref, label.amount, kinds)
        return awaited, bills

    def _prepare_label_line(self, payout, transaction, bill):
        payable = bill.line_ids.filtered(
            lambda line: line.account_id.account_type == "liability_payable"
        )[:1]
        values = self._prepare_amount_line(
            payout,
            payable.account_id,
            -Decimal(str(transaction.total)),
            _("Amazon %(type)s %(bill)s", type=transaction.kind, bill=bill.ref or bill.name),
        )
        values["partner_id"] = bill.partner_id.id
        return values

    def _prepare_customer_line(self, account, payout, transaction, amount):
        """What the buyer paid (positive) or got back (negative) in
        ``transaction``: on the receivable of the order's invoice (or credit
        note), else the buyer's, else (no order in Odoo) the suspense account."""
        sale = transaction.sale_order_id
        documents = (transaction.credit_note_id | sale.invoice_ids).filtered(
            lambda document: document.state == "posted"
        )
        counterpart = documents.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        )[:1]
        label = _(
            "Amazon %(type)s %(order)s",
            type=transaction.kind,
            order=transaction.amazon_order_ref or transaction.ref,
        )
        if counterpart:
            target, partner = counterpart.account_id, counterpart.partner_id
        elif sale:
            partner = sale.partner_invoice_id.commercial_partner_id
            target = partner.with_company(account.company_id).property_account_receivable_id
        else:
            partner = self.env["res.partner"]
            target = account.company_id.account_journal_suspense_account_id
            if not target:
                raise UserError(
                    _("The company has no suspense account for money of orders not in Odoo.")
                )
        values = self._prepare_amount_line(payout, target, -amount, label)
        values["partner_id"] = partner.id
        return values

    def _prepare_amount_line(self, payout, target, amount, label):
        """A line of ``amount`` (debit positive) in the payout's currency."""
        company = payout.company_id
        currency = payout.currency_id or company.currency_id
        date = (payout.transfer_date or payout.end or fields.Datetime.now()).date()
        balance = currency._convert(float(amount), company.currency_id, company, date)
        return {
            "account_id": target.id,
            "name": label,
            "currency_id": currency.id,
            "amount_currency": float(amount),
            "balance": balance,
        }
