"""The contract every ``Store`` keeps: dedupe, per-conversation locks with fencing tokens, atomic
commits, a leased outbox, keys with a time to live, export and erasure, and the console's
accounts (``AccountStoreContract``), leads (``LeadStoreContract``) and linked identities
(``IdentityStoreContract``), included.

Run it against your own store by subclassing ``StoreContract`` in a test module and providing a
``store`` fixture: an opened store built on the ``clock`` fixture (a ``ManualClock`` the suite
moves to expire leases and keys) and the ``owner`` fixture (the name it records on the locks and
leases it takes), closed after the test:

    class TestMyStore(StoreContract):
        @pytest.fixture
        async def store(self, clock, owner):
            store = MyStore(clock=clock, owner=owner)
            await store.open()
            yield store
            await store.close()

Parley's memory, SQLite and Redis stores run the same suite (tests/contract/test_store_contract.py).
"""

from __future__ import annotations

import pytest

from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.storage.store import Failed, InboxItem, LockLost, OutboxItem, Retry, Sent
from parley.testing.contracts.accounts import AccountStoreContract
from parley.testing.contracts.identities import IdentityStoreContract
from parley.testing.contracts.leads import LeadStoreContract

A = Address(channel="web", chat="c1", user="u1")
B = Address(channel="web", chat="c2", user="u2")


def inbox(address: Address, event: str, at: float, text: str = "hi") -> InboxItem:
    inbound = Inbound(address=address, event_id=event, text=text)
    return InboxItem(f"{address.channel}:{event}", address.conversation, inbound, at)


def out(item_id: str, address: Address, at: float, text: str = "ok") -> OutboxItem:
    return OutboxItem(item_id, address, Reply(text=text), at)


