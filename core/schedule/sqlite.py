"""The schedule in SQLite, in the store's file: through the store's own connection and group
commits when opened beside it (``share``), else on a connection of its own (WAL lets both share
the file). Writes go through ``GroupCommit`` (core/storage/sqlite_batch.py).

A claim is one atomic write: expired leases go back to due in their own statement, then ``UPDATE ... RETURNING`` takes the due rows. One counter bump per claim gives
every send in the batch the same fencing token, larger than any it had before.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

from parley.core.schedule import sqlite_people as people
from parley.core.schedule.people_search import PeopleQuery, matches
from parley.core.schedule.store import (
    CANCELLED,
    ERASED,
    LIVE,
    MAX_CLAIM,
    CampaignRecord,
    Claimed,
    PersonEntry,
    ScheduleStats,
    Send,
    Waiting,
    campaign_of,
    campaign_range,
    person_ranges,
)
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.sqlite_beside import Beside
from parley.core.storage.sqlite_schema import upsert
from parley.core.storage.store import StoreUnavailable

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS sched_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO sched_counter(name, value) VALUES ('token', 0);
CREATE TABLE IF NOT EXISTS sched_sends (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, due REAL NOT NULL, token INTEGER NOT NULL DEFAULT 0,
    lease REAL NOT NULL DEFAULT 0, data TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sched_sends_due ON sched_sends(status, due);
CREATE TABLE IF NOT EXISTS sched_counts (campaign TEXT NOT NULL, what TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (campaign, what)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sched_campaigns (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sched_people (person TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
"""
    + people.SCHEMA
)

BUMP = "INSERT INTO sched_counts(campaign, what, n) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n"
PUT_CAMPAIGN = upsert("sched_campaigns", "id")
PUT_PERSON = upsert("sched_people", "person")


