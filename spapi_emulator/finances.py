"""The seller's money as Finances API 2024-06-19 ``listTransactions`` tells it.

A transaction is one movement of money on the seller's Amazon account: an
order's payment (``Shipment``), a refund (``Refund``), a fee, a reserve. Its
``totalAmount`` is the sum of its breakdowns (``ProductCharges``, ``Tax``,
``AmazonFees``...); an item carries the SKU and quantity it is about
(``ProductContext``). Signs are the seller's: money in positive, out negative.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from .common import Api, StoreError, aware, invalid, isoformat, money, parse_iso8601, route, utcnow
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
    shipment_id: str = ""  # SHIPMENT_ID: a Buy Shipping label's charge
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
            ("SHIPMENT_ID", transaction.shipment_id),
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


# listTransactions. The page size is not in the model; nextToken comes "when the
# number of results exceeds the specified pageSize value".
TRANSACTIONS_PAGE_SIZE = 100
TRANSACTIONS_LAG = timedelta(minutes=2)  # "more than two minutes before the time of the request"
TRANSACTIONS_MAX_RANGE = timedelta(days=180)  # "more than 180 days apart, the response is empty"
TRANSACTION_FILTERS = ("FINANCIAL_EVENT_GROUP_ID", "ORDER_ID")
# listFinancialEventGroups: the same two-minute and 180-day bounds (Finances v0).
EVENT_GROUPS_LAG = timedelta(minutes=2)
EVENT_GROUPS_MAX_RANGE = timedelta(days=180)


class FinancesStore:
    """The sellers' transactions and payouts."""

    def __init__(self):
        super().__init__()
        self.transactions = []  # Finances 2024-06-19 Transaction
        self.transaction_pages = {}  # listTransactions nextToken -> TokenPages
        # "Note that this operation can return empty pages": when set, each
        # listing serves an empty page (with its nextToken) before its last one.
        self.transaction_empty_pages = False
        self._transaction_seq = 0
        self.event_groups = []  # Finances v0 FinancialEventGroup: the payouts
        self.event_group_pages = {}  # listFinancialEventGroups NextToken -> TokenPages

    def add_transaction(
        self,
        seller_id,
        marketplace_id,
        transaction_type,
        *,
        posted=None,
        items=(),
        breakdowns=(),
        **details,
    ):
        """A movement of money on the seller's account. ``items``: dicts with
        sku, quantity and breakdowns [(type, amount)]; ``breakdowns``: the
        transaction's own [(type, amount)]; ``details``: order_id, group_id,
        refund_id, status, description, currency (default: the marketplace's)."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        if marketplace_id not in MARKETPLACES:
            raise StoreError(f"unknown marketplace {marketplace_id}")
        with self.lock:
            self._transaction_seq += 1
            details.setdefault("currency", MARKETPLACES[marketplace_id].currency)
            transaction = Transaction(
                seller_id=seller_id,
                transaction_id=f"TX-{self._transaction_seq:08d}",
                transaction_type=transaction_type,
                marketplace_id=marketplace_id,
                posted=aware(posted) or utcnow(),
                items=[
                    TransactionItem(
                        item["sku"],
                        item.get("quantity", 1),
                        [(kind, money(amount)) for kind, amount in item["breakdowns"]],
                        item.get("adjustment_id", ""),
                    )
                    for item in items
                ],
                breakdowns=[(kind, money(amount)) for kind, amount in breakdowns],
                **details,
            )
            self.transactions.append(transaction)
            return transaction

    def open_group_id(self, seller_id, currency):
        """The seller's open payout of ``currency`` (where new money goes), or ''."""
        for group in self.event_groups:
            if (group.seller_id, group.currency, group.processing_status) == (
                seller_id,
                currency,
                "Open",
            ):
                return group.group_id
        return ""

    def charge_postage(self, label, marketplace_id, refund=False):
        """Amazon charges a Buy Shipping label to the seller's account, and pays
        it back when the label is cancelled. financesV0 AdjustmentType:
        "PostageBilling: The amount paid by a seller for shipping labels.";
        "PostageRefund: The reimbursement of shipping labels purchased for
        orders that were canceled or refunded." The 2024-06-19 model names a
        transaction's shipment: RelatedIdentifier SHIPMENT_ID. The emulator's
        own: those type names as transactionType, and the money in the
        seller's open payout of its currency."""
        kind = "PostageRefund" if refund else "PostageBilling"
        currency = label.total_charge["unit"]
        amount = money(str(label.total_charge["value"])) * (1 if refund else -1)
        return self.add_transaction(
            label.seller_id,
            marketplace_id,
            kind,
            breakdowns=[(kind, amount)],
            order_id=label.order_id,
            shipment_id=label.shipment_id,
            group_id=self.open_group_id(label.seller_id, currency),
            currency=currency,
        )

    def add_event_group(self, seller_id, group_id, currency, start, **details):
        """A payout period; ``details``: end, processing_status ("Open",
        "Closed"), fund_transfer_status, transfer_date, trace_id,
        account_tail, beginning_balance. Its total is its transactions' sum
        (those whose group_id is ``group_id``) plus the beginning balance."""
        if seller_id not in self.sellers:
            raise StoreError(f"unknown seller {seller_id}")
        for moment in ("end", "transfer_date"):
            if details.get(moment):
                details[moment] = aware(details[moment])
        if "beginning_balance" in details:
            details["beginning_balance"] = money(details["beginning_balance"])
        with self.lock:
            group = EventGroup(seller_id, group_id, currency, aware(start), **details)
            self.event_groups.append(group)
            return group

    def event_group_total(self, group):
        with self.lock:
            return sum(
                (
                    tx.total
                    for tx in self.transactions
                    if tx.seller_id == group.seller_id and tx.group_id == group.group_id
                ),
                Decimal("0"),
            )


