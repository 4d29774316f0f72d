"""The operator audit seam linking writes to: who linked or unlinked what, when and why.

A typed, append-only record (``OperatorAction``) through one call. ``AccountsAudit`` writes it to
the store's audit log (``AccountStore.audit``, the one the console and the admin API already
append to, readable at ``GET /api/audit`` once issue 21's audit log item lands); any object
with the same ``record`` method can stand in (tests keep a list).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from parley.core.storage.accounts import AccountStore, AuditEntry


class Action(enum.StrEnum):
    LINK = "person.link"
    UNLINK = "person.unlink"


@dataclass(frozen=True)
class OperatorAction:
    actor: str  # the console user or "admin-token"
    action: Action
    person: str  # the person acted on
    identity: str  # the identity linked or unlinked
    reason: str  # required: why (a ticket, the customer's request)


class Audit(Protocol):
    async def record(self, entry: OperatorAction) -> None: ...


class AccountsAudit:
    def __init__(self, store: AccountStore, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    async def record(self, entry: OperatorAction) -> None:
        detail = json.dumps({"identity": entry.identity, "reason": entry.reason}, ensure_ascii=False)
        await self.store.audit(AuditEntry(self.clock(), entry.actor, entry.action.value, entry.person, detail))
