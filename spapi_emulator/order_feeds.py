"""Order feeds (Feeds API 2021-06-30): POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA,
with which a seller cancels orders it will not ship.

Sources (Amazon's developer documentation; no OpenAPI model describes it):
- "Order Feed Type Values": the Flat File Order Acknowledgement feed "Cancels
  multiple orders at the same time." ("This feed does not acknowledge
  orders."); its attributes: ``order-id``, ``amazon-order-item-code``,
  ``cancellation-reason-code``.
- The order acknowledgement's ``CancelReason``, whose values the flat file's
  ``cancellation-reason-code`` takes (CANCEL_REASONS).
- Orders 2026-01-01: an item's ``cancellation.cancellationExecution``, "Details
  of how the cancellation was executed", ``cancelledBy`` "BUYER, MERCHANT,
  AMAZON", and its ``cancelReason``: what searchOrders and getOrder show.

Amazon reads a flat file row by row and answers in the feed's processing
report (the tab-separated "Feed Processing Summary", as for the VAT invoice
feed): a row it cannot apply is an error line naming the row and why; the
others are applied. The emulator refuses, as Amazon does, what a seller
cannot cancel: an order or item unknown to the seller, an order fulfilled by
Amazon, an order with any unit shipped (a cancellation of such an order would
refund all of it), an order already cancelled. It asks for every row's item
code (the connector names the items it cancels). Its error codes are its own:
the connector reads the messages.
"""

from .common import utcnow

FEED_TYPE = "POST_FLAT_FILE_ORDER_ACKNOWLEDGEMENT_DATA"
COLUMNS = ("order-id", "amazon-order-item-code", "cancellation-reason-code")
CANCEL_REASONS = (
    "NoInventory",
    "ShippingAddressUndeliverable",
    "CustomerExchange",
    "BuyerCanceled",
    "GeneralAdjustment",
    "CarrierCreditDecision",
    "RiskAssessmentInformationNotValid",
    "CarrierCoverageFailure",
    "CustomerReturn",
    "MerchandiseNotReceived",
)


def process_order_cancellation_feed(store, feed, content):
    """Apply a cancellation file: (processing report text, final status). A
    document that is no tab-separated file with the feed's columns aborts
    the feed (FATAL, with a report saying why)."""
    try:
        lines = content.decode("utf-8").replace("\r\n", "\n").split("\n")
    except UnicodeDecodeError:
        return _report(0, [("0", "", "FileNotReadable", "The file is not UTF-8 text.")]), "FATAL"
    header = lines[0].split("\t") if lines else []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        message = f"The file has no {', '.join(missing)} column."
        return _report(0, [("0", "", "MissingColumn", message)]), "FATAL"
    rows = [line.split("\t") for line in lines[1:] if line.strip()]
    errors, cancelled = [], {}
    for number, cells in enumerate(rows, start=1):
        row = dict(zip(header, cells, strict=False))
        error = _check_row(store, feed.seller_id, row, len(cells) == len(header))
        if error:
            errors.append((str(number), row.get("order-id", ""), *error))
        else:
            cancelled.setdefault(row["order-id"], []).append(row)
    for order_id, order_rows in cancelled.items():
        _cancel(store, store.orders[order_id], order_rows)
    return _report(len(rows), errors), "DONE"


def _check_row(store, seller_id, row, complete):
    """(code, message) of a row Amazon refuses, or None."""
    if not complete:
        return "InvalidRow", "The row does not have one value per column."
    order_id = row.get("order-id", "").strip()
    item_code = row.get("amazon-order-item-code", "").strip()
    reason = row.get("cancellation-reason-code", "").strip()
    if not order_id or not item_code or not reason:
        return (
            "MissingValue",
            "order-id, amazon-order-item-code and cancellation-reason-code are required.",
        )
    if reason not in CANCEL_REASONS:
        return "InvalidReason", f"{reason!r} is not a cancellation reason code."
    order = store.orders.get(order_id)
    if order is None or order.seller_id != seller_id:
        return "OrderNotFound", f"Order {order_id} was not found."
    if order.fulfilled_by == "AMAZON":
        return "FulfilledByAmazon", f"Order {order_id} is fulfilled by Amazon."
    if order.status == "CANCELLED":
        return "AlreadyCancelled", f"Order {order_id} is already cancelled."
    if any(item.quantity_shipped for item in order.items):
        return "Shipped", f"Order {order_id} has shipped items: it cannot be cancelled."
    item = next((i for i in order.items if i.order_item_id == item_code), None)
    if item is None:
        return "ItemNotFound", f"Order {order_id} has no item {item_code}."
    if item.cancelled_by:
        return "AlreadyCancelled", f"Item {item_code} of order {order_id} is already cancelled."
    return None


def _cancel(store, order, rows):
    """The rows' items cancelled by the seller; the order too once no item is
    left. Amazon puts the units back on sale for every reason but NoInventory
    (the seller said it has none): the listing's quantity in the order's
    marketplace grows by them (issue #35; the seller's own push then sets it
    to what the seller has, as always)."""
    by_code = {item.order_item_id: item for item in order.items}
    for row in rows:
        item = by_code[row["amazon-order-item-code"].strip()]
        item.cancelled_by = "MERCHANT"
        item.cancel_reason = row["cancellation-reason-code"].strip()
        listing = store.listings.get((order.seller_id, item.sku))
        offer = listing.offers.get(order.marketplace_id) if listing else None
        if offer is not None and item.cancel_reason != "NoInventory":
            offer.quantity += item.quantity
    if all(item.cancelled_by for item in order.items):
        order.status = "CANCELLED"
    order.last_updated_time = utcnow()
    store.order_changed(order, reason="Seller cancelled")


def _report(processed, errors):
    lines = [
        "Feed Processing Summary:",
        f"\tNumber of records processed\t\t{processed}",
        f"\tNumber of records successful\t\t{processed - len(errors)}",
        "",
    ]
    if errors:
        lines.append("original-record-number\torder-id\terror-code\terror-type\terror-message")
        lines += [
            f"{number}\t{order_id}\t{code}\tError\t{message}"
            for number, order_id, code, message in errors
        ]
    return ("\n".join(lines) + "\n").encode()
