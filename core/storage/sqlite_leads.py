"""``LeadStore`` on SQLite: SQLiteStore mixes it in. One row a lead (the record as JSON beside
the columns its pages are read by); writes go through the store's group commit."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from parley.core.storage.leads import LeadRecord, Outcome

SCHEMA = """
CREATE TABLE IF NOT EXISTS leads (
    id TEXT PRIMARY KEY, person TEXT NOT NULL, created REAL NOT NULL, outcome TEXT NOT NULL, body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS leads_created ON leads(created);
CREATE INDEX IF NOT EXISTS leads_outcome ON leads(outcome, created);
CREATE INDEX IF NOT EXISTS leads_person ON leads(person);
"""


class SQLiteLeads:
    db: sqlite3.Connection
    _write: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

    async def put_lead(self, lead: LeadRecord) -> None:
        await self._write(
            lambda db: db.execute(
                "INSERT INTO leads(id, person, created, outcome, body) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO "
                "UPDATE SET person = excluded.person, created = excluded.created, outcome = excluded.outcome, "
                "body = excluded.body",
                (lead.id, lead.person, lead.created, lead.outcome, lead.to_json()),
            )
        )

    async def lead(self, lead_id: str) -> LeadRecord | None:
        row = self.db.execute("SELECT body FROM leads WHERE id = ?", (lead_id,)).fetchone()
        return LeadRecord.from_json(row[0]) if row else None

    async def leads(self, outcome: Outcome | None, before: float, limit: int) -> list[LeadRecord]:
        # One index range either way: (created) for all, (outcome, created) for one outcome.
        sql, args = "SELECT body FROM leads WHERE created < ?", [before or float("inf")]
        if outcome is not None:
            sql, args = sql + " AND outcome = ?", [*args, outcome.value]
        rows = self.db.execute(sql + " ORDER BY created DESC, id LIMIT ?", (*args, limit))
        return [LeadRecord.from_json(r[0]) for r in rows]

    async def person_leads(self, person: str) -> list[LeadRecord]:
        rows = self.db.execute("SELECT body FROM leads WHERE person = ? ORDER BY created, id", (person,))
        return [LeadRecord.from_json(r[0]) for r in rows]

    async def forget_leads(self, person: str) -> int:
        cur = await self._write(lambda db: db.execute("DELETE FROM leads WHERE person = ?", (person,)))
        return cur.rowcount

    async def expire_leads(self, before: float, limit: int) -> int:
        sql = "DELETE FROM leads WHERE id IN (SELECT id FROM leads WHERE created < ? ORDER BY created, id LIMIT ?)"
        cur = await self._write(lambda db: db.execute(sql, (before, limit)))
        return cur.rowcount
