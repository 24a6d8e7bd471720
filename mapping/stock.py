"""The FBM stock push's plain functions (no Odoo): how much of a product's
free quantity each merchant-fulfilled listing offers, and what a listings
feed's processing report says."""

from . import checks
from .checks import PayloadError


def allocate(free, claims, split):
    """Quantities for one product's FBM listings in one warehouse.

    ``free``: the product's free quantity there (on hand minus reserved).
    ``claims``: ``(key, buffer, share, listings)`` per account selling it from
    that warehouse: units it keeps back, the percent of the rest it offers, and
    how many FBM listings (marketplaces) it has for the product.

    - ``split`` False ("each gets all"): every listing of an account offers
      ``(free - buffer) * share%``. Two marketplaces or two accounts may sell
      the same units: Amazon may take more orders than the stock.
    - ``split`` True: the listings together never offer more than ``free``. An
      account's part is ``(free - buffer) * share / max(100, sum of shares)``
      (shares adding up to more than 100% are scaled down), divided evenly
      between its listings, the first ones taking the remainder.

    Returns ``{key: [quantity per listing]}``, never negative, rounded down.
    """
    free = max(int(free), 0)
    total_share = max(100, sum(share for _key, _buffer, share, _count in claims))
    result = {}
    for key, buffer, share, count in claims:
        base = max(free - max(buffer, 0), 0)
        if not split:
            result[key] = [base * share // 100] * count
            continue
        part = base * share // total_share
        each, extra = divmod(part, count) if count else (0, 0)
        result[key] = [each + (1 if index < extra else 0) for index in range(count)]
    return result


def feed_report_errors(report):
    """{messageId: [reason]} of the ERROR issues of a JSON_LISTINGS_FEED
    processing report (listings-feed-processing-report-schema-v2: "issues",
    each with "messageId", "code", "message" and "severity"). A report Odoo
    cannot read raises PayloadError naming the field: its feed is then taken
    as not applied, its quantities go out again."""
    report = checks.obj(report, "report")
    errors = {}
    for index, issue in enumerate(checks.objects(report.get("issues"), "issues")):
        path = f"issues[{index}]"
        if issue.get("severity") != "ERROR":
            continue
        message_id = issue.get("messageId")
        if message_id is not None:
            message_id = checks.integer(message_id, f"{path}.messageId", 0)
        code = checks.text(issue.get("code"), f"{path}.code", checks.ID_LENGTH)
        # Amazon's own words, shown to the seller: any line breaks kept.
        message = checks.text(issue.get("message"), f"{path}.message", checks.LONG_LENGTH, True)
        errors.setdefault(message_id, []).append(f"{code}: {message}")
    return errors


__all__ = ["PayloadError", "allocate", "feed_report_errors"]
