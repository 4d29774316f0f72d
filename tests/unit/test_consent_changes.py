"""An operator's consent change (core/privacy/consent.py) beside live turns: written by
compare-and-set on the profile's version, so a turn committing meanwhile loses nothing and the
change is redone on what the turn wrote; a turn that read the profile before the change cannot
commit over it (it runs again on the new profile)."""

from __future__ import annotations

from typing import Any

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.linking.channels import consent_of
from parley.core.linking.links import link
from parley.core.privacy.audit import Audit, Operator, Via
from parley.core.privacy.consent import ConsentChanges, ConsentRefused, Refused
from parley.core.schedule.memory import MemoryScheduleStore
from parley.core.storage.identities import ProfileConflict
from parley.core.storage.memory import MemoryStore
from parley.core.storage.store import InboxItem

ANA = "sms:+15550100"
BY = Operator("ann", Via.API, "asked by phone")


class TurnMeanwhile(MemoryStore):
    """A store where a turn of the person commits right after the change first reads the profile."""

    turns = 0

    async def versioned_profile(self, person: str) -> tuple[dict[str, Any], int]:
        read = await super().versioned_profile(person)
        if not self.turns:
            self.turns += 1
            await self.save_profile(person, {**read[0], "tags": ["from-a-turn"]})
        return read


async def changes(store: MemoryStore) -> ConsentChanges:
    clock = ManualClock()
    await store.open()
    sched = MemoryScheduleStore()
    await store.save_profile(ANA, {"name": "Ana"})
    return ConsentChanges(store, sched, Audit(store, clock), clock)


async def test_a_turn_committing_meanwhile_loses_nothing():
    store = TurnMeanwhile(clock=ManualClock())
    changed = await (await changes(store)).change(ANA, "sms", False, BY)
    profile = await store.profile(ANA)
    assert profile["tags"] == ["from-a-turn"] and consent_of(profile, ANA)["marketing"] is False
    assert changed.identity == ANA and store.turns == 1


async def test_a_turn_that_read_before_the_change_cannot_commit_over_it():
    clock = ManualClock()
    store = MemoryStore(clock=clock)
    consent = await changes(store)
    address = Address(channel="sms", chat="+15550100", user="+15550100")
    inbound = Inbound(address=address, event_id="e1", text="hello")
    await store.accept(InboxItem("sms:e1", address.conversation, inbound, clock()), 60)
    batch = await store.begin(address.conversation, 30, 10, clock())  # a turn reads the profile...
    await consent.change(ANA, "sms", False, BY)  # ...the operator opts them out...
    late = {"name": "Ana", "tags": ["late"]}
    with pytest.raises(ProfileConflict):  # ...and the turn's commit at the version it read is refused
        await store.commit(
            address.conversation, batch.token, "sms:e1", {}, {ANA: late}, [], versions={ANA: batch.versions[ANA]}
        )
    assert consent_of(await store.profile(ANA), ANA)["marketing"] is False


async def test_unknown_people_and_channels_are_refused():
    consent = await changes(MemoryStore(clock=ManualClock()))
    with pytest.raises(ConsentRefused) as refused:
        await consent.change("sms:+1999", "sms", True, BY)
    assert refused.value.reason is Refused.UNKNOWN_PERSON
    with pytest.raises(ConsentRefused) as refused:
        await consent.change(ANA, "whatsapp", True, BY)
    assert refused.value.reason is Refused.UNKNOWN_CHANNEL


async def test_two_identities_on_one_channel_are_named_by_identity():
    store = MemoryStore(clock=ManualClock())
    consent = await changes(store)
    other = "sms:+15550111"  # a second number of the same customer
    await link(store, ANA, other)
    with pytest.raises(ConsentRefused) as refused:
        await consent.change(ANA, "sms", False, BY)
    assert refused.value.reason is Refused.AMBIGUOUS
    changed = await consent.change(ANA, other, False, BY)
    profile = await store.profile(ANA)
    assert changed.identity == other and consent_of(profile, other)["marketing"] is False
    assert consent_of(profile, ANA) == {}  # the other number's consent is its own


class TurnsForever(MemoryStore):
    """A store where a turn commits the profile after every read: no round can win."""

    async def versioned_profile(self, person: str) -> tuple[dict[str, Any], int]:
        read = await super().versioned_profile(person)
        await self.save_profile(person, {**read[0], "seen": read[1]})
        return read


async def test_a_profile_that_never_stops_changing_is_busy_and_nothing_is_written():
    store = TurnsForever(clock=ManualClock())
    consent = await changes(store)
    with pytest.raises(ConsentRefused) as refused:
        await consent.change(ANA, "sms", False, BY)
    assert refused.value.reason is Refused.BUSY
    assert consent_of(await store.profile(ANA), ANA) == {} and await store.get(f"consent:{ANA}") is None
