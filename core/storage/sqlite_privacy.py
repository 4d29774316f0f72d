"""``PrivacyStore`` on SQLite: SQLiteStore mixes it in. Mentions are found by a Python function
registered on the writing connection for the one statement that needs it (erasure is rare; a
scan of the key/value and outbox tables is its price, measured in bench/privacy.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from parley.core.privacy.mentions import Mentions
from parley.core.storage.privacy import Expiring

# Oldest first, in small batches: each is one short write transaction, so live traffic is not
# held up behind a retention run.
EXPIRE = {
    Expiring.LEAD_CASES: (
        "DELETE FROM kv WHERE key IN (SELECT key FROM kv WHERE key >= 'case:lead:' AND key < 'case:lead;' "
        "AND json_extract(value, '$.opened') < ? LIMIT ?)"
    ),
    Expiring.OUTBOX: (
        "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE status IN ('sent', 'failed') "
        "AND updated < ? ORDER BY seq LIMIT ?)"
    ),
    Expiring.AUDIT: (
        "DELETE FROM audit WHERE seq IN (SELECT seq FROM audit WHERE json_extract(body, '$.at') < ? "
        "ORDER BY seq LIMIT ?)"
    ),
}


# Tables that may mention a person without being keyed by them: (table, key, columns searched).
SCANNED = (
    ("kv", "key", ("key", "value")),
    ("seen", "id", ("id",)),
    ("outbox", "seq", ("address", "reply")),
    ("inbox", "seq", ("body",)),
)


class SQLitePrivacy:
    db: sqlite3.Connection
    path: Path
    _fresh: dict[str, Any]
    _write: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

    async def forget_mentions(self, mentions: Mentions) -> int:
        if mentions.pattern is None:
            return 0
        self._fresh.clear()  # inbound events cached for ``begin``: read from the table instead
        # The scan is a read on a connection of its own in a worker thread (WAL: it blocks
        # neither the writers nor the event loop); the delete is then one short write by key.
        found = await asyncio.to_thread(self._find, mentions)
        return await self._write(lambda db: self._delete(db, found))

    def _find(self, mentions: Mentions) -> dict[str, list[Any]]:
        if str(self.path) == ":memory:":
            return self._scan(self.db, mentions)
        db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return self._scan(db, mentions)
        finally:
            db.close()

    @staticmethod
    def _scan(db: sqlite3.Connection, mentions: Mentions) -> dict[str, list[Any]]:
        db.create_function("parley_mentions", 1, mentions.found, deterministic=True)
        found: dict[str, list[Any]] = {}
        for table, key, columns in SCANNED:
            where = " OR ".join(f"parley_mentions({c})" for c in columns)
            found[table] = [r[0] for r in db.execute(f"SELECT {key} FROM {table} WHERE {where}")]
        return found

    @staticmethod
    def _delete(db: sqlite3.Connection, found: dict[str, list[Any]]) -> int:
        removed = 0
        for table, key, _ in SCANNED:
            rows = [(k,) for k in found.get(table, ())]
            removed += db.executemany(f"DELETE FROM {table} WHERE {key} = ?", rows).rowcount if rows else 0
        return removed

    async def expire(self, what: Expiring, before: float, limit: int) -> int:
        cur = await self._write(lambda db: db.execute(EXPIRE[what], (before, limit)))
        return cur.rowcount
