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
