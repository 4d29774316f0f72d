"""Tables of another part of Parley (the schedule, the analytics) in the store's SQLite file.

With ``share`` (the conversation store on the same file) they use its connection and its group
commits, so one transaction carries both. Two connections writing one file in turn each find the
other's commit on their next transaction and drop their page cache, and each pays its own commit.
Without it (a file of their own, the CLI), a connection of their own with its own group commits.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from parley.core.storage.sqlite import SQLiteStore, connect
from parley.core.storage.sqlite_batch import GroupCommit
from parley.core.storage.store import StoreUnavailable


class Beside:
    SCHEMA = ""  # the subclass's tables, created if missing
    WHAT = "store"  # for the "closed" message

    def __init__(self, path: Path | str, share: SQLiteStore | None = None) -> None:
        self.path = Path(path)
        self.share = share
        self._db: sqlite3.Connection | None = None
        self._write = share._write if share is not None else GroupCommit(lambda: self.db).run

    async def open(self) -> None:
        if self.share is not None:
            try:
                self.share.db.executescript(self.SCHEMA)
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"sqlite {self.path}: {exc}") from None
        else:
            self._db = connect(self.path, self.SCHEMA)

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def db(self) -> sqlite3.Connection:
        if self.share is not None:
            return self.share.db
        if self._db is None:
            raise StoreUnavailable(f"{self.WHAT} is closed")
        return self._db
