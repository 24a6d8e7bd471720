"""Amazon's money in: the seller's financial transactions (Finances API
2024-06-19 ``listTransactions``) kept in Odoo. The flow's home.

Entry points: the cron (``_cron_import``) and the account's Import
Transactions button (``_action_run``), through the flow template's ``_run``.
Each run reads the window since the
last one, two days back again ("Financial events might not include orders
from the last 48 hours"), up to two minutes before now (the API's bound);
each transaction is kept once per account by Amazon's transactionId, its
status followed (DEFERRED, then RELEASED). Pages are committed one by one and
the cursor moves only when the window is read: a run that stops reads its
window again, and nothing twice. A window longer than 180 days is read in
parts ("more than 180 days apart, the response is empty").

The transactions are what the refunds (credit notes) and the payouts
(statements) are booked from.
"""

import hashlib
import json
import logging
from datetime import UTC, timedelta

from odoo import Command, _, api, fields, models

from ..mapping.finances import parse_event_group, parse_transaction
from . import flow_kinds
from .flow_run import DateWindow, FlowRun

_logger = logging.getLogger(__name__)

FIRST_WINDOW = timedelta(days=30)
OVERLAP = timedelta(days=2)  # "might not include orders from the last 48 hours"
API_LAG = timedelta(minutes=3)  # postedBefore "more than two minutes before" the request
MAX_RANGE = timedelta(days=179)  # "more than 180 days apart, the response is empty"
# A payout opened up to a month before the window may still be open (Amazon
# settles every 14 days, some sellers monthly): read the groups that far back.
PAYOUT_LOOKBACK = timedelta(days=31)


class FinanceRun(FlowRun):
    def __init__(self, account, adapter, **limits):
        super().__init__(account, adapter, **limits)
        self.result.extra.update(payouts=0)


