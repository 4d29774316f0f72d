"""WAL checkpoints on a thread of their own, so the event loop never waits for the disk.

SQLite's automatic checkpoint runs inside whichever COMMIT pushes the WAL past 1000 pages: that
COMMIT copies the pages into the database file and fsyncs both files, on the event loop's thread,
every hundred messages or so. On a virtual disk one fsync can take milliseconds, during which no
webhook is answered. The store turns automatic checkpoints off and this thread runs a PASSIVE
checkpoint (it never blocks the writer, it only copies what is committed) every ``every`` seconds
on its own connection; Python's sqlite3 lets go of the GIL while SQLite works.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger("parley.store")


class Checkpointer:
    def __init__(self, path: Path, every: float = 0.5) -> None:
        self.path = path
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        except sqlite3.Error as exc:
            log.warning("sqlite checkpoints stopped: %s", exc)
            return
        try:
            while not self._stop.wait(self.every):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # busy or I/O: the WAL just grows until the next try
                    log.info("sqlite checkpoint skipped: %s", exc)
        finally:
            db.close()
