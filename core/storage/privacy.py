"""The ``PrivacyStore`` seam: what erasure and retention need from the conversation store beyond
the per-person calls of ``PeopleStore``. Part of ``Store``; memory, SQLite and Redis implement it
and one contract suite (``parley.testing.contracts.privacy``) covers all three with the schedule
and analytics stores beside them.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Protocol

from parley.core.privacy.mentions import Mentions

SALT_KEY = "privacy:pseudonym-key"  # the audit log's pseudonym key (parley.core.privacy.audit)


class Expiring(StrEnum):
    """What the retention job removes from the conversation store, each by its own age."""

    LEAD_CASES = "lead_cases"  # case:lead:* records, by when the lead was captured
    OUTBOX = "outbox"  # finished (sent or failed) outbox records, by their last update
    AUDIT = "audit"  # audit entries, by when they were written


class PrivacyStore(Protocol):
    """Export and erasure also read who a person is (``IdentityStore.identities``: every linked
    identity) and the conversations filed under each (``IdentityStore.conversations``): one
    implementation of each, the linking one, so every linked address is covered."""

    async def forget_mentions(self, mentions: Mentions) -> int:
        """Delete what only mentions a person: key/value entries whose key or value does, dedupe
        ids that do, and outbox records (to anyone: a lead card on its way to the desk) whose
        address or text does. Returns how many records went."""

    async def expire(self, what: Expiring, before: float, limit: int) -> int:
        """Remove at most ``limit`` records of ``what`` older than ``before`` (oldest first);
        returns how many went (fewer than ``limit``: nothing older is left)."""


def opened_at(case: str) -> float:
    """When a stored case (parley.core.handoff.cases, JSON) was opened; 0 for one unreadable."""
    try:
        return float(json.loads(case).get("opened", 0))
    except (ValueError, TypeError, AttributeError):
        return 0.0