class AmazonFinanceImport(models.AbstractModel):
    _name = "amazon.finance.import"
    _inherit = "amazon.flow"
    _description = "Amazon Financial Transactions In"
    _flow_kind = flow_kinds.FINANCES
    _run_class = FinanceRun
    _action_reload = True

    @api.model
    def _cron_import(self):
        """The linked accounts in turns (``amazon.flow._cron_turns``), their
        transactions since the last run each."""
        return self._cron_run()

    @api.model
    def _cron_accounts(self):
        return self.env["amazon.account"].search([("link_date", "!=", False)])

    def _flow_title(self):
        return _("Amazon transactions")

    # --- the steps: the window's pages, then payouts, refunds, bookings -------------------
    def _window(self, run):
        now = fields.Datetime.now()
        start = (run.account.last_finances_sync or now - FIRST_WINDOW) - OVERLAP
        end = min(now - API_LAG, start + MAX_RANGE)
        return DateWindow(start, end) if end > start else None

    def _fetch(self, run, window):
        if window is None:
            return []
        return run.adapter.iter_transactions(
            posted_after=window.start.replace(tzinfo=UTC),
            posted_before=window.end.replace(tzinfo=UTC),
        )

    def _has_next(self, page):
        # The cursor moves only when the window is read: a run reads it whole.
        return False

    def _process_page(self, run, page):
        run.result.fetched += len(page)
        self._write_page(run, page)

    def _close_window(self, run, window):
        if window is None:
            return
        self._import_payouts(run, window)
        # Read to its end: the next run starts here (less the overlap).
        run.account.last_finances_sync = window.end
        self._commit()
        # The refunds read, credited (amazon_refund.py), then the payouts
        # Amazon closed, booked and reconciled (amazon_payout.py).
        self.env["amazon.refund"]._book_refunds(run.account, run.result)
        self.env["amazon.payout.booking"]._book_payouts(run.account, run.result)
        # Amazon's FBA inventory reimbursements close the claims they pay.
        self.env["amazon.fba.ledger.event"]._close_by_reimbursements(run.account)

    def _import_payouts(self, run, window):
        """The payouts (financial event groups) opened in the window, and again
        those Odoo holds open until Amazon closes them. A payout that closes has
        all its transactions read by its group id: what is booked for it is
        complete, whatever the windows saw."""
        account, adapter, result = run.account, run.adapter, run.result
        start, end = window.start, window.end
        Payout = self.env["amazon.payout"]
        oldest_open = Payout.search(
            [("account_id", "=", account.id), ("state", "=", "open")], order="start", limit=1
        )
        start -= PAYOUT_LOOKBACK
        if oldest_open.start:
            start = min(start, oldest_open.start)
        start = max(start, end - MAX_RANGE)  # "more than 180 days apart": none returned
        for page in adapter.iter_event_groups(start.replace(tzinfo=UTC), end.replace(tzinfo=UTC)):
            groups = []
            for data in page:
                try:
                    groups.append(parse_event_group(data))
                except Exception as error:  # pure: any error is the group's alone
                    _logger.warning("Amazon payout of account %s unreadable: %s", account.id, error)
                    result.failed += 1
            known = {
                payout.ref: payout
                for payout in Payout.search(
                    [("account_id", "=", account.id), ("ref", "in", [g.ref for g in groups])]
                )
            }
            for group in groups:
                payout = known.get(group.ref)
                values = Payout._prepare_amazon_values(account, group)
                newly_closed = group.closed and (not payout or payout.state == "open")
                if payout and payout.state != "open":
                    values.pop("state")  # booked or to check: Odoo's, not Amazon's
                if payout:
                    changed = {
                        key: value
                        for key, value in values.items()
                        if payout._fields[key].convert_to_write(payout[key], payout) != value
                    }
                    if changed:
                        payout.write(changed)
                else:
                    payout = Payout.create(values)
                result.extra["payouts"] += 1
                if newly_closed:
                    for transactions in adapter.iter_transactions(
                        related=("FINANCIAL_EVENT_GROUP_ID", group.ref)
                    ):
                        result.fetched += len(transactions)
                        self._write_page(run, transactions)
                self.env["amazon.finance.transaction"].search(
                    [
                        ("account_id", "=", account.id),
                        ("group_ref", "=", group.ref),
                        ("payout_id", "=", False),
                    ]
                ).payout_id = payout
                self._commit()

    def _write_page(self, run, page):
        account, result = run.account, run.result
        parsed, unreadable = [], []
        for data in page:
            try:
                parsed.append((data, parse_transaction(data)))
            except Exception as error:  # pure: any error is the transaction's alone
                unreadable.append((data, self._failure_reason(error)))
        currencies = {
            c.name: c
            for c in self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "in", list({t.currency for _data, t in parsed}))])
        }
        # Money in a currency Odoo lacks is set aside with why, never booked in
        # another currency; read again (its payout's whole read) once it exists.
        unreadable += [
            (data, self._unknown_currency_reason(t.currency))
            for data, t in parsed
            if t.currency not in currencies
        ]
        parsed = [t for _data, t in parsed if t.currency in currencies]
        Transaction = self.env["amazon.finance.transaction"]
        if unreadable:
            # Kept, never dropped: the sync log says Done with Failures and the
            # transaction shows what Amazon sent and why it was not read.
            result.failed += len(unreadable)
            refs = [self._unreadable_ref(data) for data, _error in unreadable]
            result.problems.extend(
                f"{ref}: {error}" for ref, (_data, error) in zip(refs, unreadable, strict=True)
            )
            known = set(
                Transaction.search([("account_id", "=", account.id), ("ref", "in", refs)]).mapped(
                    "ref"
                )
            )
            Transaction.create(
                [
                    {
                        "account_id": account.id,
                        "ref": ref,
                        "kind": _("Unreadable"),
                        "description": str(error).replace("\x00", "")[:250],
                        "raw": json.dumps(data, default=str),
                    }
                    for ref, (data, error) in zip(refs, unreadable, strict=True)
                    if ref not in known
                ]
            )
        if not parsed:
            return
        known = {
            record.ref: record
            for record in Transaction.search(
                [("account_id", "=", account.id), ("ref", "in", [t.ref for t in parsed])]
            )
        }
        sales = self.env["sale.order"].search(
            [
                ("amazon_account_id", "=", account.id),
                ("amazon_order_ref", "in", list({t.order_ref for t in parsed if t.order_ref})),
            ]
        )
        sale_of = {sale.amazon_order_ref: sale for sale in sales}
        marketplaces = {
            m.api_ref: m
            for m in self.env["amazon.marketplace"].search(
                [("api_ref", "in", list({t.marketplace_ref for t in parsed}))]
            )
        }
        payouts = {
            p.ref: p
            for p in self.env["amazon.payout"].search(
                [
                    ("account_id", "=", account.id),
                    ("ref", "in", list({t.group_ref for t in parsed if t.group_ref})),
                ]
            )
        }
        values, seen = [], set()
        for transaction in parsed:
            record = known.get(transaction.ref)
            if record and record.raw:
                # Set aside before (unreadable, or its currency unknown): read now.
                read = self._prepare_transaction_values(
                    account, transaction, sale_of, marketplaces, currencies, payouts
                )
                record.line_ids.unlink()
                record.write(dict(read, raw=False))
                result.updated += 1
                continue
            if record:
                if record.status != transaction.status:
                    record.status = transaction.status
                    result.updated += 1
                else:
                    result.skipped += 1
                continue
            if transaction.ref in seen:
                continue
            seen.add(transaction.ref)
            values.append(
                self._prepare_transaction_values(
                    account, transaction, sale_of, marketplaces, currencies, payouts
                )
            )
        self._create_transactions(run, values)

    def _create_transactions(self, run, values):
        """Create the page's new transactions at once; should the database
        refuse the batch, each alone: one it refuses is kept unreadable with
        why (read again with its payout), the others are booked."""
        account, result = run.account, run.result
        Transaction = self.env["amazon.finance.transaction"]
        try:
            with self.env.cr.savepoint():
                Transaction.create(values)
            result.created += len(values)
            return
        except Exception:
            _logger.info("Amazon transactions of account %s: one by one", account.id)
        for value in values:
            try:
                with self.env.cr.savepoint():
                    Transaction.create(value)
                result.created += 1
            except Exception as error:
                reason = self._failure_reason(error).replace("\x00", "")
                result.failed += 1
                result.problems.append(f"{value.get('ref')!r:.40}: {reason}")
                ref = self._unreadable_ref(repr(value))
                if not Transaction.search_count(
                    [("account_id", "=", account.id), ("ref", "=", ref)]
                ):
                    Transaction.create(
                        {
                            "account_id": account.id,
                            "ref": ref,
                            "kind": _("Unreadable"),
                            "description": reason[:250],
                            "raw": json.dumps(value, default=str),
                        }
                    )

    @api.model
    def _unknown_currency_reason(self, code):
        return _(
            "Amazon's currency %(code)s is not in Odoo: activate it (Accounting > "
            "Configuration > Currencies); the money is booked once it is read again.",
            code=code,
        )

    @staticmethod
    def _unreadable_ref(data):
        ref = data.get("transactionId") if isinstance(data, dict) else None
        if isinstance(ref, str) and 0 < len(ref) <= 100 and ref.isprintable():
            return ref
        digest = hashlib.sha1(json.dumps(data, default=str, sort_keys=True).encode())
        return "unreadable-" + digest.hexdigest()[:16]

    def _prepare_transaction_values(
        self, account, transaction, sale_of, marketplaces, currencies, payouts
    ):
        # Every leaf of the breakdowns, the transaction's and its items' (they
        # describe the same money: mapping.finances.booked_lines and
        # summary_lines pick one).
        lines = [
            Command.create(
                {
                    "breakdown_type": leaf.kind,
                    "detail_type": leaf.detail,
                    "amount": float(leaf.amount),
                }
            )
            for leaf in transaction.breakdowns
        ]
        for item in transaction.items:
            lines += [
                Command.create(
                    {
                        "item_level": True,
                        "sku": item.sku,
                        "quantity": item.quantity,
                        "breakdown_type": leaf.kind,
                        "detail_type": leaf.detail,
                        "amount": float(leaf.amount),
                        "adjustment_ref": item.adjustment_ref or False,
                    }
                )
                for leaf in item.breakdowns
            ]
        sale = sale_of.get(transaction.order_ref)
        payout = payouts.get(transaction.group_ref)
        marketplace = marketplaces.get(transaction.marketplace_ref)
        currency = currencies[transaction.currency]
        return {
            "account_id": account.id,
            "ref": transaction.ref,
            "kind": transaction.kind,
            "status": transaction.status,
            "description": transaction.description,
            "posted": transaction.posted,
            "marketplace_id": marketplace.id if marketplace else False,
            "currency_id": currency.id,
            "total": float(transaction.total),
            "amazon_order_ref": transaction.order_ref or False,
            "group_ref": transaction.group_ref or False,
            "refund_ref": transaction.refund_ref or False,
            "shipment_ref": transaction.shipment_ref or False,
            "sale_order_id": sale.id if sale else False,
            "line_ids": lines,
            "refund_state": "waiting" if transaction.kind == "Refund" else False,
            "payout_id": payout.id if payout else False,
        }
