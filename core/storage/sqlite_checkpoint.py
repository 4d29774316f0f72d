"""WAL checkpoints on a thread of their own, so the event loop never waits for the disk, and
a WAL that shrinks again after a burst.

SQLite's automatic checkpoint runs inside whichever COMMIT pushes the WAL past 1000 pages: that
COMMIT copies the pages into the database file and fsyncs both files, on the event loop's thread,
every hundred messages or so. On a virtual disk one fsync can take milliseconds, during which no
webhook is answered. The store turns automatic checkpoints off and this thread runs a PASSIVE
checkpoint (it never blocks the writer, it only copies what is committed) every ``every`` seconds
on its own connection; Python's sqlite3 lets go of the GIL while SQLite works.

A PASSIVE checkpoint never makes the WAL file smaller: after a burst it stayed 186 MB beside a
5 MB database, and refilled a small disk. Once a passive checkpoint has copied everything, the WAL
holds nothing anyone needs, so a TRUNCATE checkpoint then has nothing to copy and only cuts the
file to zero: it runs when the WAL is over ``truncate_above`` bytes (after a burst) and every
``truncate_every`` seconds otherwise. It briefly holds the write lock, so it waits for readers
at most ``wait_ms`` and otherwise tries again on the next round.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path

log = logging.getLogger("parley.store")


class Checkpointer:
    def __init__(
        self,
        path: Path,
        every: float = 0.5,
        *,
        truncate_every: float = 60.0,
        truncate_above: int = 4 * 1024 * 1024,
        wait_ms: int = 100,
    ) -> None:
        self.path = path
        self.every = every
        self.truncate_every = truncate_every
        self.truncate_above = truncate_above
        self.wait_ms = wait_ms
        self.truncations = 0  # how many TRUNCATE checkpoints emptied the WAL (tests read it)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def wal(self) -> Path:
        return self.path.with_name(self.path.name + "-wal")

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            self._thread = None

    def _run(self) -> None:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout={self.wait_ms}")
        except sqlite3.Error as exc:
            log.warning("sqlite checkpoints stopped: %s", exc)
            return
        last_truncate = time.monotonic()
        try:
            while not self._stop.wait(self.every):
                try:
                    busy, frames, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if busy or frames <= 0 or copied < frames:
                        continue  # work left to copy first (or nothing in the WAL at all)
                    due = time.monotonic() - last_truncate >= self.truncate_every
                    if due or self._wal_size() > self.truncate_above:
                        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                        if not busy:
                            self.truncations += 1
                            last_truncate = time.monotonic()
                except sqlite3.Error as exc:  # busy or I/O: the WAL just grows until the next try
                    log.info("sqlite checkpoint skipped: %s", exc)
        finally:
            db.close()

    def _wal_size(self) -> int:
        try:
            return self.wal.stat().st_size
        except OSError:
            return 0
