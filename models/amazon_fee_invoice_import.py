"""Amazon's own invoices to the seller as vendor bills. The flow's home.

Amazon bills the seller for its services (storage, referral and fulfilment
fees, subscription...) and deducts the bills from its payouts (the invoices'
status says *DEDUCTED*). An account with *Amazon's Invoices as Vendor Bills*
reads them every day (Finances Invoices API 2026-06-25: ``getInvoiceHeaders``
per marketplace of the account, by windows of at most 90 days, then
``getInvoice`` for each new one, its line items by pages) and books each as a
vendor bill from Amazon:

- the partner is the company's *Amazon* vendor (made on first use with the
  name and VAT number Amazon invoices under), the bill reference Amazon's
  invoice number, dated the issue date, in the invoice's currency;
- a line per invoice line, on the account of its charge type (Amazon Fee
  Accounts, as the payouts' fees), with the company's purchase tax of the rate
  Amazon gives (``DE 19``);
- posted when Odoo's total is Amazon's; otherwise left in draft with why, for
  the accountant (a rate the company has no purchase tax for, a reverse
  charge to choose).

So that a fee is an expense once, the payouts of such an account book the fees
they deduct on the Amazon vendor's payable (``amazon_payout.py``): the bills
are paid by the payouts.

The flow runs on the template (``amazon.flow``): each page of headers is a
page, each new invoice its own unit (read, then booked once: its identifier
is kept on the bill); one that fails, for any reason, says why in the sync
log and is tried again at the next run (the window does not move on).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..mapping.checks import safe_text
from ..mapping.fee_invoices import parse_fee_invoice
from ..mapping.finances import type_key
from ..spapi import SpApiRequestError
from . import flow_kinds
from .flow_run import DateWindow

_logger = logging.getLogger(__name__)

# getInvoiceHeaders: "The range between fromIssueDate and toIssueDate must not
# exceed 90 days"; a first run reads that far back.
WINDOW = timedelta(days=90)
# Amazon issues an invoice dated in the past (the end of a billing period):
# each run reads again the last days before the previous one.
OVERLAP = timedelta(days=7)


@dataclass
class HeadersPage:
    """A page of one marketplace's invoice headers, as Amazon sent them."""

    marketplace: object
    headers: list


