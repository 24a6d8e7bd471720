"""Small helpers shared by the sync code."""

import threading


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
