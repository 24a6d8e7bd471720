"""Answers broken on purpose, for tests: not Amazon's behaviour. A test sets
(path, value) pairs on an emulated record (an order, a listing, a summary, an
invoice); its rendered answer then breaks what Amazon's model promises, and
the call is marked ``corrupted`` (the conformance check skips it)."""


def corrupt(data, path, value):
    """Set ``value`` at ``path`` in ``data``, making the objects on the way; a
    path an earlier corruption cut (its way is no container now) is skipped."""
    *parents, last = path
    try:
        for key in parents:
            data = data.setdefault(key, {}) if isinstance(data, dict) else data[key]
        data[last] = value
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
