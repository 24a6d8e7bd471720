"""Finances API 2024-06-19 transactions into plain values.

Plain functions, no Odoo. A transaction is one movement of money on the
seller's Amazon account (an order's payment, a refund, a fee, a reserve):
its total, its breakdowns, the items it is about (SKU, quantity, their own
breakdowns) and the identifiers tying it to an order, a refund and the payout
(financial event group) it belongs to. Amounts are Decimals with the seller's
sign: money in positive, out negative.

Breakdowns nest (Amazon's own example: ``Sales`` > ``Product Charges``, and
an item's ``Product Charges`` > ``Principle``); each is kept as its leaves,
with the top-level type they belong to. The transaction's breakdowns and its
items' describe the same money (the example: a 10 USD order whose item and
transaction both break down into 10 USD of product charges): what is booked
per SKU is the items' (``booked_lines``), all of it the transaction's
(``summary_lines``).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from . import checks
from .checks import PayloadError


@dataclass(frozen=True)
class Breakdown:
    """A leaf of a breakdown tree: ``kind`` is its top-level type, ``detail``
    its own (the same when it has no children)."""

    kind: str
    detail: str
    amount: Decimal


def by_kind(breakdowns):
    """{top-level type: Decimal} of :class:`Breakdown` leaves."""
    totals = {}
    for leaf in breakdowns:
        totals[leaf.kind] = totals.get(leaf.kind, Decimal("0")) + leaf.amount
    return totals


@dataclass(frozen=True)
class TransactionItem:
    sku: str
    quantity: int
    total: Decimal
    breakdowns: tuple  # (Breakdown, ...)
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
    shipment_ref: str = ""  # SHIPMENT_ID (a Buy Shipping label's charge names its shipment)
    breakdowns: tuple = ()  # (Breakdown, ...) of the transaction itself
    items: tuple = ()


def _amount(value, what):
    """(currency, Decimal) of a Currency object."""
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is missing")
    amount = checks.decimal(value.get("currencyAmount"), f"{what}.currencyAmount")
    currency = checks.text(value.get("currencyCode"), f"{what}.currencyCode", checks.ID_LENGTH)
    return currency, amount


def _entries(entries, what):
    # The model says an array; Amazon's own example nests it in an object.
    if isinstance(entries, dict):
        entries = entries.get("breakdowns")
    if entries and not isinstance(entries, list):
        raise PayloadError(f"the breakdowns of {what} are not a list")
    for entry in entries or ():
        if not isinstance(entry, dict):
            raise PayloadError(f"a breakdown of {what} is not an object")
        yield entry


def _leaves(entry, top, what):
    """The leaves under ``entry`` (itself when it has none); what its children
    leave of its amount is a leaf of its own type."""
    kind = checks.text(entry.get("breakdownType"), f"{what} breakdownType") or "Other"
    _currency, amount = _amount(entry.get("breakdownAmount"), f"{what} {kind}")
    children = list(_entries(entry.get("breakdowns"), what))
    if not children:
        return [Breakdown(top or kind, kind, amount)]
    leaves = []
    for child in children:
        leaves += _leaves(child, top or kind, what)
    rest = amount - sum((leaf.amount for leaf in leaves), Decimal("0"))
    if rest:
        leaves.append(Breakdown(top or kind, kind, rest))
    return leaves


def _breakdowns(entries, what):
    """(Breakdown, ...) of a breakdowns array: its leaves."""
    leaves = []
    for entry in _entries(entries, what):
        leaves += _leaves(entry, None, what)
    return tuple(leaves)


def _related(entries, name_key, value_key, what):
    """{name: value} of related identifiers: both texts Odoo can index."""
    related = {}
    for index, entry in enumerate(checks.objects(entries, what)):
        name = checks.text(entry.get(name_key), f"{what}[{index}].{name_key}", checks.ID_LENGTH)
        if name:
            value = entry.get(value_key)
            related[name] = checks.text(value, f"{what}[{index}].{value_key}", checks.ID_LENGTH)
    return related


def parse_transaction(data):
    """:class:`FinanceTransaction` of a listTransactions Transaction. Every
    value Odoo stores is checked first (mapping/checks.py): a transaction
    Amazon sent broken is that transaction's :class:`PayloadError`."""
    if not isinstance(data, dict) or not data.get("transactionId"):
        raise PayloadError("the transaction has no transactionId")
    ref = checks.identifier(data["transactionId"], "transactionId")
    currency, total = _amount(data.get("totalAmount"), f"totalAmount of {ref}")
    posted = data.get("postedDate")
    try:
        posted = datetime.fromisoformat(checks.text(posted, "postedDate").replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"postedDate of {ref} is not a date") from None
    if posted.tzinfo is not None:
        posted = posted.astimezone(UTC).replace(tzinfo=None)
    related = _related(
        data.get("relatedIdentifiers"),
        "relatedIdentifierName",
        "relatedIdentifierValue",
        "relatedIdentifiers",
    )
    items = []
    for index, item in enumerate(checks.objects(data.get("items"), "items")):
        path = f"items[{index}]"
        product = next(
            (
                context
                for context in checks.objects(item.get("contexts"), f"{path}.contexts")
                if context.get("contextType") == "ProductContext"
            ),
            {},
        )
        _c, item_total = _amount(item.get("totalAmount"), f"{path}.totalAmount")
        item_related = _related(
            item.get("relatedIdentifiers"),
            "itemRelatedIdentifierName",
            "itemRelatedIdentifierValue",
            f"{path}.relatedIdentifiers",
        )
        quantity = product.get("quantityShipped")
        items.append(
            TransactionItem(
                sku=checks.text(product.get("sku"), f"{path}.sku", checks.ID_LENGTH),
                quantity=0 if quantity is None else checks.integer(quantity, f"{path}.quantity"),
                total=item_total,
                breakdowns=_breakdowns(item.get("breakdowns"), path),
                adjustment_ref=item_related.get("ORDER_ADJUSTMENT_ITEM_ID") or "",
            )
        )
    details = checks.obj(data.get("marketplaceDetails"), "marketplaceDetails")
    metadata = checks.obj(data.get("sellingPartnerMetadata"), "sellingPartnerMetadata")
    marketplace = details.get("marketplaceId") or metadata.get("marketplaceId")
    return FinanceTransaction(
        ref=ref,
        kind=checks.text(data.get("transactionType"), "transactionType", checks.ID_LENGTH),
        status=checks.text(data.get("transactionStatus"), "transactionStatus", checks.ID_LENGTH),
        description=checks.text(data.get("description"), "description"),
        posted=posted,
        marketplace_ref=checks.text(marketplace, "marketplaceId", checks.ID_LENGTH),
        currency=currency,
        total=total,
        order_ref=related.get("ORDER_ID") or "",
        group_ref=related.get("FINANCIAL_EVENT_GROUP_ID") or "",
        refund_ref=related.get("REFUND_ID") or "",
        shipment_ref=related.get("SHIPMENT_ID") or "",
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


def type_key(name):
    """A breakdown type compared loosely: Amazon writes ``ProductCharges`` and
    ``Product Charges``."""
    return re.sub(r"[^a-z]", "", (name or "").lower())


@dataclass(frozen=True)
class MoneyLine:
    """A stored breakdown leaf of a transaction (what Odoo keeps of it)."""

    sku: str
    quantity: int
    kind: str  # top-level type
    detail: str  # leaf type
    amount: Decimal
    item_level: bool  # an item's breakdown, not the transaction's


def booked_lines(lines):
    """The lines that tell the transaction's money per item: its items' when
    it has some, else its own (both describe the same money)."""
    items = [line for line in lines if line.item_level]
    return items or [line for line in lines if not line.item_level]


def summary_lines(lines):
    """The lines that tell all of the transaction's money: its own breakdowns
    ("how the total amount is calculated for the transaction") when it has
    some, else its items'."""
    own = [line for line in lines if not line.item_level]
    return own or [line for line in lines if line.item_level]


# What the buyer paid or got back, by breakdown type (compared by type_key):
# the parts an invoice or a credit note holds. Every other type (Amazon's fees,
# its refund administration fee, reserves) is between Amazon and the seller.
CUSTOMER_PARTS = {
    "productcharges": "product",
    "principal": "product",
    "principle": "product",  # sic, in Amazon's own example
    "tax": "product_tax",
    "itemtax": "product_tax",
    "producttax": "product_tax",
    "shippingcharges": "shipping",
    "shippingcharge": "shipping",
    "shipping": "shipping",
    "shippingtax": "shipping_tax",
    "giftwrap": "giftwrap",
    "giftwrapcharges": "giftwrap",
    "giftwrapcharge": "giftwrap",
    "giftwraptax": "giftwrap_tax",
    "promotion": "promotion",
    "promotions": "promotion",
    "promotiondiscount": "promotion",
}


def customer_part(line):
    """The part of the buyer's money ``line`` is (product, product_tax,
    shipping, shipping_tax, giftwrap, giftwrap_tax, promotion), the tax Amazon
    withholds as marketplace facilitator ("withheld": the buyer's tax, paid on
    by Amazon), or None (Amazon's and the seller's business)."""
    detail, kind = type_key(line.detail), type_key(line.kind)
    if detail.startswith("marketplacefacilitator") or kind.startswith("marketplacefacilitator"):
        return "withheld"
    top = CUSTOMER_PARTS.get(kind)
    leaf = CUSTOMER_PARTS.get(detail)
    if leaf == "product_tax" and top in ("shipping", "giftwrap"):
        return f"{top}_tax"  # the tax of the shipping, under Shipping Charges
    return leaf or top


def is_reserve(line):
    return "reserve" in type_key(line.detail) or "reserve" in type_key(line.kind)


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
    """[:class:`RefundedItem`] of a refund's :class:`MoneyLine` list, in their
    order: one per SKU, the parts a credit note reverses added up. Lines
    without a SKU are the first SKU's, or ``""``'s when there is none."""
    lines = booked_lines(lines)
    items = {}
    first_sku = next((line.sku for line in lines if line.sku), "")
    for line in lines:
        part = customer_part(line)
        if part in (None, "withheld"):
            continue
        entry = items.setdefault(line.sku or first_sku, {"quantity": 0, "parts": {}})
        entry["quantity"] = max(entry["quantity"], int(line.quantity or 0))
        # The seller's sign turned into the buyer's: money back is positive.
        amount = Decimal(str(line.amount))
        entry["parts"][part] = entry["parts"].get(part, Decimal("0")) - amount
    return [
        RefundedItem(sku=sku, quantity=entry["quantity"], parts=entry["parts"])
        for sku, entry in items.items()
        if any(entry["parts"].values())
    ]


def label_charge(charge, labels):
    """The Buy Shipping label whose charge (or refund) ``charge`` is, as
    (shipment id, "billing" or "refund"), else None. ``charge``: {kind,
    description, total, order_ref, shipment_ref} of a transaction; ``labels``:
    (shipment id, order id, price, the kinds still awaited: "billing",
    "refund") of the labels Odoo bought. financesV0's AdjustmentType:
    "PostageBilling: The amount paid by a seller for shipping labels",
    "PostageRefund: The reimbursement of shipping labels". Its shipment names
    the label (SHIPMENT_ID); without it, a postage transaction of the label's
    order. Only the label's exact price matches: anything else (a carrier's
    adjustment) is a charge of its own."""
    total = Decimal(str(charge["total"]))
    postage = "postage" in f"{charge['kind']} {charge['description']}".lower()
    kind = "billing" if total < 0 else "refund"
    for shipment_ref, order_ref, price, awaited in labels:
        if charge["shipment_ref"]:
            if charge["shipment_ref"] != shipment_ref:
                continue
        elif not (postage and charge["order_ref"] == order_ref):
            continue
        if kind in awaited and abs(total) == Decimal(str(price)):
            return shipment_ref, kind
    return None