class AmazonFeeInvoiceImport(models.AbstractModel):
    _name = "amazon.fee.invoice.import"
    _inherit = "amazon.flow"
    _description = "Amazon Invoices Import"
    _flow_kind = flow_kinds.FEE_INVOICES

    @api.model
    def _cron_import(self):
        """The importing accounts in turns (``amazon.flow._cron_turns``)."""
        return self._cron_run()

    @api.model
    def _cron_accounts(self):
        return self.env["amazon.account"].search([("import_fee_invoices", "=", True)])

    # --- the steps: each marketplace's headers by windows, each new invoice a unit --------
    def _window(self, run):
        end = fields.Datetime.now()
        return DateWindow((run.account.last_fee_invoice_sync or end - WINDOW) - OVERLAP, end)

    def _fetch(self, run, window):
        for marketplace in run.account.marketplace_ids:
            part_start = window.start
            while part_start < window.end:
                part_end = min(part_start + WINDOW, window.end)
                for headers in run.adapter.iter_fee_invoice_headers(
                    marketplace.api_ref, _aware(part_start), _aware(part_end)
                ):
                    yield HeadersPage(marketplace, headers)
                part_start = part_end

    def _has_next(self, page):
        return False  # the window moves only when read whole

    def _process_page(self, run, page):
        invoices = [
            invoice
            for invoice in (
                self._read_unit(run, header, parse_fee_invoice) for header in page.headers
            )
            if invoice and invoice.billed_to_seller
        ]
        run.result.fetched += len(invoices)
        # One query per page for what is booked already.
        known = set(
            self.env["account.move"]
            .search(
                [
                    ("company_id", "=", run.company.id),
                    ("amazon_fee_invoice_ref", "in", [i.ref for i in invoices]),
                ]
            )
            .mapped("amazon_fee_invoice_ref")
        )
        for invoice in invoices:
            if invoice.ref in known:
                run.result.skipped += 1
                continue
            try:
                header, items = run.adapter.get_fee_invoice(page.marketplace.api_ref, invoice.ref)
            except SpApiRequestError as error:  # this invoice's (throttling stops the run)
                self._unit_failed(run, {"invoiceNumber": invoice.number}, error)
                continue
            if self._in_unit(run, header, self._import_invoice, header, items):
                run.result.created += 1

    def _import_invoice(self, run, header, items):
        return self._book(run.account, parse_fee_invoice(header, items))

    def _unit_failed(self, run, unit, error):
        number = (
            unit.get("invoiceNumber") or unit.get("invoiceIdentifier")
            if isinstance(unit, dict)
            else None
        )
        reason = self._failure_reason(error)
        _logger.info("Amazon invoice %s not booked: %s", number, reason)
        run.result.failed += 1
        # Said on the run's sync log ("Done with Failures").
        run.result.problems.append(f"{safe_text(number, '?')}: {reason}")

    def _close_window(self, run, window):
        if not run.result.failed:
            # Read again from here next time (less the overlap); with a
            # failure, the same window again: the failed one is retried.
            run.account.last_fee_invoice_sync = window.end

    def _book(self, account, invoice):
        bill = self.env["account.move"].create(self._prepare_bill_values(account, invoice))
        difference = float_compare(
            bill.amount_total, float(invoice.total), precision_rounding=bill.currency_id.rounding
        )
        if difference == 0:
            bill.action_post()
        else:
            bill.message_post(
                body=_(
                    "Left in draft: Amazon's invoice totals %(amazon)s %(currency)s, this bill "
                    "%(odoo)s. Check its taxes (Amazon's rates: %(rates)s) and post it.",
                    amazon=invoice.total,
                    currency=invoice.currency,
                    odoo=bill.amount_total,
                    rates=", ".join(
                        sorted({f"{c} {r}" for line in invoice.lines for c, r in line.tax_rates})
                    )
                    or _("none"),
                )
            )
        return bill

    def _prepare_bill_values(self, account, invoice):
        """The vendor bill of one of Amazon's invoices (a hook)."""
        company = account.company_id
        currency = (
            self.env["res.currency"]
            .with_context(active_test=False)
            .search([("name", "=", invoice.currency)], limit=1)
        )
        if not currency:
            raise UserError(_("Currency %(code)s is unknown to Odoo.", code=invoice.currency))
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "purchase")], limit=1
        )
        if not journal:
            raise UserError(_("The company has no purchase journal for Amazon's invoices."))
        accounts = self.env["amazon.fee.account"]._accounts_for(
            company, [line.charge_type for line in invoice.lines]
        )
        return {
            "move_type": "in_invoice",
            "company_id": company.id,
            "journal_id": journal.id,
            "partner_id": company._amazon_get_vendor(invoice.payee_name, invoice.payee_vat).id,
            "ref": invoice.number,
            "invoice_date": invoice.issued.date(),
            "invoice_date_due": (invoice.due or invoice.issued).date(),
            "currency_id": currency.id,
            "amazon_fee_invoice_ref": invoice.ref,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "name": line.description or line.charge_type,
                        "quantity": 1,
                        "price_unit": float(line.amount),
                        "account_id": accounts[type_key(line.charge_type)].id,
                        "tax_ids": [(6, 0, self._purchase_taxes(company, line).ids)],
                    },
                )
                for line in invoice.lines
            ],
        }

    def _purchase_taxes(self, company, line):
        """The company's purchase taxes of the rates Amazon gives for ``line``
        (none for a zero rate or a rate Odoo has no tax of)."""
        Tax = self.env["account.tax"]
        taxes = Tax
        for _country, rate in line.tax_rates:
            if not rate:
                continue
            found = Tax.search(
                [
                    ("company_id", "=", company.id),
                    ("type_tax_use", "=", "purchase"),
                    ("amount_type", "=", "percent"),
                    ("amount", "=", float(rate)),
                ]
            ).filtered(lambda tax: not tax.price_include)
            taxes |= found[:1]
        return taxes


def _aware(moment):
    """Odoo's naive UTC datetime as the aware one the adapter takes."""
    return moment.replace(tzinfo=UTC)
