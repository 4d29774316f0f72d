"""SQLite housekeeping: what expired goes, what has not stays, through the expiry indexes and a
bounded number of rows per pass (a pass runs on the event loop, inside a group commit)."""

from __future__ import annotations

import sqlite3

import pytest
from parley.core.kernel.messages import Address, Reply
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.sqlite_inbox import SENT_KEPT, housekeeping
from parley.core.storage.store import Failed, OutboxItem, Sent

NOW = 1_000_000_000.0


async def opened(tmp_path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "h.db", clock=lambda: NOW)
    await store.open()
    return store


@pytest.fixture
async def store(tmp_path):
    opened_store = await opened(tmp_path)
    yield opened_store
    await opened_store.close()


def count(db: sqlite3.Connection, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


async def test_expired_rows_go_and_live_ones_stay(store):
    db = store.db
    db.executemany("INSERT INTO seen VALUES (?, ?)", [("old", NOW - 1), ("live", NOW + 60)])
    db.executemany(
        "INSERT INTO kv VALUES (?, ?, ?)", [("old", "v", NOW - 1), ("live", "v", NOW + 60), ("forever", "v", None)]
    )
    names = ("sent-long-ago", "sent-today", "failed-long-ago", "sending")
    await store.enqueue(
        [OutboxItem(name, Address(channel="web", chat=name, user=name), Reply(text=name), NOW) for name in names]
    )
    token = {i.id: i.token for i in await store.claim(NOW, 10, 30)}
    week_ago = NOW - SENT_KEPT - 1
    await store.settle("sent-long-ago", token["sent-long-ago"], Sent("m1"), week_ago)
    await store.settle("sent-today", token["sent-today"], Sent("m2"), NOW)
    await store.settle("failed-long-ago", token["failed-long-ago"], Failed("rejected"), week_ago)
    assert housekeeping(db, NOW) == 3  # one expired row of each table
    assert [r[0] for r in db.execute("SELECT id FROM seen")] == ["live"]
    assert sorted(r[0] for r in db.execute("SELECT key FROM kv")) == ["forever", "live"]
    # A week-old sent reply goes; a failed one stays for the operator, and a sending one is
    # work in progress.
    assert sorted(r[0] for r in db.execute("SELECT id FROM outbox")) == ["failed-long-ago", "sending", "sent-today"]


async def test_a_pass_deletes_at_most_its_limit_per_table(store):
    db = store.db
    db.executemany("INSERT INTO seen VALUES (?, ?)", [(f"e{n}", NOW - n - 1) for n in range(25)])
    assert housekeeping(db, NOW, limit=10) == 10
    assert housekeeping(db, NOW, limit=10) == 10
    assert housekeeping(db, NOW, limit=10) == 5
    assert count(db, "seen") == 0


async def test_housekeeping_reads_the_expiry_indexes_not_the_tables(store):
    db = store.db
    for table, key, expired, index in (
        ("seen", "id", "until <= ?", "seen_until"),
        ("kv", "key", "until IS NOT NULL AND until <= ?", "kv_until"),
        ("outbox", "seq", "status = 'sent' AND updated < ?", "outbox_sent"),
    ):
        rows = db.execute(f"EXPLAIN QUERY PLAN SELECT {key} FROM {table} WHERE {expired} LIMIT ?", (NOW, 10))
        plan = " ".join(r[-1] for r in rows)
        assert f"USING COVERING INDEX {index}" in plan or f"USING INDEX {index}" in plan, plan


async def test_a_file_made_before_the_expiry_indexes_gets_them_when_opened(tmp_path):
    store = await opened(tmp_path)
    await store.close()
    with sqlite3.connect(tmp_path / "h.db") as old:
        for index in ("seen_until", "kv_until", "outbox_sent"):
            old.execute(f"DROP INDEX {index}")
    store = await opened(tmp_path)
    try:
        names = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"seen_until", "kv_until", "outbox_sent"} <= names
    finally:
        await store.close()
