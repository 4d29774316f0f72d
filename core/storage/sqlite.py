"""The embedded default: one SQLite file in WAL mode.

Calls run on the event loop thread on purpose: each statement takes microseconds on a local
file, less than the thread hop aiosqlite would add per call. WAL with synchronous=NORMAL keeps
commits durable across a process crash (an OS crash may lose the last few). Every write goes
through ``GroupCommit``: it is atomic on its own and shares one ``BEGIN IMMEDIATE`` transaction
with the other writes of the same loop iteration, or of the next millisecond while writes come
several at a time (sqlite_batch.py says why). The outbox's SQL is in sqlite_outbox.py, the
schema and its upgrades in sqlite_schema.py, the console's accounts in sqlite_accounts.py.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parley.core.kernel.messages import Inbound
from parley.core.storage.codec import decode, encode
from parley.core.storage.sqlite_accounts import SQLiteAccounts
from parley.core.storage.sqlite_batch import GroupCommit
from parley.core.storage.sqlite_checkpoint import Checkpointer
from parley.core.storage.sqlite_identities import PUT_PROFILE, SQLiteIdentities, check_versions, forget, owners
from parley.core.storage.sqlite_inbox import accept_event, housekeeping
from parley.core.storage.sqlite_leads import SCHEMA as LEADS
from parley.core.storage.sqlite_leads import SQLiteLeads
from parley.core.storage.sqlite_outbox import claim, fencing_token, insert, outbox_stats, release_dead, settle
from parley.core.storage.sqlite_privacy import SQLitePrivacy
from parley.core.storage.sqlite_reader import Reader
from parley.core.storage.sqlite_schema import SCHEMA, upgrade, upsert
from parley.core.storage.store import (
    Batch,
    InboxItem,
    LockLost,
    OutboxItem,
    OutboxStats,
    Outcome,
    Sent,
    StoreUnavailable,
    StoreUnusable,
)

FRESH = 4096
# After a write failed in the file (disk full), readiness stays 503 this long even if the probe's
# one small row fits: the next real write (a reply, an event) is bigger and would fail.
RECENT_FAILURE = 5.0
PROBE = (
    "INSERT INTO kv(key, value, until) VALUES ('parley:probe', ?, NULL) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
WAL_LIMIT = 4 * 1024 * 1024  # bytes the WAL is cut back to when a writer restarts it
PUT_STATE = upsert("state", "conversation")
Fresh = Callable[[str, None], Inbound | None]  # an item id -> its Inbound, if at hand


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """A WAL connection to ``path`` with ``schema`` applied (the schedule shares the file)."""
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")  # several processes may share one file
        # Erased rows are zeroed in the pages written anyway, not left readable in the file
        # (FAST: never at the price of extra I/O; docs/privacy.md says what remains where).
        db.execute("PRAGMA secure_delete=FAST")
        # Without a limit the WAL keeps the size of the largest burst for ever (186 MB beside a
        # 5 MB database was seen); with it, the writer cuts it back when it starts it over.
        db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
        db.executescript(schema)
    except sqlite3.Error as exc:
        # A file that cannot be opened or written at start-up (read-only, not a database) will
        # not fix itself: say so at once rather than wait for it.
        kind = StoreUnavailable if "locked" in str(exc) else StoreUnusable
        raise kind(f"sqlite {path}: {exc}") from None
    return db


class SQLiteStore(SQLiteAccounts, SQLiteLeads, SQLiteIdentities, SQLitePrivacy):
    def __init__(
        self, path: Path | str, clock=time.time, *, owner: str = "", checkpointer: Checkpointer | None = None
    ) -> None:
        self.path = Path(path)
        self.clock = clock
        self.owner = owner  # recorded on every lock and lease this store takes (liveness.py)
        self._db: sqlite3.Connection | None = None
        self._accepts = 0
        # Inbound events this process accepted and has not begun yet: ``begin`` takes them from
        # here instead of parsing the stored JSON again (bounded: cleared past FRESH entries).
        self._fresh: dict[str, Inbound] = {}
        # Checkpoints run on their own thread (sqlite_checkpoint.py); ":memory:" has no WAL.
        self._checkpointer = checkpointer or (Checkpointer(self.path) if str(self.path) != ":memory:" else None)
        self._reader: Reader | None = None  # made by ``open`` (a reopened store gets a new one)
        self._group = GroupCommit(lambda: self.db)
        self._write = self._group.run

    async def open(self) -> None:
        self._db = connect(self.path, SCHEMA + LEADS)
        self._reader = Reader(self.path) if str(self.path) != ":memory:" else None
        try:
            upgrade(self._db)
        except sqlite3.Error as exc:
            self._db.close()
            self._db = None
            raise StoreUnusable(f"sqlite {self.path}: upgrade failed: {exc}") from None
        if self._checkpointer is not None:
            self._db.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's thread does it
            self._checkpointer.start()

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._reader is not None:
            self._reader.close()
        if self._db is not None:
            self._db.close()  # the last connection to close checkpoints what is left
            self._db = None

    async def ping(self) -> None:
        """A real write (one row, through the group commit), and no write failure just before:
        a store that can read but not write is not ready (webhooks would answer 503)."""
        now = self.clock()
        await self._write(lambda db: db.execute(PROBE, (str(now),)))
        recent = self._group.failed_within(RECENT_FAILURE)
        if recent is not None:
            raise StoreUnavailable(f"sqlite {self.path}: writes failing ({recent})")

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreUnavailable("store is closed")
        return self._db

    # -- inbox -------------------------------------------------------------------------------
    async def accept(self, item: InboxItem, dedupe_ttl: float) -> bool:
        now = self.clock()
        body = item.inbound.model_dump_json()
        if not await self._write(lambda db: accept_event(db, item, body, now, dedupe_ttl)):
            return False
        self._remember(item)
        await self._accepted(now)
        return True

    async def accept_begin(self, item: InboxItem, dedupe_ttl: float, lease: float, limit: int):
        """AcceptsAndBegins: the accept and the begin as one write of the group commit (one
        future and one wake-up less per turn); begin runs at ``item.accepted_at``."""
        now = item.accepted_at
        body = item.inbound.model_dump_json()
        known = {item.id: item.inbound}  # begin takes the item as it is, not parsed back

        def op(db: sqlite3.Connection) -> tuple[bool, Batch | None]:
            if not accept_event(db, item, body, now, dedupe_ttl):
                return False, None
            return True, self._begin(db, item.conversation, lease, limit, now, True, known.get)

        new, batch = await self._write(op)
        if new:
            if batch is None:  # the lock is held elsewhere: a later begin takes the item
                self._remember(item)
            await self._accepted(now)
        return new, batch

    def _remember(self, item: InboxItem) -> None:
        if len(self._fresh) >= FRESH:
            self._fresh.clear()
        self._fresh[item.id] = item.inbound

    async def _accepted(self, now: float) -> None:
        self._accepts += 1
        if self._accepts % 1000 == 0:
            await self._write(lambda db: housekeeping(db, now))

    async def begin(self, conversation, lease, limit, now, reclaim=False) -> Batch | None:
        return await self._write(lambda db: self._begin(db, conversation, lease, limit, now, reclaim))

    def _begin(
        self, db: sqlite3.Connection, conversation, lease, limit, now, reclaim, known: Fresh | None = None
    ) -> Batch | None:
        """``known``: where to find the inbound of an item id already parsed (else ``_fresh``)."""
        token = fencing_token()
        mine = self.owner if reclaim else ""  # '' matches no holder: nothing to reclaim
        taken = db.execute(
            "INSERT INTO locks(conversation, token, until, owner) VALUES (?, ?, ?, ?) ON CONFLICT(conversation) "
            "DO UPDATE SET token = excluded.token, until = excluded.until, owner = excluded.owner "
            "WHERE locks.until <= ? OR (locks.owner = ? AND locks.owner != '')",
            (conversation, token, now + lease, self.owner, now, mine),
        ).rowcount
        if not taken:
            return None  # held by someone whose lease has not expired
        rows = db.execute(
            "SELECT id, body, accepted_at, seq FROM inbox WHERE conversation = ? ORDER BY seq LIMIT ?",
            (conversation, limit),
        ).fetchall()
        fresh = known or self._fresh.pop
        items = [
            InboxItem(r[0], conversation, fresh(r[0], None) or Inbound.model_validate_json(r[1]), r[2], r[3])
            for r in rows
        ]
        st = db.execute("SELECT body FROM state WHERE conversation = ?", (conversation,)).fetchone()
        people = self._owners(db, sorted({i.inbound.address.person for i in items}))
        persons = sorted({people.get(i.inbound.address.person, i.inbound.address.person) for i in items})
        profiles: dict[str, dict[str, Any]] = {p: {} for p in persons}
        versions = dict.fromkeys(persons, 0)
        if persons:
            marks = ",".join("?" * len(persons))
            query = f"SELECT person, body, version FROM profiles WHERE person IN ({marks})"
            for person, body, version in db.execute(query, persons):
                profiles[person], versions[person] = decode(body), version
        return Batch(token, items, decode(st[0]) if st else {}, profiles, people, versions)

    _owners = staticmethod(owners)  # who each identity is (linked ones only): one indexed read

    async def commit(self, conversation, token, done, state, profiles, outbox, release=False, lease=0.0, versions=None):
        return await self._write(
            lambda db: self._commit(db, conversation, token, done, state, profiles, outbox, release, lease, versions)
        )

    def _commit(
        self, db, conversation, token, done, state, profiles, outbox, release, lease, versions=None
    ) -> list[OutboxItem]:
        # Fencing first, before any write: the last turn of a batch checks and frees the lock in
        # one statement.
        now = self.clock()
        if release:
            held = db.execute(
                "DELETE FROM locks WHERE conversation = ? AND token = ? AND until > ?", (conversation, token, now)
            ).rowcount
        else:
            held = db.execute(
                "SELECT 1 FROM locks WHERE conversation = ? AND token = ? AND until > ?", (conversation, token, now)
            ).fetchone()
        if not held:
            raise LockLost(conversation)
        check_versions(db, versions)  # raising rolls this write back alone (sqlite_batch.py)
        db.execute(PUT_STATE, (conversation, encode(state)))
        for person, profile in profiles.items():
            db.execute(PUT_PROFILE, (person, encode(profile)))
            db.execute("INSERT OR IGNORE INTO links(person, conversation) VALUES (?, ?)", (person, conversation))
        _, leased = insert(db, outbox, now, lease, self.owner)
        db.execute("DELETE FROM inbox WHERE conversation = ? AND id = ?", (conversation, done))
        return leased

    async def release(self, conversation: str, token: int) -> None:
        await self._write(
            lambda db: db.execute("DELETE FROM locks WHERE conversation = ? AND token = ?", (conversation, token))
        )

    async def stale(self, accepted_before: float, limit: int) -> list[str]:
        rows = self.db.execute(
            "SELECT conversation, MIN(seq) s FROM inbox WHERE accepted_at < ? GROUP BY conversation ORDER BY s LIMIT ?",
            (accepted_before, limit),
        ).fetchall()
        return [r[0] for r in rows]

    # -- outbox ------------------------------------------------------------------------------
    async def enqueue(self, items: list[OutboxItem]) -> int:
        return await self._write(lambda db: insert(db, items, self.clock())[0])

    async def claim(self, now: float, limit: int, lease: float) -> list[OutboxItem]:
        return await self._write(lambda db: claim(db, now, limit, lease, self.owner))

    async def settle(self, item_id: str, token: int, outcome: Outcome, now: float) -> bool:
        # A sent message's record commits at once: until it does, a crash sends it again on a
        # platform without an idempotency key (docs/faults.md), and the next loop iteration
        # was 25 ms away (median) under the chaos suite's load. Where a re-send shows nothing
        # twice (``Sent.deduped``: the web chat) it shares the next group commit instead of
        # paying a transaction of its own per reply.
        urgent = isinstance(outcome, Sent) and not outcome.deduped
        return await self._group.run(lambda db: settle(db, item_id, token, outcome, now), now=urgent)

    async def release_dead(self, dead, now: float) -> int:
        return await self._write(lambda db: release_dead(db, dead, now))

    async def outbox_stats(self) -> OutboxStats:
        # Off the event loop (sqlite_reader.py says why), but for ":memory:", which only this
        # connection can see.
        db = self.db  # a closed store refuses here, not on the reader's thread
        if self._reader is None:
            return outbox_stats(db)
        return await self._reader.run(outbox_stats)

    # -- key/value ---------------------------------------------------------------------------
    async def get(self, key: str) -> str | None:
        row = self.db.execute(
            "SELECT value FROM kv WHERE key = ? AND (until IS NULL OR until > ?)", (key, self.clock())
        ).fetchone()
        return row[0] if row else None

    async def put(self, key: str, value: str, ttl: float | None = None) -> None:
        until = self.clock() + ttl if ttl else None
        await self._write(
            lambda db: db.execute(
                "INSERT INTO kv(key, value, until) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, until = excluded.until",
                (key, value, until),
            )
        )

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        now = self.clock()
        cur = await self._write(
            lambda db: db.execute(
                "INSERT INTO kv(key, value, until) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                "SET value = excluded.value, until = excluded.until WHERE kv.until IS NOT NULL AND kv.until <= ?",
                (key, value, now + ttl if ttl else None, now),
            )
        )
        return cur.rowcount == 1

    async def delete(self, key: str) -> None:
        await self._write(lambda db: db.execute("DELETE FROM kv WHERE key = ?", (key,)))

    # -- people ------------------------------------------------------------------------------
    async def profile(self, person: str) -> dict[str, Any]:
        row = self.db.execute("SELECT body FROM profiles WHERE person = ?", (person,)).fetchone()
        return decode(row[0]) if row else {}

    async def save_profile(self, person: str, profile: dict[str, Any]) -> None:
        body = encode(profile)
        await self._write(lambda db: db.execute(PUT_PROFILE, (person, body)))

    async def state(self, conversation: str) -> dict[str, Any]:
        row = self.db.execute("SELECT body FROM state WHERE conversation = ?", (conversation,)).fetchone()
        return decode(row[0]) if row else {}

    async def export_person(self, person: str) -> dict[str, Any]:
        convs = [r[0] for r in self.db.execute("SELECT conversation FROM links WHERE person = ? ORDER BY 1", (person,))]
        return {
            "person": person,
            "profile": await self.profile(person),
            "conversations": {c: await self.state(c) for c in convs},
            "outbox": [
                {"id": i, "text": json.loads(r)["text"], "status": s}
                for i, r, s in self.db.execute(
                    "SELECT id, reply, status FROM outbox WHERE person = ? ORDER BY seq", (person,)
                )
            ],
        }

    async def erase_person(self, person: str) -> int:
        return await self._write(lambda db: self._erase(db, person))

    @staticmethod
    def _erase(db: sqlite3.Connection, person: str) -> int:
        convs = [r[0] for r in db.execute("SELECT conversation FROM links WHERE person = ?", (person,))]
        removed = db.execute("DELETE FROM profiles WHERE person = ?", (person,)).rowcount
        for conv in convs:
            removed += db.execute("DELETE FROM state WHERE conversation = ?", (conv,)).rowcount
        db.execute("DELETE FROM links WHERE person = ?", (person,))
        forget(db, person)
        removed += db.execute("DELETE FROM outbox WHERE person = ?", (person,)).rowcount
        removed += db.execute("DELETE FROM inbox WHERE person = ?", (person,)).rowcount
        return removed
