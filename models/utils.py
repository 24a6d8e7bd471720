"""Small helpers shared by the sync code."""

import re
import threading

from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# Amazon's codes people read, in their words (translated); any other code is
# spelled out from its own parts ("SERVICE_FEE", "ServiceFee": "Service Fee").
AMAZON_LABELS = {
    # Orders API 2026-01-01, fulfillmentStatus
    "PENDING": _lt("Pending"),
    "UNSHIPPED": _lt("Unshipped"),
    "PARTIALLY_SHIPPED": _lt("Partially Shipped"),
    "SHIPPED": _lt("Shipped"),
    "CANCELLED": _lt("Cancelled"),
    # Finances 2024-06-19, transactionType and transactionStatus
    "Shipment": _lt("Sale"),
    "Refund": _lt("Refund"),
    "ServiceFee": _lt("Service Fee"),
    "Reserve": _lt("Reserve"),
    "Adjustment": _lt("Adjustment"),
    "Transfer": _lt("Transfer to the Bank"),
    "DEFERRED": _lt("Deferred"),
    "RELEASED": _lt("Released"),
    "DEFERRED_RELEASED": _lt("Released After Deferral"),
}


def amazon_label(code, lang=""):
    """What a person reads for one of Amazon's codes, in ``lang``."""
    if not code:
        return ""
    if code in AMAZON_LABELS:
        return AMAZON_LABELS[code]._translate(lang or "en_US")
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", code.replace("_", " ")).split()
    return " ".join(word.capitalize() if word.isupper() else word for word in words)


def is_testing():
    """Tests run in one transaction that must never be committed."""
    return getattr(threading.current_thread(), "testing", False)


def commit(cr):
    """Make progress durable: a later failure must not undo what Amazon already
    knows (or what was already imported). Tests rely on savepoints instead."""
    if not is_testing():
        cr.commit()


def rollback(cr):
    """Undo a broken transaction back to the last commit (tests: nothing, their
    savepoints do it)."""
    if not is_testing():
        cr.rollback()
