"""Checks of Amazon's values before Odoo sees them.

Amazon's data is not always what its models promise: a field of another type,
an array item that is not an object, an amount that is not a finite number, a
control character in a name, a string longer than a database index holds. Each
helper takes the value and its path in the payload (``orderItems[1].product.
sellerSku``) and returns the value in the type the mappers work with, or raises
:class:`PayloadError` naming the path, which the flow records as the unit's
failure while the rest of the page goes on.
"""

import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation


class PayloadError(ValueError):
    """A payload (an order, a report row, a transaction...) is not usable as it is."""


# Identifiers (order, item, marketplace ids, SKUs...) and short texts (names,
# address lines, emails) go into indexed columns: PostgreSQL's btree refuses an
# entry over about 2,700 bytes, and 255 characters of UTF-8 stay below that.
ID_LENGTH = 100
SHORT_LENGTH = 255
# Titles and messages go into text columns without an index.
LONG_LENGTH = 5000
# Odoo keeps amounts in floats: beyond 10^11, a float no longer holds every
# cent of an amount exactly (2^53 is about 9 * 10^15 cents).
MAX_AMOUNT = Decimal(10) ** 11

# C0 controls and DEL; tab, line feed and carriage return only where a text may
# have several lines (a gift message).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def obj(value, path):
    """An object ({} when absent)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{path} is not an object: {_show(value)}")
    return value


def array(value, path):
    """An array ([] when absent)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{path} is not an array: {_show(value)}")
    return value


def objects(value, path):
    """An array of objects: each item is checked, as ``path[i]``."""
    return [obj(item, f"{path}[{index}]") for index, item in enumerate(array(value, path))]


def text(value, path, limit=SHORT_LENGTH, multiline=False):
    """A string ("" when absent), without control characters, at most ``limit`` long."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{path} is not a string: {_show(value)}")
    if len(value) > limit:
        raise PayloadError(f"{path} is {len(value)} characters long, more than {limit}")
    if (_CONTROL_MULTILINE if multiline else _CONTROL).search(value):
        raise PayloadError(f"{path} contains a control character: {_show(value)}")
    return value


def identifier(value, path):
    """A required identifier: a non-empty string of at most ID_LENGTH characters."""
    value = text(value, path, limit=ID_LENGTH).strip()
    if not value:
        raise PayloadError(f"{path} is missing")
    return value


def integer(value, path, minimum=None, maximum=None):
    """An integer (a JSON number without fraction; never a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{path} is not an integer: {_show(value)}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise PayloadError(f"{path} is {value}, outside {minimum}..{maximum}")
    return value


def decimal(value, path):
    """A finite amount within MAX_AMOUNT, from Amazon's Decimal (a string, by
    the models) or a JSON number."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(f"{path} is not a number: {_show(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise PayloadError(f"{path} is not a finite number: {value!r}")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise PayloadError(f"{path} is not a number: {_show(value)}") from None
    if not amount.is_finite():
        raise PayloadError(f"{path} is not a finite number: {_show(value)}")
    if abs(amount) >= MAX_AMOUNT:
        raise PayloadError(f"{path} is out of range: {_show(value)}")
    return amount


def moment(value, path):
    """An ISO 8601 date-time as naive UTC (Odoo's), None when absent."""
    value = text(value, path, limit=40)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{path} is not a date-time: {_show(value)}") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def safe_text(value, default, limit=ID_LENGTH):
    """``value`` when it is a text Odoo can store and index, else ``default``:
    what names a record kept because its data could not be read."""
    try:
        return text(value, "value", limit=limit).strip() or default
    except PayloadError:
        return default


def _show(value, limit=60):
    """The value as the reason shows it: short, and printable."""
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[:limit]}..."
