"""/readyz follows the store's ability to write, and the SQLite WAL shrinks after a burst."""

from __future__ import annotations

import pytest
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.sqlite_checkpoint import Checkpointer
from parley.core.storage.store import StoreUnavailable

from tests.conftest import eventually

UNLIMITED = 1073741823


async def status(http, port: int) -> int:
    async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
        return r.status


async def test_readyz_is_503_while_sqlite_cannot_write_and_200_once_it_can(parley, http):
    db = parley.store.db
    assert await status(http, parley.port) == 200
    # The file may not grow by a page: what a full disk does to SQLite (SQLITE_FULL).
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreUnavailable, match="full"):
        await parley.store.put("big", "x" * 200_000)
    assert await status(http, parley.port) == 503
    assert parley.metrics.ready._value.get() == 0
    db.execute(f"PRAGMA max_page_count = {UNLIMITED}")  # space freed
    await parley.store.put("big", "x" * 200_000)
    await eventually(lambda: _is(http, parley.port, 200), timeout=15)


async def _is(http, port: int, code: int) -> bool:
    return await status(http, port) == code


def wal_size(path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


async def test_the_wal_is_truncated_after_a_burst(tmp_path):
    path = tmp_path / "burst.db"
    checkpoints = Checkpointer(path, every=0.02, truncate_above=256 * 1024, truncate_every=3600)
    store = SQLiteStore(path, checkpointer=checkpoints)
    await store.open()
    try:
        for n in range(400):  # about 2 MB of rows: the WAL grows past the threshold
            await store.put(f"k{n}", "x" * 5000)
        # A truncation may come mid-burst (the checkpointer runs every 20 ms), and the rows after it
        # refill the WAL with less than the threshold, which only the periodic truncation empties.
        # What a burst must not leave is a WAL above the threshold.
        await eventually(lambda: checkpoints.truncations >= 1, timeout=20)
        await eventually(lambda: wal_size(path) <= 256 * 1024, timeout=20)
        assert await store.get("k399") == "x" * 5000  # nothing lost by cutting the WAL
    finally:
        await store.close()


async def test_a_small_wal_is_truncated_now_and_then(tmp_path):
    path = tmp_path / "quiet.db"
    checkpoints = Checkpointer(path, every=0.02, truncate_above=1 << 30, truncate_every=0.1)
    store = SQLiteStore(path, checkpointer=checkpoints)
    await store.open()
    try:
        await store.put("k", "v")
        assert wal_size(path) > 0
        await eventually(lambda: wal_size(path) == 0, timeout=20)
    finally:
        await store.close()
