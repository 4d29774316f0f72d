"""An operator links or unlinks a person's identities (the admin API and the console's person
page share this): always with a reason, and every change is written to the privacy audit log
(core/privacy/audit.py), which names the person and the identity by their keyed-hash pseudonyms,
never by their ids, so the record of a link survives the person's erasure without naming them.
"""

from __future__ import annotations

import re

from parley.core.linking.links import Linked, LinkRefused, Refusal, link, unlink
from parley.core.privacy.audit import Action, Audit, BadReason, Operator, clean_reason
from parley.core.storage.store import Store

IDENTITY = re.compile(r"[a-z][a-z0-9_]{0,31}:[^\s:][^\s]{0,254}")  # channel:id, as Address.person


def required_reason(value: object) -> str | None:
    """The reason as the audit log keeps it; None when it is missing or cannot be kept."""
    try:
        return clean_reason(value) or None
    except BadReason:
        return None


class OperatorLinks:
    def __init__(self, store: Store, audit: Audit) -> None:
        self.store = store
        self.audit = audit

    async def link(self, person: str, identity: str, by: Operator) -> Linked:
        """``identity`` joins ``person`` (any of its identities). Raises LinkRefused."""
        linked = await link(self.store, person, identity)
        await self.audit.record(by, Action.LINK, linked.person, await self.audit.pseudonyms.of(identity))
        return linked

    async def unlink(self, person: str, identity: str, by: Operator) -> Linked:
        """``identity`` leaves ``person``; NOT_LINKED when it is not one of theirs. Returns what
        remains of the person. Raises LinkRefused."""
        owner = await self.store.person_of(person)
        if await self.store.person_of(identity) != owner:
            raise LinkRefused(Refusal.NOT_LINKED)
        left = await unlink(self.store, identity)
        await self.audit.record(by, Action.UNLINK, owner, await self.audit.pseudonyms.of(identity))
        return left