class SQLiteScheduleStore(Beside):
    SCHEMA = SCHEMA
    WHAT = "schedule store"

    def __init__(self, path: Path | str, clock=time.time, share: SQLiteStore | None = None) -> None:
        super().__init__(path, share)
        self.clock = clock

    async def open(self) -> None:
        await super().open()
        try:
            people.backfill(self.db)
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"sqlite {self.path}: indexing people failed: {exc}") from None

    async def add(self, sends: list[Send]) -> int:
        return await self._write(lambda db: self._add(db, sends))

    @staticmethod
    def _add(db: sqlite3.Connection, sends: list[Send]) -> int:
        new = 0
        for send in sends:
            cur = db.execute(
                "INSERT OR IGNORE INTO sched_sends(id, status, due, data) VALUES (?, 'due', ?, ?)",
                (send.id, send.due, send.data),
            )
            if cur.rowcount and campaign_of(send.id):
                db.execute(BUMP, (campaign_of(send.id), "planned", 1))
            new += cur.rowcount
        return new

    async def claim(self, limit: int, lease: float, now: float | None = None) -> list[Claimed]:
        now = self.clock() if now is None else now
        return await self._write(lambda db: self._claim(db, limit, lease, now))

    @staticmethod
    def _claim(db: sqlite3.Connection, limit: int, lease: float, now: float) -> list[Claimed]:
        db.execute("UPDATE sched_sends SET status = 'due' WHERE status = 'inflight' AND lease <= ?", (now,))
        token = db.execute(
            "UPDATE sched_counter SET value = value + 1 WHERE name = 'token' RETURNING value"
        ).fetchone()[0]
        rows = db.execute(
            "UPDATE sched_sends SET status = 'inflight', token = ?, lease = ? WHERE id IN "
            "(SELECT id FROM sched_sends WHERE status = 'due' AND due <= ? ORDER BY due LIMIT ?) "
            "RETURNING id, due, data",
            (token, now + lease, now, min(limit, MAX_CLAIM)),
        ).fetchall()
        return sorted((Claimed(i, d, token, data) for i, d, data in rows), key=lambda c: c.due)

    async def ack(self, send_id: str, token: int, outcome: str) -> bool:
        return await self.ack_many([(send_id, token, outcome)]) == 1

    async def ack_many(self, acks: list[tuple[str, int, str]]) -> int:
        return await self._write(lambda db: self._ack_many(db, acks))

    @staticmethod
    def _ack_many(db: sqlite3.Connection, acks: list[tuple[str, int, str]]) -> int:
        held = 0
        for send_id, token, outcome in acks:
            cur = db.execute(
                "UPDATE sched_sends SET status = ?, data = '', token = 0 "
                "WHERE id = ? AND token = ? AND status = 'inflight'",
                (outcome, send_id, token),
            )
            if cur.rowcount and campaign_of(send_id):
                db.execute(BUMP, (campaign_of(send_id), outcome, 1))
            held += cur.rowcount
        return held

    async def reschedule(self, send_id: str, token: int, at: float) -> bool:
        cur = await self._write(
            lambda db: db.execute(
                "UPDATE sched_sends SET status = 'due', due = ?, token = 0 "
                "WHERE id = ? AND token = ? AND status = 'inflight'",
                (at, send_id, token),
            )
        )
        return cur.rowcount == 1

    async def cancel(self, send_id: str) -> bool:
        return await self._write(lambda db: self._cancel(db, send_id))

    @staticmethod
    def _cancel(db: sqlite3.Connection, send_id: str) -> bool:
        row = db.execute("SELECT status FROM sched_sends WHERE id = ?", (send_id,)).fetchone()
        db.execute(
            "INSERT INTO sched_sends(id, status, due, data, token) VALUES (?, ?, 0, '', 0) "
            "ON CONFLICT(id) DO UPDATE SET status = excluded.status, data = '', token = 0",
            (send_id, CANCELLED),
        )
        return bool(row and row[0] in ("due", "inflight"))

    async def status(self, send_id: str) -> str | None:
        row = self.db.execute("SELECT status FROM sched_sends WHERE id = ?", (send_id,)).fetchone()
        return row[0] if row else None

    async def holds(self, send_id: str, token: int) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM sched_sends WHERE id = ? AND token = ? AND status = 'inflight'", (send_id, token)
        ).fetchone()
        return row is not None

    async def stats(self, now: float) -> ScheduleStats:
        # Each a range of the (status, due) index: no scan of finished sends.
        due_now, oldest = self.db.execute(
            "SELECT COUNT(*), MIN(due) FROM sched_sends WHERE status = 'due' AND due <= ?", (now,)
        ).fetchone()
        (later,) = self.db.execute(
            "SELECT COUNT(*) FROM sched_sends WHERE status = 'due' AND due > ?", (now,)
        ).fetchone()
        (inflight,) = self.db.execute("SELECT COUNT(*) FROM sched_sends WHERE status = 'inflight'").fetchone()
        if oldest is None:
            (oldest,) = self.db.execute("SELECT MIN(due) FROM sched_sends WHERE status = 'due'").fetchone()
        return ScheduleStats(due_now, later, inflight, oldest)

    async def due_at(self, send_id: str) -> float | None:
        row = self.db.execute("SELECT due FROM sched_sends WHERE id = ? AND status = 'due'", (send_id,)).fetchone()
        return row[0] if row else None

    async def waiting(self, campaign: str, after: str, limit: int) -> list[Waiting]:
        low, high = campaign_range(campaign)
        rows = self.db.execute(
            # "+status": not the (status, due) index, which would read every waiting send of every
            # campaign; the primary key's range holds this campaign's alone.
            "SELECT id, status, due FROM sched_sends WHERE id >= ? AND id < ? AND id > ? "
            "AND +status IN ('due', 'inflight') ORDER BY id LIMIT ?",
            (low, high, after, limit),
        ).fetchall()
        return [Waiting(i, st, due if st == "due" else None) for i, st, due in rows]

    async def cancel_campaign(self, campaign: str) -> int:
        return await self._write(lambda db: self._cancel_campaign(db, campaign))

    @staticmethod
    def _cancel_campaign(db: sqlite3.Connection, campaign: str) -> int:
        # One statement over the id range (the primary key): a tombstone each, no re-plan revives them.
        low, high = campaign_range(campaign)
        cur = db.execute(
            "UPDATE sched_sends SET status = ?, data = '', token = 0 "
            "WHERE id >= ? AND id < ? AND +status IN ('due', 'inflight')",  # the key's range (see waiting)
            (CANCELLED, low, high),
        )
        if cur.rowcount:
            db.execute(BUMP, (campaign, "skipped:cancelled", cur.rowcount))
        return cur.rowcount

    async def put_campaign(self, record: CampaignRecord) -> None:
        body = record.to_json()
        await self._write(lambda db: db.execute(PUT_CAMPAIGN, (record.id, body)))

    async def campaign(self, campaign: str) -> CampaignRecord | None:
        row = self.db.execute("SELECT body FROM sched_campaigns WHERE id = ?", (campaign,)).fetchone()
        return CampaignRecord.from_json(row[0]) if row else None

    async def campaigns(self) -> list[CampaignRecord]:
        return [CampaignRecord.from_json(r[0]) for r in self.db.execute("SELECT body FROM sched_campaigns ORDER BY id")]

    async def count(self, campaign: str, what: str, n: int = 1) -> None:
        await self._write(lambda db: db.execute(BUMP, (campaign, what, n)))

    async def progress(self, campaign: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT what, n FROM sched_counts WHERE campaign = ?", (campaign,)).fetchall())

    async def put_person(self, entry: PersonEntry) -> None:
        body = entry.to_json()

        def op(db: sqlite3.Connection) -> None:
            db.execute(PUT_PERSON, (entry.person, body))
            people.index_person(db, entry)

        await self._write(op)

    async def person(self, person: str) -> PersonEntry | None:
        row = self.db.execute("SELECT body FROM sched_people WHERE person = ?", (person,)).fetchone()
        return PersonEntry.from_json(row[0]) if row else None

    async def people(self, after: str, limit: int) -> list[PersonEntry]:
        rows = self.db.execute(
            "SELECT body FROM sched_people WHERE person > ? ORDER BY person LIMIT ?", (after, limit)
        ).fetchall()
        return [PersonEntry.from_json(r[0]) for r in rows]

    async def forget_person(self, person: str, conversations: Sequence[str] = ()) -> int:
        def op(db: sqlite3.Connection) -> int:
            people.unindex_person(db, person)
            removed = db.execute("DELETE FROM sched_people WHERE person = ?", (person,)).rowcount
            campaigns = [r[0] for r in db.execute("SELECT id FROM sched_campaigns")]
            for low, high in person_ranges(campaigns, person, conversations):
                # Each a range of the primary key: no scan of other people's sends.
                rows = db.execute(
                    "DELETE FROM sched_sends WHERE id >= ? AND id < ? RETURNING id, status", (low, high)
                ).fetchall()
                removed += len(rows)
                for send_id, status in rows:
                    if status in LIVE and campaign_of(send_id):
                        db.execute(BUMP, (campaign_of(send_id), ERASED, 1))
            return removed

        return await self._write(op)

    async def forget_people(self, people: Sequence[tuple[str, Sequence[str]]]) -> list[int]:
        return [await self.forget_person(person, conversations) for person, conversations in people]

    async def person_sends(self, persons: Sequence[str], conversations: Sequence[str]) -> list[Waiting]:
        campaigns = [r[0] for r in self.db.execute("SELECT id FROM sched_campaigns")]
        out: list[Waiting] = []
        for person in persons:
            for low, high in person_ranges(campaigns, person, conversations):
                rows = self.db.execute(
                    "SELECT id, status, due FROM sched_sends WHERE id >= ? AND id < ? ORDER BY id", (low, high)
                )
                out += [Waiting(i, st, due if st == "due" else None) for i, st, due in rows]
        return sorted(set(out), key=lambda w: w.id)

    async def purge_index(self) -> None:
        await self._write(people.purge)

    async def inactive(self, before: float, limit: int) -> list[str]:
        return people.inactive(self.db, before, limit)

    async def expire_sends(self, before: float, limit: int) -> int:
        cur = await self._write(
            lambda db: db.execute(
                "DELETE FROM sched_sends WHERE id IN (SELECT id FROM sched_sends WHERE status NOT IN "
                "('due', 'inflight', 'cancelled') AND due < ? LIMIT ?)",
                (before, limit),
            )
        )
        return cur.rowcount

    async def recent_people(self, limit: int) -> list[PersonEntry]:
        return [PersonEntry.from_json(body) for body in people.recent(self.db, limit)]

    async def find_people(self, query: PeopleQuery, limit: int) -> list[PersonEntry]:
        if query.empty:
            return await self.people("", limit)
        found = (PersonEntry.from_json(body) for body in people.find(self.db, query, limit))
        return [entry for entry in found if matches(entry, query)]
