"""The outbox's counts are read on a connection of their own, off the event loop's connection
(core/storage/sqlite_reader.py): they see what is committed, never wait for the loop's open
transaction, and a closed store refuses them."""

from __future__ import annotations

import pytest
from parley.core.kernel.messages import Address, Reply
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.store import OutboxItem, StoreUnavailable

A = Address(channel="telegram", chat="1", user="1")


@pytest.fixture
async def store(tmp_path):
    st = SQLiteStore(tmp_path / "s.db")
    await st.open()
    yield st
    await st.close()


async def test_counts_come_from_a_committed_snapshot_while_the_loop_writes(store):
    await store.enqueue([OutboxItem("o1", A, Reply(text="hi"), 0.0)])
    # The loop's connection in the middle of a write transaction (a group commit that has not
    # committed yet): the counts show the committed outbox, and come back without waiting.
    store.db.execute("BEGIN IMMEDIATE")
    try:
        store.db.execute("DELETE FROM outbox")
        stats = await store.outbox_stats()
    finally:
        store.db.execute("ROLLBACK")
    assert stats.pending == 1 and stats.oldest_due == 0.0


async def test_a_closed_store_refuses_the_counts(tmp_path):
    st = SQLiteStore(tmp_path / "c.db")
    await st.open()
    await st.close()
    with pytest.raises(StoreUnavailable):
        await st.outbox_stats()


async def test_a_reopened_store_counts_again(tmp_path):
    st = SQLiteStore(tmp_path / "r.db")
    await st.open()
    await st.enqueue([OutboxItem("o1", A, Reply(text="hi"), 0.0)])
    await st.outbox_stats()
    await st.close()
    await st.open()
    try:
        assert (await st.outbox_stats()).pending == 1
    finally:
        await st.close()