class FinancesApi(Api):
    """listTransactions (Finances 2024-06-19) and listFinancialEventGroups (Finances v0)."""

    routes = [
        route("GET", "/finances/2024-06-19/transactions", "listTransactions", "list_transactions"),
        route(
            "GET",
            "/finances/v0/financialEventGroups",
            "listFinancialEventGroups",
            "list_financial_event_groups",
        ),
    ]

    def op_list_transactions(self, call, params, body):
        store = self.emulator.store
        bound, rest = self._resumed_pages(call, params, "nextToken", store.transaction_pages)
        if rest is not None:
            return self._transactions_page(call, bound, rest)
        now = utcnow()
        name, value = params.get("relatedIdentifierName"), params.get("relatedIdentifierValue")
        if bool(name) != bool(value):
            raise invalid("relatedIdentifierName and relatedIdentifierValue go together.")
        # "FINANCIAL_EVENT_GROUP_ID and ORDER_ID are the only relatedIdentifier with
        # filtering capabilities at the moment. [...] they cannot be used for
        # filtering purposes."
        if name and name not in TRANSACTION_FILTERS:
            raise invalid(f"relatedIdentifierName {name!r} cannot be used for filtering.")
        # postedAfter: "This field is required if you do not specify a related identifier."
        if not params.get("postedAfter") and not name:
            raise invalid("postedAfter is required without a related identifier.")
        after = (
            parse_iso8601("postedAfter", params["postedAfter"])
            if params.get("postedAfter")
            else None
        )
        # "The date-time must be more than two minutes before the time of the request."
        if after and after > now - TRANSACTIONS_LAG:
            raise invalid("postedAfter must be more than two minutes before the request.")
        # postedBefore: "must be later than PostedAfter and more than two minutes
        # before the request was submitted. [...] Default: Two minutes before the
        # time of the request."
        before = now - TRANSACTIONS_LAG
        if params.get("postedBefore"):
            before = parse_iso8601("postedBefore", params["postedBefore"])
            if before > now - TRANSACTIONS_LAG:
                raise invalid("postedBefore must be more than two minutes before the request.")
            if after and before <= after:
                raise invalid("postedBefore must be later than postedAfter.")
        # "If PostedAfter and PostedBefore are more than 180 days apart, the
        # response is empty."
        if after and before - after > TRANSACTIONS_MAX_RANGE:
            return 200, {"payload": {"transactions": []}}
        with store.lock:
            found = [
                index
                for index, tx in enumerate(store.transactions)
                if tx.seller_id == call.seller_id
                and (after is None or tx.posted >= after)
                and tx.posted < before
                and (
                    not params.get("marketplaceId") or tx.marketplace_id == params["marketplaceId"]
                )
                and (
                    not params.get("transactionStatus") or tx.status == params["transactionStatus"]
                )
                and (
                    not name
                    or (name == "ORDER_ID" and tx.order_id == value)
                    or (name == "FINANCIAL_EVENT_GROUP_ID" and tx.group_id == value)
                )
            ]
        found.sort(key=lambda index: store.transactions[index].posted)
        pages = [
            found[start : start + TRANSACTIONS_PAGE_SIZE]
            for start in range(0, len(found), TRANSACTIONS_PAGE_SIZE)
        ] or [[]]
        if store.transaction_empty_pages and len(pages) > 1:
            pages.insert(-1, [])  # "Note that this operation can return empty pages."
        return self._transactions_page(call, bound, pages)

    # --- Finances v0: the payouts -------------------------------------------------
    def op_list_financial_event_groups(self, call, params, body):
        store = self.emulator.store
        bound, rest = self._resumed_pages(call, params, "NextToken", store.event_group_pages)
        if rest is not None:
            return self._event_groups_page(call, bound, rest)
        now = utcnow()
        after = before = None
        if params.get("FinancialEventGroupStartedAfter"):
            after = parse_iso8601(
                "FinancialEventGroupStartedAfter", params["FinancialEventGroupStartedAfter"]
            )
            # "The date-time must be more than two minutes before you submit the request."
            if after > now - EVENT_GROUPS_LAG:
                raise invalid(
                    "FinancialEventGroupStartedAfter must be more than two minutes "
                    "before the request."
                )
        if params.get("FinancialEventGroupStartedBefore"):
            before = parse_iso8601(
                "FinancialEventGroupStartedBefore", params["FinancialEventGroupStartedBefore"]
            )
            # "The date-time must be after FinancialEventGroupStartedAfter and more
            # than two minutes before the time of request."
            if before > now - EVENT_GROUPS_LAG:
                raise invalid(
                    "FinancialEventGroupStartedBefore must be more than two minutes "
                    "before the request."
                )
            if after and before <= after:
                raise invalid(
                    "FinancialEventGroupStartedBefore must be after "
                    "FinancialEventGroupStartedAfter."
                )
            # "If FinancialEventGroupStartedAfter and FinancialEventGroupStartedBefore
            # are more than 180 days apart, no financial event groups are returned."
            if after and before - after > EVENT_GROUPS_MAX_RANGE:
                return 200, {"payload": {"FinancialEventGroupList": []}}
        # MaxResultsPerPage: "minimum": 1, "maximum": 100, "default": 10 (the
        # model's bounds are checked before this handler).
        size = int(params.get("MaxResultsPerPage") or 10)
        with store.lock:
            found = [
                index
                for index, group in enumerate(store.event_groups)
                if group.seller_id == call.seller_id
                and (after is None or group.start >= after)
                and (before is None or group.start < before)
            ]
        found.sort(key=lambda index: store.event_groups[index].start)
        pages = [found[start : start + size] for start in range(0, len(found), size)] or [[]]
        if store.transaction_empty_pages and len(pages) > 1:
            pages.insert(-1, [])  # "Note that this operation can return empty pages."
        return self._event_groups_page(call, bound, pages)

    def _event_groups_page(self, call, bound, pages):
        store = self.emulator.store
        page, token = self._first_page(call, bound, pages, store.event_group_pages)
        groups = [store.event_groups[i] for i in page]
        rendered = [
            render_event_group(group, store.event_group_total(group), isoformat) for group in groups
        ]
        payload = {"FinancialEventGroupList": rendered}
        if token:
            payload["NextToken"] = token
        return 200, {"payload": payload}

    def _transactions_page(self, call, bound, pages):
        """The first of ``pages`` (lists of indexes in store.transactions); a
        nextToken stands for the others."""
        store = self.emulator.store
        page, token = self._first_page(call, bound, pages, store.transaction_pages)
        with store.lock:
            transactions = [render_transaction(store.transactions[i], isoformat) for i in page]
            if any(store.transactions[i].corruptions for i in page):
                call.fault = "corrupted"  # a test's, outside the models on purpose
        payload = {"transactions": transactions}
        if token:
            payload["nextToken"] = token
        return 200, {"payload": payload}
