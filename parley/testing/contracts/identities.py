"""The contract every store keeps for linked identities (``IdentityStore``, core/storage/identities.py):
who each identity is, profile versions that a commit and a link compare, atomic relinks.
``StoreContract`` includes it (the same ``store`` and ``clock`` fixtures)."""

from __future__ import annotations

import asyncio

import pytest

from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.storage.identities import ProfileConflict, Relink
from parley.core.storage.store import InboxItem, OutboxItem

WA = Address(channel="whatsapp", chat="+4915100000001", user="+4915100000001")
WEB = Address(channel="webchat", chat="s-77", user="s-77")


def _item(address: Address, event: str, at: float) -> InboxItem:
    return InboxItem(f"{address.channel}:{event}", address.conversation, Inbound(address=address, event_id=event), at)


async def _link(store, into: str, joining: str, profile: dict) -> None:
    """What core/people/links.py does, reduced: both identities to ``into``, one profile."""
    (_, v_into), (_, v_join) = await store.versioned_profile(into), await store.versioned_profile(joining)
    change = Relink(
        moves={into: into, joining: into},
        profiles={into: profile, joining: None},
        expect={into: v_into, joining: v_join},
        owners={into: into, joining: joining},
    )
    assert await store.relink(change)


class IdentityStoreContract:
    async def test_an_identity_nobody_linked_is_its_own_person(self, store):
        assert await store.person_of(WA.person) == WA.person
        assert await store.identities(WA.person) == [WA.person]
        assert await store.versioned_profile(WA.person) == ({}, 0)

    async def test_a_link_maps_both_identities_to_one_profile_that_begin_loads(self, store, clock):
        await _link(store, WA.person, WEB.person, {"name": "Ana", "tags": ["vip"]})
        assert await store.person_of(WEB.person) == WA.person
        assert await store.identities(WA.person) == [WA.person, WEB.person]  # the asked one first
        assert await store.identities(WEB.person) == [WEB.person, WA.person]
        await store.accept(_item(WEB, "w1", clock()), 60)
        batch = await store.begin(WEB.conversation, 30, 10, clock())
        assert batch.person(WEB.person) == WA.person
        assert batch.profiles == {WA.person: {"name": "Ana", "tags": ["vip"]}}
        profile, version = await store.versioned_profile(WA.person)
        assert batch.versions == {WA.person: version} and version > 0
        await store.commit(
            WEB.conversation, batch.token, "webchat:w1", {}, {WA.person: {**profile, "tz": "UTC"}}, [],
            release=True, versions=batch.versions,
        )  # fmt: skip
        assert (await store.versioned_profile(WA.person)) == ({**profile, "tz": "UTC"}, version + 1)
        assert WEB.conversation in await store.conversations(WA.person)

    async def test_a_commit_on_a_profile_changed_since_begin_writes_nothing(self, store, clock):
        await store.accept(_item(WA, "a1", clock()), 60)
        batch = await store.begin(WA.conversation, 30, 10, clock())
        await store.save_profile(WA.person, {"name": "written meanwhile"})
        reply = OutboxItem("whatsapp:a1:r0", WA, Reply(text="hello"), clock())
        with pytest.raises(ProfileConflict):
            await store.commit(
                WA.conversation, batch.token, "whatsapp:a1", {"n": 1}, {WA.person: {"name": "stale"}}, [reply],
                release=True, versions=batch.versions,
            )  # fmt: skip
        assert await store.profile(WA.person) == {"name": "written meanwhile"}
        assert await store.state(WA.conversation) == {}
        assert (await store.outbox_stats()).pending == 0
        await store.release(WA.conversation, batch.token)  # the lock was kept: still ours to free
        again = await store.begin(WA.conversation, 30, 10, clock())
        assert [i.id for i in again.items] == ["whatsapp:a1"]  # the event waits to be redone

    async def test_two_conversations_of_one_person_racing_their_commits_one_wins(self, store, clock):
        await _link(store, WA.person, WEB.person, {"n": 0})
        await store.accept(_item(WA, "a1", clock()), 60)
        await store.accept(_item(WEB, "w1", clock()), 60)
        wa = await store.begin(WA.conversation, 30, 10, clock())
        web = await store.begin(WEB.conversation, 30, 10, clock())
        assert wa.versions == web.versions

        async def commit(conversation, batch, done, n):
            try:
                await store.commit(
                    conversation, batch.token, done, {}, {WA.person: {"n": n}}, [], release=True,
                    versions=batch.versions,
                )  # fmt: skip
                return n
            except ProfileConflict:
                return None

        won = await asyncio.gather(
            commit(WA.conversation, wa, "whatsapp:a1", 1), commit(WEB.conversation, web, "webchat:w1", 2)
        )
        assert sorted(won, key=str) in ([1, None], [2, None])
        winner = next(n for n in won if n is not None)
        assert (await store.profile(WA.person)) == {"n": winner}

    async def test_two_links_racing_on_one_profile_one_wins_and_nothing_is_half_written(self, store):
        other = "telegram:555"
        (_, v_wa), (_, v_web), (_, v_tg) = [await store.versioned_profile(p) for p in (WA.person, WEB.person, other)]

        def change(joining, v_join, name):
            return Relink(
                moves={WA.person: WA.person, joining: WA.person},
                profiles={WA.person: {"name": name}, joining: None},
                expect={WA.person: v_wa, joining: v_join},
                owners={WA.person: WA.person, joining: joining},
            )

        results = await asyncio.gather(
            store.relink(change(WEB.person, v_web, "web")), store.relink(change(other, v_tg, "tg"))
        )
        assert sorted(results) == [False, True]
        joined = WEB.person if results[0] else other
        left = other if results[0] else WEB.person
        assert await store.identities(WA.person) == [WA.person, joined]
        assert await store.person_of(left) == left
        assert await store.profile(WA.person) == {"name": "web" if results[0] else "tg"}

    async def test_a_relink_whose_owner_moved_is_refused(self, store):
        await _link(store, WA.person, WEB.person, {})
        steal = Relink(moves={WEB.person: "telegram:9"}, owners={WEB.person: WEB.person})
        assert not await store.relink(steal)
        assert await store.person_of(WEB.person) == WA.person

    async def test_unlinking_gives_the_identity_back_its_own_profile_and_conversations(self, store, clock):
        await _link(store, WA.person, WEB.person, {"name": "Ana"})
        await store.accept(_item(WEB, "w1", clock()), 60)
        batch = await store.begin(WEB.conversation, 30, 10, clock())
        await store.commit(
            WEB.conversation, batch.token, "webchat:w1", {}, {WA.person: {"name": "Ana"}}, [], release=True
        )
        _, version = await store.versioned_profile(WA.person)
        split = Relink(
            moves={WEB.person: ""},
            profiles={WA.person: {"name": "Ana", "left": True}, WEB.person: {"name": "Ana"}},
            expect={WA.person: version},
            owners={WEB.person: WA.person},
            conversations={WEB.conversation: (WA.person, WEB.person)},
        )
        assert await store.relink(split)
        assert await store.person_of(WEB.person) == WEB.person
        assert await store.identities(WA.person) == [WA.person]
        assert await store.profile(WEB.person) == {"name": "Ana"}
        assert await store.conversations(WEB.person) == [WEB.conversation]
        assert WEB.conversation not in await store.conversations(WA.person)

    async def test_erasing_a_person_unlinks_their_identities(self, store):
        await _link(store, WA.person, WEB.person, {"name": "Ana"})
        await store.erase_person(WA.person)
        assert await store.person_of(WEB.person) == WEB.person
        assert await store.identities(WA.person) == [WA.person]
        assert await store.profile(WA.person) == {}
