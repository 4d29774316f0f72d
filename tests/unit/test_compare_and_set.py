"""``compare_and_set`` (core/storage/identities.py), the retry both identity links and operator
consent changes write through: a round another writer beat is computed again from what it left,
a refusal ends it at once, and a profile that never stops changing is ProfileConflict."""

from __future__ import annotations

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.storage.identities import TRIES, ProfileConflict, Relink, compare_and_set
from parley.core.storage.memory import MemoryStore

ANA = "sms:+15550100"


async def opened() -> MemoryStore:
    store = MemoryStore(clock=ManualClock())
    await store.open()
    await store.save_profile(ANA, {"visits": 1})
    return store


def counting(store: MemoryStore, rivals: int, rounds: list[dict]):
    """An attempt that adds a visit; a rival writer commits first in the first ``rivals`` rounds."""

    async def attempt() -> tuple[Relink, int]:
        profile, version = await store.versioned_profile(ANA)
        rounds.append(dict(profile))
        if len(rounds) <= rivals:
            await store.save_profile(ANA, {**profile, "rival": len(rounds)})
        visits = profile["visits"] + 1
        return Relink(profiles={ANA: {**profile, "visits": visits}}, expect={ANA: version}), visits

    return attempt


async def test_a_lost_round_is_computed_again_from_what_the_other_writer_left():
    store, rounds = await opened(), []
    assert await compare_and_set(store, counting(store, 2, rounds)) == 2
    assert [r.get("rival") for r in rounds] == [None, 1, 2]
    assert await store.profile(ANA) == {"visits": 2, "rival": 2}


async def test_a_profile_that_never_stops_changing_gives_up_after_the_last_round():
    store, rounds = await opened(), []
    with pytest.raises(ProfileConflict):
        await compare_and_set(store, counting(store, TRIES + 1, rounds))
    assert len(rounds) == TRIES and (await store.profile(ANA))["visits"] == 1


async def test_a_refusal_in_the_attempt_ends_it_at_once():
    store, calls = await opened(), []

    async def refusing() -> tuple[Relink, None]:
        calls.append(1)
        raise LookupError("not theirs")

    with pytest.raises(LookupError):
        await compare_and_set(store, refusing)
    assert calls == [1]
