"""What a flow's run holds and answers (plain Python, no model): its state
(``FlowRun``), its result (``FlowResult``), its lock's name, and the one way to
say that another run holds the account."""

import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from odoo import _
from odoo.exceptions import UserError


class AmazonAccountBusy(UserError):
    """Another run of the flow holds the account: try again soon."""


def busy_message():
    """The one way to say that another run holds the account."""
    return _("Another run of this synchronization is in progress for this account: try again soon.")


@dataclass
class FlowResult:
    """What a run of any flow did."""

    fetched: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    pages: int = 0
    done: bool = True  # False when the window has more pages left for a next run
    locked: bool = False  # True when another run held the account
    # Seconds Amazon's rate limit asks before the next page, when the run ended
    # there rather than wait (a cron's turn).
    waiting: float = 0.0
    # (record, reason) or a sentence per unit that failed, listed on the sync log.
    problems: list = field(default_factory=list)
    # A flow's own figures (the returns: reports still pending, returns waiting).
    extra: dict = field(default_factory=dict)

    def as_dict(self):
        return {
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "failed": self.failed,
        }


@dataclass
class DateWindow:
    """The dates a run reads (naive UTC, as Odoo keeps them)."""

    start: datetime
    end: datetime


class FlowRun:
    """The state of one run of a flow for one account: what its steps share.
    A flow needing more (caches of a page...) subclasses it (``_run_class``)."""

    def __init__(self, account, adapter, max_pages=None, max_seconds=None):
        company = account.company_id
        # A run is the system's work, whoever started it (access is checked by
        # the account's buttons); in the account's company, without chatter
        # noise on every record.
        self.account = (
            account.sudo()
            .with_company(company)
            .with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        )
        self.env = self.account.env
        self.company = company
        self.adapter = adapter
        self.result = FlowResult()
        self.max_pages = max_pages
        # time.monotonic() after which no page is begun
        self.deadline = time.monotonic() + max_seconds if max_seconds is not None else None

    def should_pause(self):
        """Whether the run stops before its next page (the next run resumes)."""
        return bool(
            (self.max_pages and self.result.pages >= self.max_pages)
            or (self.deadline and time.monotonic() >= self.deadline)
        )


def lock_namespace(kind):
    """The advisory lock namespace of a flow (``orders``, ``stock``...)."""
    return zlib.crc32(f"sale_amazon_connector.{kind}".encode()) & 0x7FFFFFFF
