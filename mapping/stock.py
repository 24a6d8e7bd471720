"""Stock allocation between listings (no Odoo): how much of a product's free
quantity each merchant-fulfilled listing offers."""


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
