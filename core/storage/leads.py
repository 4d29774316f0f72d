"""The ``LeadStore`` seam: every qualified lead and its outcome (open, won, lost), for the
console's leads page, the admin API and ``bot.py leads``. Part of ``Store``: memory, SQLite and
Redis implement it, and one contract suite (``parley.testing.contracts.leads``) covers all three.

The desk's lead card (a ``Case`` in the key/value space) expires with the conversation's
attention span; a ``LeadRecord`` stays until the person is erased or retention's
``PARLEY_RETENTION__LEADS_DAYS`` passes, so a deal won months later can still be recorded against
the source that brought it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from parley.core.storage.accounts import Stored


class Outcome(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


@dataclass(frozen=True)
class LeadRecord(Stored):
    id: str  # the desk case's id
    person: str
    conversation: str
    source: str  # attribution, else campaign, else channel (as analytics count it)
    channel: str
    locale: str
    persona: str
    name: str
    created: float
    outcome: str = Outcome.OPEN.value
    value: float | None = None  # what a won deal is worth, in ``currency``
    currency: str = ""
    set_by: str = ""  # who recorded the outcome (a console user, an API token's owner, "cli")
    set_at: float = 0.0

    @property
    def state(self) -> Outcome:
        return Outcome(self.outcome)

    def decided(self, outcome: Outcome, value: float | None, currency: str, by: str, at: float) -> LeadRecord:
        return replace(self, outcome=outcome.value, value=value, currency=currency, set_by=by, set_at=at)


class LeadStore(Protocol):
    async def put_lead(self, lead: LeadRecord) -> None:
        """Add or replace the lead with this id."""

    async def lead(self, lead_id: str) -> LeadRecord | None: ...

    async def leads(self, outcome: Outcome | None, before: float, limit: int) -> list[LeadRecord]:
        """Newest first, created before ``before`` (0: from the newest), of one outcome or all."""

    async def person_leads(self, person: str) -> list[LeadRecord]:
        """The person's leads, oldest first (export)."""

    async def forget_leads(self, person: str) -> int:
        """Erase the person's leads (privacy erasure); returns how many."""

    async def expire_leads(self, before: float, limit: int) -> int:
        """Remove at most ``limit`` leads created before ``before``, oldest first (retention,
        ``PARLEY_RETENTION__LEADS_DAYS``); returns how many went."""
