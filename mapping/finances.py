"""Finances API 2024-06-19 transactions into plain values.

Plain functions, no Odoo. A transaction is one movement of money on the
seller's Amazon account (an order's payment, a refund, a fee, a reserve):
its total, its breakdowns by type (``ProductCharges``, ``Tax``,
``AmazonFees``...; nested breakdowns summed into their parent), the items it
is about (SKU, quantity) and the identifiers tying it to an order, a refund
and the payout (financial event group) it belongs to. Amounts are Decimals
with the seller's sign: money in positive, out negative.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from .orders import PayloadError


@dataclass(frozen=True)
class TransactionItem:
    sku: str
    quantity: int
    total: Decimal
    breakdowns: dict  # {breakdownType: Decimal}
    adjustment_ref: str = ""  # ORDER_ADJUSTMENT_ITEM_ID (refunds)


@dataclass(frozen=True)
class FinanceTransaction:
    ref: str
    kind: str  # transactionType: Shipment, Refund, ...
    status: str
    description: str
    posted: datetime  # naive UTC
    marketplace_ref: str
    currency: str
    total: Decimal
    order_ref: str = ""
    group_ref: str = ""  # FINANCIAL_EVENT_GROUP_ID: the payout
    refund_ref: str = ""
    breakdowns: dict = field(default_factory=dict)
    items: tuple = ()


def _amount(value, what):
    """(currency, Decimal) of a Currency object."""
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is missing")
    try:
        amount = Decimal(str(value.get("currencyAmount")))
    except InvalidOperation:
        raise PayloadError(f"{what} is not an amount: {value!r}") from None
    if not amount.is_finite():
        raise PayloadError(f"{what} is not an amount: {value!r}")
    return value.get("currencyCode") or "", amount


def _breakdowns(entries, what):
    """{breakdownType: Decimal}, the same type added up."""
    totals = {}
    for entry in entries or ():
        kind = (entry or {}).get("breakdownType") or "Other"
        _currency, amount = _amount(entry.get("breakdownAmount"), f"{what} {kind}")
        totals[kind] = totals.get(kind, Decimal("0")) + amount
    return totals


def _related(entries, name_key, value_key):
    return {
        entry.get(name_key): entry.get(value_key)
        for entry in entries or ()
        if isinstance(entry, dict) and entry.get(name_key)
    }


def parse_transaction(data):
    """:class:`FinanceTransaction` of a listTransactions Transaction."""
    if not isinstance(data, dict) or not data.get("transactionId"):
        raise PayloadError("the transaction has no transactionId")
    ref = data["transactionId"]
    currency, total = _amount(data.get("totalAmount"), f"totalAmount of {ref}")
    try:
        posted = datetime.fromisoformat((data.get("postedDate") or "").replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"postedDate of {ref} is not a date") from None
    if posted.tzinfo is not None:
        posted = posted.astimezone(UTC).replace(tzinfo=None)
    related = _related(
        data.get("relatedIdentifiers"), "relatedIdentifierName", "relatedIdentifierValue"
    )
    items = []
    for item in data.get("items") or ():
        product = next(
            (
                context
                for context in item.get("contexts") or ()
                if context.get("contextType") == "ProductContext"
            ),
            {},
        )
        _c, item_total = _amount(item.get("totalAmount"), f"item total of {ref}")
        item_related = _related(
            item.get("relatedIdentifiers"),
            "itemRelatedIdentifierName",
            "itemRelatedIdentifierValue",
        )
        items.append(
            TransactionItem(
                sku=product.get("sku") or "",
                quantity=int(product.get("quantityShipped") or 0),
                total=item_total,
                breakdowns=_breakdowns(item.get("breakdowns"), f"item of {ref}"),
                adjustment_ref=item_related.get("ORDER_ADJUSTMENT_ITEM_ID") or "",
            )
        )
    marketplace = (data.get("marketplaceDetails") or {}).get("marketplaceId") or (
        data.get("sellingPartnerMetadata") or {}
    ).get("marketplaceId")
    return FinanceTransaction(
        ref=ref,
        kind=data.get("transactionType") or "",
        status=data.get("transactionStatus") or "",
        description=data.get("description") or "",
        posted=posted,
        marketplace_ref=marketplace or "",
        currency=currency,
        total=total,
        order_ref=related.get("ORDER_ID") or "",
        group_ref=related.get("FINANCIAL_EVENT_GROUP_ID") or "",
        refund_ref=related.get("REFUND_ID") or "",
        breakdowns=_breakdowns(data.get("breakdowns"), f"transaction {ref}"),
        items=tuple(items),
    )


@dataclass(frozen=True)
class EventGroup:
    """A financial event group (Finances v0): the period one payout settles."""

    ref: str
    closed: bool  # ProcessingStatus Closed: "the balance [...] is settled"
    transfer_status: str
    currency: str
    total: Decimal  # closed: the disbursement (or charge); open: the current balance
    beginning_balance: Decimal
    start: datetime | None  # naive UTC
    end: datetime | None
    transfer_date: datetime | None
    trace_ref: str
    account_tail: str


def _moment(value, what):
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{what} is not a date: {value!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def parse_event_group(data):
    """:class:`EventGroup` of a listFinancialEventGroups FinancialEventGroup."""
    if not isinstance(data, dict) or not data.get("FinancialEventGroupId"):
        raise PayloadError("the financial event group has no FinancialEventGroupId")
    ref = data["FinancialEventGroupId"]
    total = data.get("OriginalTotal") or {}
    currency, amount = _amount(
        {"currencyCode": total.get("CurrencyCode"), "currencyAmount": total.get("CurrencyAmount")},
        f"OriginalTotal of {ref}",
    )
    beginning = data.get("BeginningBalance") or {}
    _c, balance = _amount(
        {"currencyAmount": beginning.get("CurrencyAmount", 0)}, f"BeginningBalance of {ref}"
    )
    return EventGroup(
        ref=ref,
        closed=data.get("ProcessingStatus") == "Closed",
        transfer_status=data.get("FundTransferStatus") or "",
        currency=currency,
        total=amount,
        beginning_balance=balance,
        start=_moment(data.get("FinancialEventGroupStart"), f"start of {ref}"),
        end=_moment(data.get("FinancialEventGroupEnd"), f"end of {ref}"),
        transfer_date=_moment(data.get("FundTransferDate"), f"FundTransferDate of {ref}"),
        trace_ref=data.get("TraceId") or "",
        account_tail=data.get("AccountTail") or "",
    )


# What a refund gave back to the buyer, by breakdown type: the parts a credit
# note reverses. Every other type of a refund (Amazon's fees it returns, its
# refund administration fee, tax it withholds as marketplace facilitator) is
# between Amazon and the seller: the payout books it, not the credit note.
REFUND_PARTS = {
    "ProductCharges": "product",
    "Principal": "product",
    "Tax": "product_tax",
    "ShippingCharges": "shipping",
    "ShippingCharge": "shipping",
    "ShippingTax": "shipping_tax",
    "GiftWrap": "giftwrap",
    "GiftWrapCharges": "giftwrap",
    "GiftWrapTax": "giftwrap_tax",
    "Promotion": "promotion",
    "PromotionDiscount": "promotion",
}


@dataclass(frozen=True)
class RefundedItem:
    """What the buyer got back for one SKU, with the buyer's sign (a refunded
    charge positive, a promotion taken back negative)."""

    sku: str
    quantity: int
    parts: dict  # {"product" | "product_tax" | "shipping" | ...: Decimal}

    def gross(self, kind, with_tax=True):
        """The part ``kind`` (product, shipping, giftwrap) with its tax."""
        amount = self.parts.get(kind, Decimal("0"))
        if with_tax:
            amount += self.parts.get(f"{kind}_tax", Decimal("0"))
        return amount


def refunded_items(lines):
    """[:class:`RefundedItem`] of a refund's breakdown lines, given as
    (sku, quantity, breakdownType, amount) with the seller's sign, in their
    order: one per SKU, the parts the credit note reverses added up. Lines
    without a SKU (a transaction-level breakdown) are the first SKU's, or
    ``""``'s when there is none."""
    items = {}
    first_sku = next((sku for sku, _q, _t, _a in lines if sku), "")
    for sku, quantity, kind, amount in lines:
        part = REFUND_PARTS.get(kind)
        if part is None:
            continue
        entry = items.setdefault(sku or first_sku, {"quantity": 0, "parts": {}})
        entry["quantity"] = max(entry["quantity"], int(quantity or 0))
        # The seller's sign turned into the buyer's: money back is positive.
        entry["parts"][part] = entry["parts"].get(part, Decimal("0")) - Decimal(str(amount))
    return [
        RefundedItem(sku=sku, quantity=entry["quantity"], parts=entry["parts"])
        for sku, entry in items.items()
        if any(entry["parts"].values())
    ]
