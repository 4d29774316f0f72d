"""A connection of its own on a worker thread, for the reads that walk a whole table.

The outbox's counts by status (``/metrics`` samples them every 15 s, core/http/ops.py) read
every row the outbox keeps, a week of sent replies: on the event loop's connection that read
held the loop for as long as it took, and every webhook and reply waited. In WAL mode a second
connection reads a committed snapshot while the loop's connection goes on writing, and Python's
sqlite3 lets go of the GIL while SQLite works, so the loop does not wait for it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from parley.core.storage.store import StoreUnavailable

T = TypeVar("T")


class Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one read at a time; ``close`` waits for it
        self._closed = False

    async def run(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """``query(db)`` on the reader's connection, on a worker thread."""
        return await asyncio.to_thread(self._run, query)

    def _run(self, query: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            if self._closed:  # closed while this read waited for a thread: open nothing again
                raise StoreUnavailable("store is closed")
            try:
                if self._db is None:
                    self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                    self._db.execute("PRAGMA busy_timeout=5000")
                return query(self._db)
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"sqlite {self.path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None
