"""GroupCommit against a real SQLite file: shared transactions, per-op atomicity, failures."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from parley.core.storage.sqlite_batch import GroupCommit
from parley.core.storage.store import StoreUnavailable


class Traced(sqlite3.Connection):
    """A real connection that remembers the statements it ran."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.statements: list[str] = []
        self.set_trace_callback(self.statements.append)


@pytest.fixture
def db(tmp_path):
    conn = sqlite3.connect(tmp_path / "g.db", isolation_level=None, factory=Traced)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    yield conn
    conn.close()


def insert(k: str, v: int = 1):
    return lambda db: db.execute("INSERT INTO t VALUES (?, ?)", (k, v)).rowcount


def rows(db) -> dict[str, int]:
    return dict(db.execute("SELECT k, v FROM t").fetchall())


async def test_writes_of_one_iteration_share_one_commit(db):
    run = GroupCommit(lambda: db).run
    assert await asyncio.gather(*(run(insert(f"k{n}")) for n in range(5))) == [1] * 5
    assert rows(db) == {f"k{n}": 1 for n in range(5)}
    assert db.statements.count("COMMIT") == 1
    assert not any(s.startswith("SAVEPOINT") for s in db.statements)  # nothing failed: no savepoints


async def test_an_op_that_raises_is_rolled_back_alone(db):
    run = GroupCommit(lambda: db).run

    def half_then_fail(db):
        db.execute("INSERT INTO t VALUES ('half', 1)")
        raise LookupError("lost")

    results = await asyncio.gather(run(insert("a")), run(half_then_fail), run(insert("b")), return_exceptions=True)
    assert results[0] == 1 and results[2] == 1
    assert isinstance(results[1], LookupError)
    # The optimistic pass was rolled back and the batch rerun op by op: each write once, and
    # nothing of the failed op.
    assert rows(db) == {"a": 1, "b": 1}
    assert db.statements.count("COMMIT") == 1


async def test_sqlite_errors_reach_the_caller_as_store_unavailable(db):
    run = GroupCommit(lambda: db).run
    await run(insert("a"))
    results = await asyncio.gather(run(insert("a")), run(insert("c")), return_exceptions=True)
    assert isinstance(results[0], StoreUnavailable)  # the primary key clash, for that op only
    assert results[1] == 1
    assert rows(db) == {"a": 1, "c": 1}


async def test_a_caller_that_gave_up_before_the_flush_writes_nothing(db):
    run = GroupCommit(lambda: db).run
    gone = asyncio.ensure_future(run(insert("gone")))
    kept = asyncio.ensure_future(run(insert("kept")))
    await asyncio.sleep(0)  # both queued, the flush not yet run
    gone.cancel()
    assert await kept == 1
    assert rows(db) == {"kept": 1}


async def test_closed_store_fails_every_caller(db):
    def closed():
        raise StoreUnavailable("store is closed")

    run = GroupCommit(closed).run
    results = await asyncio.gather(run(insert("a")), run(insert("b")), return_exceptions=True)
    assert all(isinstance(r, StoreUnavailable) for r in results)


async def test_a_sent_record_commits_before_the_loop_runs_anything_else(tmp_path):
    """The window in which a crash re-sends a message (docs/faults.md) is not a loop iteration."""
    import asyncio
    import sqlite3 as sql

    from parley.core.kernel.messages import Address, Reply
    from parley.core.storage.sqlite import SQLiteStore
    from parley.core.storage.store import OutboxItem, Retry, Sent

    store = SQLiteStore(tmp_path / "s.db")
    await store.open()
    address = Address(channel="web", chat="c", user="u")
    await store.enqueue(
        [OutboxItem("a", address, Reply(text="x"), 0.0), OutboxItem("b", address, Reply(text="y"), 0.0)]
    )
    seen: list[str] = []

    def status(item: str) -> None:  # another connection: what a crash right now would leave
        with sql.connect(tmp_path / "s.db") as other:
            seen.append(other.execute("SELECT status FROM outbox WHERE id = ?", (item,)).fetchone()[0])

    try:
        [a] = await store.claim(1.0, 10, 30)
        asyncio.get_running_loop().call_soon(status, "a")
        await store.settle("a", a.token, Sent("m"), 1.0)
        [b] = await store.claim(1.0, 10, 30)
        asyncio.get_running_loop().call_soon(status, "b")
        await store.settle("b", b.token, Retry(5.0, "later"), 1.0)  # not sent: grouped as before
        assert seen == ["sent", "sending"]
    finally:
        await store.close()


async def test_a_send_the_platform_dedupes_is_recorded_with_the_next_group_not_at_once(tmp_path):
    """The web chat's page shows a reply id once: its record may wait for company (one commit
    for many replies) without any crash showing the reply twice."""
    import sqlite3 as sql

    from parley.core.kernel.messages import Address, Reply
    from parley.core.storage.sqlite import SQLiteStore
    from parley.core.storage.store import OutboxItem, Sent

    store = SQLiteStore(tmp_path / "s.db")
    await store.open()
    address = Address(channel="web", chat="c", user="u")
    await store.enqueue([OutboxItem("a", address, Reply(text="x"), 0.0)])
    seen: list[str] = []
    statements: list[str] = []

    def status() -> None:
        with sql.connect(tmp_path / "s.db") as other:
            seen.append(other.execute("SELECT status FROM outbox WHERE id = 'a'").fetchone()[0])

    try:
        [a] = await store.claim(1.0, 10, 30)
        store.db.set_trace_callback(statements.append)
        asyncio.get_running_loop().call_soon(status)
        settled = asyncio.gather(store.settle("a", a.token, Sent("m", deduped=True), 1.0), store.put("k", "v"))
        assert await settled == [True, None]
        status()
        assert seen == ["sending", "sent"]
        assert statements.count("COMMIT") == 1  # the record and the other write: one transaction
    finally:
        store.db.set_trace_callback(None)
        await store.close()
