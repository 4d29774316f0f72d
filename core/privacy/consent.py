"""An operator changes a person's marketing consent on one of their channels (the admin API's
``POST /api/people/{person}/consent`` and the console's person page share this): opt in or opt
out, always with a reason, written to the audit log by pseudonym.

Consent is per channel identity (an opt-in on SMS is not one on WhatsApp, core/linking/channels.py),
so a change names the channel: a channel name when the person has one identity there, or the
identity itself. It is written where every send reads it: the profile's per-identity record (with
its history), the channel's own ``consent:<identity>`` record (checked at each send, as a
customer's STOP is) and the people index (what audiences read), in that order.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace

from parley.core.kernel.clock import as_datetime
from parley.core.linking.channels import consent_record, record_consent
from parley.core.privacy.audit import Action, Audit, Operator
from parley.core.schedule.store import ScheduleStore
from parley.core.storage.identities import ProfileConflict, Relink, compare_and_set
from parley.core.storage.store import Store


class Refused(enum.Enum):
    UNKNOWN_PERSON = "unknown_person"  # nothing held about them: 404
    UNKNOWN_CHANNEL = "unknown_channel"  # not one of their channels: 422
    AMBIGUOUS = "ambiguous_channel"  # two identities on that channel: name the identity (422)
    BUSY = "busy"  # the profile kept changing: try again (409)


class ConsentRefused(Exception):
    def __init__(self, reason: Refused) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Changed:
    person: str
    identity: str
    marketing: bool
    at: str
    source: str


class ConsentChanges:
    def __init__(self, store: Store, sched: ScheduleStore, audit: Audit, clock: Callable[[], float]) -> None:
        self.store = store
        self.sched = sched
        self.audit = audit
        self.clock = clock

    async def identity(self, person: str, channel: str) -> tuple[str, str]:
        """(the person, their identity on ``channel``: a channel name or one of their ids)."""
        owner = await self.store.person_of(person)
        group = await self.store.identities(owner)
        if not await self._known(group):
            raise ConsentRefused(Refused.UNKNOWN_PERSON)
        if channel in group:
            return owner, channel
        there = [i for i in group if i.split(":", 1)[0] == channel]
        if not there:
            raise ConsentRefused(Refused.UNKNOWN_CHANNEL)
        if len(there) > 1:
            raise ConsentRefused(Refused.AMBIGUOUS)
        return owner, there[0]

    async def _known(self, group: list[str]) -> bool:
        for identity in group:
            if await self.store.profile(identity) or await self.sched.person(identity) is not None:
                return True
        return False

    async def change(self, person: str, channel: str, marketing: bool, by: Operator) -> Changed:
        """Raises ConsentRefused."""
        owner, identity = await self.identity(person, channel)
        at = as_datetime(self.clock()).isoformat(timespec="seconds")
        source = f"operator:{by.via.value}"

        async def attempt() -> tuple[Relink, None]:
            # A turn of the person committing meanwhile makes this round fail (nothing written)
            # and it is redone on what the turn wrote, while the turn itself, having read the
            # old version, runs again on this one.
            profile, version = await self.store.versioned_profile(owner)
            record_consent(profile, identity, marketing, at, source)
            return Relink(profiles={owner: profile}, expect={owner: version}), None

        try:
            await compare_and_set(self.store, attempt)
        except ProfileConflict:
            raise ConsentRefused(Refused.BUSY) from None
        await self.store.put(f"consent:{identity}", consent_record(marketing, at, source))
        entry = await self.sched.person(identity)
        if entry is not None:
            await self.sched.put_person(replace(entry, consent=marketing))
        detail = f"{identity.split(':', 1)[0]}: {'opted_in' if marketing else 'opted_out'}"
        await self.audit.record(by, Action.CONSENT, owner, detail)
        return Changed(owner, identity, marketing, at, source)
