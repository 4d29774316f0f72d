"""SQLiteStore.accept_begin beyond the contract: a lock another process holds, and what the
engine gains (one group-commit write where accept and begin were two)."""

from __future__ import annotations

from parley.core.kernel.messages import Address, Inbound
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.store import InboxItem

A = Address(channel="web", chat="c1", user="u1")


def inbox(event: str, at: float) -> InboxItem:
    return InboxItem(f"web:{event}", A.conversation, Inbound(address=A, event_id=event, text=event), at)


async def test_a_lock_held_by_another_process_is_left_alone_and_the_event_kept(tmp_path):
    ours, theirs = SQLiteStore(tmp_path / "s.db", owner="a:1:x"), SQLiteStore(tmp_path / "s.db", owner="b:2:y")
    await ours.open()
    await theirs.open()
    try:
        now = ours.clock()
        held = await theirs.begin(A.conversation, 30, 10, now)
        assert await ours.accept_begin(inbox("e2", now), 60, 30, 10) == (True, None)
        await theirs.release(A.conversation, held.token)
        after = await ours.begin(A.conversation, 30, 10, ours.clock())
        assert [(i.id, i.inbound.text) for i in after.items] == [("web:e2", "e2")]  # accepted all the same
    finally:
        await ours.close()
        await theirs.close()


async def test_accept_and_begin_share_one_write(tmp_path):
    store = SQLiteStore(tmp_path / "s.db")
    await store.open()
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    try:
        new, batch = await store.accept_begin(inbox("e1", store.clock()), 60, 30, 10)
        assert new and [i.id for i in batch.items] == ["web:e1"]
        assert statements.count("BEGIN IMMEDIATE") == 1 and statements.count("COMMIT") == 1
    finally:
        await store.close()
