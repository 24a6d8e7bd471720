"""The seller's money as Finances API 2024-06-19 ``listTransactions`` tells it.

A transaction is one movement of money on the seller's Amazon account: an
order's payment (``Shipment``), a refund (``Refund``), a fee, a reserve. Its
``totalAmount`` is the sum of its breakdowns (``ProductCharges``, ``Tax``,
``AmazonFees``...); an item carries the SKU and quantity it is about
(``ProductContext``). Signs are the seller's: money in positive, out negative.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .corruptions import corrupt
from .marketplaces import MARKETPLACES


@dataclass
class TransactionItem:
    sku: str
    quantity: int
    breakdowns: list  # [(breakdownType, Decimal)]
    adjustment_id: str = ""  # ORDER_ADJUSTMENT_ITEM_ID of refunds

    @property
    def total(self):
        return sum((amount for _kind, amount in self.breakdowns), Decimal("0"))


@dataclass
class Transaction:
    seller_id: str
    transaction_id: str
    transaction_type: str  # Shipment, Refund, ServiceFee, ...
    marketplace_id: str
    posted: datetime
    currency: str
    description: str = ""
    status: str = "RELEASED"  # DEFERRED, RELEASED, DEFERRED_RELEASED
    order_id: str = ""
    group_id: str = ""  # FINANCIAL_EVENT_GROUP_ID: the payout it belongs to
    refund_id: str = ""
    items: list = field(default_factory=list)  # [TransactionItem]
    # A fault to inject: served without its totalAmount's amount (a client must
    # keep what it cannot read, and see that a payout misses it).
    unreadable: bool = False
    # Money of the transaction no item carries [(type, Decimal)]; rendered with
    # the items' in the transaction's breakdowns.
    breakdowns: list = field(default_factory=list)
    # Not Amazon's behaviour, a test's: (path, value) pairs set in the rendered
    # transaction (as Order.corruptions), breaking what the model promises.
    corruptions: list = field(default_factory=list)

    @property
    def total(self):
        return sum((item.total for item in self.items), Decimal("0")) + sum(
            (amount for _kind, amount in self.breakdowns), Decimal("0")
        )


def _amount(value, currency):
    # BigDecimal: "A signed decimal number" (a JSON number).
    return {"currencyCode": currency, "currencyAmount": float(value)}


def _breakdowns(breakdowns, currency):
    return [
        {"breakdownType": kind, "breakdownAmount": _amount(amount, currency)}
        for kind, amount in breakdowns
    ]


def render_transaction(transaction, isoformat):
    related = [
        {"relatedIdentifierName": name, "relatedIdentifierValue": value}
        for name, value in (
            ("ORDER_ID", transaction.order_id),
            ("FINANCIAL_EVENT_GROUP_ID", transaction.group_id),
            ("REFUND_ID", transaction.refund_id),
        )
        if value
    ]
    currency = transaction.currency
    items = []
    for item in transaction.items:
        rendered = {
            "description": item.sku,
            "totalAmount": _amount(item.total, currency),
            "breakdowns": _breakdowns(item.breakdowns, currency),
            "contexts": [
                {"contextType": "ProductContext", "sku": item.sku, "quantityShipped": item.quantity}
            ],
        }
        if item.adjustment_id:
            rendered["relatedIdentifiers"] = [
                {
                    "itemRelatedIdentifierName": "ORDER_ADJUSTMENT_ITEM_ID",
                    "itemRelatedIdentifierValue": item.adjustment_id,
                }
            ]
        items.append(rendered)
    marketplace = MARKETPLACES[transaction.marketplace_id]
    data = {
        "sellingPartnerMetadata": {
            "sellingPartnerId": transaction.seller_id,
            "accountType": "Standard Orders",
            "marketplaceId": transaction.marketplace_id,
        },
        "relatedIdentifiers": related,
        "transactionType": transaction.transaction_type,
        "transactionId": transaction.transaction_id,
        "transactionStatus": transaction.status,
        "description": transaction.description or transaction.transaction_type,
        "postedDate": isoformat(transaction.posted),
        "totalAmount": (
            {"currencyCode": currency}
            if transaction.unreadable
            else _amount(transaction.total, currency)
        ),
        "marketplaceDetails": {
            "marketplaceId": transaction.marketplace_id,
            "marketplaceName": marketplace.domain[0].upper() + marketplace.domain[1:],
        },
        "items": items,
        # "breakdowns that detail how the total amount is calculated for the
        # transaction": all of its money, its items' included (Amazon's own
        # example tells the same 10 USD in the item and in the transaction).
        "breakdowns": _breakdowns(_summary(transaction), currency),
    }
    for path, value in transaction.corruptions:
        corrupt(data, path, value)
    return data


def _summary(transaction):
    """The transaction's breakdowns: its items' added up by type, then its own."""
    totals = {}
    for item in transaction.items:
        for kind, amount in item.breakdowns:
            totals[kind] = totals.get(kind, Decimal("0")) + amount
    for kind, amount in transaction.breakdowns:
        totals[kind] = totals.get(kind, Decimal("0")) + amount
    return list(totals.items())


@dataclass
class EventGroup:
    """A financial event group (Finances v0): the period whose transactions one
    disbursement pays out. ``Open`` while Amazon adds to it, then ``Closed``
    with the fund transfer."""

    seller_id: str
    group_id: str
    currency: str
    start: datetime
    end: datetime | None = None
    processing_status: str = "Open"  # Open, Closed
    fund_transfer_status: str = ""  # e.g. Succeeded, once closed
    transfer_date: datetime | None = None  # "Only present for closed settlements"
    trace_id: str = ""
    account_tail: str = ""
    beginning_balance: Decimal = Decimal("0")


def render_event_group(group, total, isoformat):
    """A FinancialEventGroup; ``total``: its transactions' sum. "For a closed
    financial group, this is the total amount of a disbursement [...]. For an
    open financial event group, this is the current balance." """
    currency = group.currency
    rendered = {
        "FinancialEventGroupId": group.group_id,
        "ProcessingStatus": group.processing_status,
        "OriginalTotal": {
            "CurrencyCode": currency,
            "CurrencyAmount": float(group.beginning_balance + total),
        },
        "ConvertedTotal": {
            "CurrencyCode": currency,
            "CurrencyAmount": float(group.beginning_balance + total),
        },
        "BeginningBalance": {
            "CurrencyCode": currency,
            "CurrencyAmount": float(group.beginning_balance),
        },
        "FinancialEventGroupStart": isoformat(group.start),
    }
    if group.fund_transfer_status:
        rendered["FundTransferStatus"] = group.fund_transfer_status
    if group.trace_id:
        rendered["TraceId"] = group.trace_id
    if group.account_tail:
        rendered["AccountTail"] = group.account_tail
    if group.end:
        rendered["FinancialEventGroupEnd"] = isoformat(group.end)
    if group.processing_status == "Closed" and group.transfer_date:
        rendered["FundTransferDate"] = isoformat(group.transfer_date)
    return rendered