class StoreContract(AccountStoreContract, LeadStoreContract, IdentityStoreContract):
    """Subclass and provide ``store``; set ``leases_at_commit`` if your ``commit(..., lease=)``
    hands the first reply of an idle address straight back (the memory and SQLite stores do)."""

    leases_at_commit = False

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock()

    @pytest.fixture
    def owner(self) -> str:
        return "contract-host:4242:0a1b2c"  # host:pid:nonce, as core/kernel/liveness.py writes it

    async def test_accept_dedupes_on_event_id(self, store, clock):
        now = clock()
        assert await store.accept(inbox(A, "e1", now), 60)
        assert not await store.accept(inbox(A, "e1", now), 60)
        clock.advance(61)
        assert await store.accept(inbox(A, "e1", clock()), 60)  # after the window: new

    async def test_begin_locks_and_loads_in_order(self, store, clock):
        now = clock()
        for n in range(3):
            await store.accept(inbox(A, f"e{n}", now, f"m{n}"), 60)
        batch = await store.begin(A.conversation, 30, 10, now)
        assert [i.inbound.text for i in batch.items] == ["m0", "m1", "m2"]
        assert batch.state == {} and batch.profiles == {A.person: {}}
        assert await store.begin(A.conversation, 30, 10, now) is None  # held
        assert await store.begin(B.conversation, 30, 10, now) is not None  # others are free

    async def test_commit_is_atomic_and_fenced(self, store, clock):
        now = clock()
        await store.accept(inbox(A, "e1", now), 60)
        batch = await store.begin(A.conversation, 30, 10, now)
        item = batch.items[0]
        await store.commit(
            A.conversation, batch.token, item.id, {"n": 1}, {A.person: {"name": "Ann"}}, [out("e1:r0", A, now)]
        )
        await store.release(A.conversation, batch.token)
        again = await store.begin(A.conversation, 30, 10, now)
        assert again.items == [] and again.state == {"n": 1}
        assert await store.profile(A.person) == {"name": "Ann"}
        # A stale token (lease expired, someone else took over) cannot write.
        clock.advance(31)
        other = await store.begin(A.conversation, 30, 10, clock())
        assert other is not None
        with pytest.raises(LockLost):
            await store.commit(A.conversation, again.token, "", {"n": 99}, {}, [])
        assert (await store.state(A.conversation)) == {"n": 1}

    async def test_a_releasing_commit_is_fenced_too(self, store, clock):
        now = clock()
        await store.accept(inbox(A, "e1", now), 60)
        stale = await store.begin(A.conversation, 30, 10, now)
        item = stale.items[0].id
        clock.advance(31)
        # Expired and nobody else took it: still refused, and nothing is written.
        with pytest.raises(LockLost):
            await store.commit(A.conversation, stale.token, item, {"n": 1}, {}, [], release=True)
        assert await store.state(A.conversation) == {}
        later = clock()
        other = await store.begin(A.conversation, 30, 10, later)
        assert [i.id for i in other.items] == [item]  # the event is still there to process
        with pytest.raises(LockLost):
            await store.commit(A.conversation, stale.token, item, {"n": 1}, {}, [], release=True)
        # The stale holder's release did not free the new holder's lock.
        assert await store.begin(A.conversation, 30, 10, later) is None
        await store.commit(A.conversation, other.token, item, {"n": 2}, {}, [], release=True)
        assert await store.state(A.conversation) == {"n": 2}
        assert await store.begin(A.conversation, 30, 10, later) is not None

    async def test_a_dead_owners_lock_is_released_at_once_and_fenced(self, store, clock, owner):
        now = clock()
        await store.accept(inbox(A, "e1", now), 60)
        held = await store.begin(A.conversation, 120, 10, now)
        assert await store.release_dead(lambda who: False, now) == 0  # its owner lives: kept
        assert await store.begin(A.conversation, 120, 10, now) is None
        assert await store.release_dead(lambda who: who == owner, now) == 1
        again = await store.begin(A.conversation, 120, 10, now)  # no 120 s wait for the lease
        assert again is not None and [i.id for i in again.items] == ["web:e1"]
        with pytest.raises(LockLost):  # the dead holder, were it alive after all, cannot commit
            await store.commit(A.conversation, held.token, "web:e1", {"n": 1}, {}, [], release=True)
        assert await store.state(A.conversation) == {}

    async def test_a_dead_owners_outbox_lease_is_claimable_at_once(self, store, clock, owner):
        now = clock()
        await store.enqueue([out("a1", A, now), out("b1", B, now)])
        leased = {i.id: i for i in await store.claim(now, 10, 30)}
        assert await store.settle("b1", leased["b1"].token, Sent("m"), now)
        assert await store.claim(now, 10, 30) == []
        assert await store.release_dead(lambda who: who == owner, now) == 1  # a1; b1 is settled
        [again] = await store.claim(now, 10, 30)
        assert again.id == "a1" and again.token != leased["a1"].token
        assert not await store.settle("a1", leased["a1"].token, Sent("late"), now)
        assert await store.settle("a1", again.token, Sent("m"), now)

    async def test_reclaim_takes_a_lock_held_under_the_stores_own_owner(self, store, clock):
        now = clock()
        await store.accept(inbox(A, "e1", now), 60)
        orphan = await store.begin(A.conversation, 120, 10, now)  # its answer lost in an outage
        assert await store.begin(A.conversation, 120, 10, now) is None  # without reclaim: held
        again = await store.begin(A.conversation, 120, 10, now, reclaim=True)
        assert again is not None and [i.id for i in again.items] == ["web:e1"]
        with pytest.raises(LockLost):  # the orphan's token is fenced off
            await store.commit(A.conversation, orphan.token, "web:e1", {}, {}, [], release=True)

    async def test_lease_expiry_frees_lock(self, store, clock):
        now = clock()
        assert await store.begin(A.conversation, 5, 10, now)
        clock.advance(6)
        assert await store.begin(A.conversation, 5, 10, clock())

    async def test_stale_finds_uncommitted_events(self, store, clock):
        now = clock()
        await store.accept(inbox(A, "e1", now), 60)
        assert await store.stale(now + 1, 10) == [A.conversation]
        assert await store.stale(now - 1, 10) == []

    async def test_outbox_enqueue_is_idempotent(self, store, clock):
        now = clock()
        assert await store.enqueue([out("x", A, now)]) == 1
        assert await store.enqueue([out("x", A, now)]) == 0

    async def test_claim_orders_per_address_and_leases(self, store, clock):
        now = clock()
        await store.enqueue([out("a1", A, now, "1"), out("a2", A, now, "2"), out("b1", B, now)])
        first = await store.claim(now, 10, 30)
        assert sorted(i.id for i in first) == ["a1", "b1"]  # a2 waits for a1
        assert await store.claim(now, 10, 30) == []
        a1 = next(i for i in first if i.id == "a1")
        assert await store.settle("a1", a1.token, Sent("m1"), now)
        assert [i.id for i in await store.claim(now, 10, 30)] == ["a2"]

    async def test_expired_lease_is_reclaimed_and_old_token_refused(self, store, clock):
        now = clock()
        await store.enqueue([out("a1", A, now)])
        [first] = await store.claim(now, 10, 30)
        clock.advance(31)
        [second] = await store.claim(clock(), 10, 30)
        assert second.id == "a1" and second.token != first.token
        assert not await store.settle("a1", first.token, Sent("late"), clock())
        assert await store.settle("a1", second.token, Sent("m"), clock())

    async def test_retry_reschedules_and_counts(self, store, clock):
        now = clock()
        await store.enqueue([out("a1", A, now)])
        [item] = await store.claim(now, 10, 30)
        await store.settle("a1", item.token, Retry(now + 10, "boom"), now)
        assert await store.claim(now + 5, 10, 30) == []
        [again] = await store.claim(now + 10, 10, 30)
        assert again.attempts == 1
        await store.settle("a1", again.token, Retry(now + 20, "throttled", counts=False), now)
        [third] = await store.claim(now + 20, 10, 30)
        assert third.attempts == 1
        await store.settle("a1", third.token, Failed("gone"), now)
        stats = await store.outbox_stats()
        assert stats.failed == 1 and stats.errors == {"gone": 1} and stats.oldest_due is None

    async def test_outbox_stats_say_how_late_the_oldest_pending_item_is(self, store, clock):
        now = clock()
        assert (await store.outbox_stats()).oldest_due is None
        await store.enqueue([out("b1", B, now - 30), out("a1", A, now - 90), out("a2", A, now)])
        stats = await store.outbox_stats()
        assert stats.pending == 3 and stats.oldest_due == pytest.approx(now - 90)

    async def test_key_value(self, store, clock):
        assert await store.get("k") is None
        assert await store.add("k", "1", ttl=10)
        assert not await store.add("k", "2", ttl=10)
        assert await store.get("k") == "1"
        clock.advance(11)
        assert await store.get("k") is None
        assert await store.add("k", "3")
        await store.put("k", "4")
        assert await store.get("k") == "4"
        await store.delete("k")
        assert await store.get("k") is None

    async def test_export_and_erase_person(self, store, clock):
        now = clock()
        await store.accept(inbox(A, "e1", now, "my email is a@b.example"), 60)
        batch = await store.begin(A.conversation, 30, 10, now)
        await store.commit(
            A.conversation,
            batch.token,
            "web:e1",
            {"history": ["x"]},
            {A.person: {"name": "Ann"}},
            [out("e1:r0", A, now, "hello Ann")],
        )
        await store.release(A.conversation, batch.token)
        data = await store.export_person(A.person)
        assert data["profile"] == {"name": "Ann"}
        assert data["conversations"][A.conversation] == {"history": ["x"]}
        assert data["outbox"][0]["text"] == "hello Ann"
        assert await store.erase_person(A.person) >= 3
        data = await store.export_person(A.person)
        assert data["profile"] == {} and data["conversations"] == {} and data["outbox"] == []

    async def test_commit_can_release_the_lock_in_the_same_write(self, store, clock):
        now = clock()
        await store.accept(inbox(A, "e1", now), 60)
        batch = await store.begin(A.conversation, 30, 10, now)
        await store.commit(A.conversation, batch.token, "web:e1", {"n": 1}, {}, [], release=True)
        again = await store.begin(A.conversation, 30, 10, now)  # free at once, no lease wait
        assert again is not None and again.state == {"n": 1} and again.items == []

    # commit(..., lease=): a store may hand replies straight to the committer. Whatever it
    # returns is leased exactly as a claim would lease it; whatever it does not is claimable.

    async def _commit(self, store, clock, address: Address, event: str, replies: list[OutboxItem]) -> list[OutboxItem]:
        now = clock()
        await store.accept(inbox(address, event, now), 60)
        batch = await store.begin(address.conversation, 30, 10, now)
        return await store.commit(
            address.conversation, batch.token, f"web:{event}", {}, {}, replies, release=True, lease=30
        )

    async def test_leased_replies_are_not_claimed_twice_and_settle_with_their_token(self, store, clock):
        now = clock()
        leased = await self._commit(store, clock, A, "e1", [out("a1", A, now, "1"), out("a2", A, now, "2")])
        assert [i.id for i in leased] in ([], ["a1"])  # a2 is behind a1 either way
        if self.leases_at_commit:
            assert [i.id for i in leased] == ["a1"] and leased[0].token
        claimed = await store.claim(now, 10, 30)
        assert not {i.id for i in leased} & {i.id for i in claimed}
        first = (leased or claimed)[0]
        assert first.id == "a1" and "a2" not in {i.id for i in claimed}
        assert await store.settle("a1", first.token, Sent("m1"), now)
        assert [i.id for i in await store.claim(now, 10, 30)] == ["a2"]

    async def test_a_reply_behind_an_unfinished_one_is_queued_not_leased(self, store, clock):
        now = clock()
        await store.enqueue([out("a0", A, now, "earlier")])
        assert await self._commit(store, clock, A, "e1", [out("a1", A, now)]) == []
        assert [i.id for i in await store.claim(now, 10, 30)] == ["a0"]

    async def test_an_expired_commit_lease_is_claimable_and_fences_the_old_token(self, store, clock):
        now = clock()
        leased = await self._commit(store, clock, B, "e1", [out("b1", B, now)])
        if not leased:  # queued instead (Redis): claimable at once
            [claimed] = await store.claim(now, 10, 30)
            leased = [claimed]
        assert await store.claim(now, 10, 30) == []
        clock.advance(31)
        [again] = await store.claim(clock(), 10, 30)
        assert again.id == "b1" and again.token != leased[0].token
        assert not await store.settle("b1", leased[0].token, Sent("late"), clock())
