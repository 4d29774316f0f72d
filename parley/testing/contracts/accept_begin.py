"""The contract of a store that also offers ``AcceptsAndBegins`` (accept an event and begin its
conversation in one call): what ``accept`` then ``begin(..., reclaim=True)`` would do, in one.

Mix it into your store's ``StoreContract`` subclass (it uses the same ``store`` and ``clock``
fixtures); Parley's SQLite and Redis stores run it (tests/contract/test_store_contract.py).
"""

from __future__ import annotations

from parley.core.storage.store import AcceptsAndBegins
from parley.testing.contracts.store import A, inbox


class AcceptBeginContract:
    async def test_the_store_offers_accept_begin(self, store):
        assert isinstance(store, AcceptsAndBegins)  # the engine looks for it this way

    async def test_accept_begin_takes_a_free_lock_and_hands_back_the_batch(self, store, clock):
        now = clock()
        new, batch = await store.accept_begin(inbox(A, "e1", now), 60, 30, 10)
        assert new and [i.id for i in batch.items] == ["web:e1"] and batch.state == {}
        assert batch.items[0].inbound.text == "hi"
        assert batch.profiles == {A.person: {}} and batch.versions == {A.person: 0}
        assert await store.begin(A.conversation, 30, 10, now) is None  # the lock is ours
        await store.commit(A.conversation, batch.token, "web:e1", {"n": 1}, {}, [], release=True)
        # A duplicate: refused, and no lock taken for it.
        assert await store.accept_begin(inbox(A, "e1", now), 60, 30, 10) == (False, None)
        again = await store.begin(A.conversation, 30, 10, now)
        assert again is not None and again.items == [] and again.state == {"n": 1}

    async def test_accept_begin_loads_what_waited_before_the_new_item(self, store, clock):
        now = clock()
        assert await store.accept(inbox(A, "e1", now, "first"), 60)  # waiting (its turn deferred, say)
        new, batch = await store.accept_begin(inbox(A, "e2", now + 1, "second"), 60, 30, 10)
        assert new and [i.id for i in batch.items] == ["web:e1", "web:e2"]  # oldest first, both
        assert [i.inbound.text for i in batch.items] == ["first", "second"]
        await store.commit(A.conversation, batch.token, "web:e1", {}, {}, [])
        await store.commit(A.conversation, batch.token, "web:e2", {}, {}, [], release=True)
        # The inbox is empty again: the next item is alone, and begins alone.
        new, batch = await store.accept_begin(inbox(A, "e3", now + 2), 60, 30, 10)
        assert new and [i.id for i in batch.items] == ["web:e3"] and batch.profiles == {A.person: {}}
        assert await store.stale(now + 3, 10) == [A.conversation]  # crash-safe: pending all along

    async def test_accept_begin_takes_back_a_lock_of_its_own_owner(self, store, clock):
        """reclaim: the engine calls it only with no turn of the conversation running in this
        process, so a lock under the store's own name is an orphan of an outage."""
        now = clock()
        orphan = await store.begin(A.conversation, 30, 10, now)
        assert orphan is not None
        new, batch = await store.accept_begin(inbox(A, "e4", now), 60, 30, 10)
        assert new and batch is not None and batch.token != orphan.token
        assert [i.id for i in batch.items] == ["web:e4"]
