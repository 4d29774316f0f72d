"""Analytics in SQLite, in the store's file (parley.core.storage.sqlite_beside).

The primary key leads with the combination and then the day, so a page's read is one range of
one B-tree: (channel, locale, persona, day between ...), a few hundred rows for a quarter.
"""

from __future__ import annotations

import sqlite3

from parley.core.analytics.store import Cell, Question, Row
from parley.core.privacy.mentions import Mentions
from parley.core.storage.sqlite_beside import Beside

SCHEMA = """
CREATE TABLE IF NOT EXISTS analytics (
    channel TEXT NOT NULL, locale TEXT NOT NULL, persona TEXT NOT NULL, day TEXT NOT NULL,
    metric TEXT NOT NULL, detail TEXT NOT NULL, value REAL NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (channel, locale, persona, day, metric, detail)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS analytics_questions (
    day TEXT NOT NULL, locale TEXT NOT NULL, text TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (day, locale, text)) WITHOUT ROWID;
"""
ADD = (
    "INSERT INTO analytics(channel, locale, persona, day, metric, detail, value, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT DO UPDATE SET value = value + excluded.value, n = n + excluded.n"
)
ASKED = (
    "INSERT INTO analytics_questions(day, locale, text, n) VALUES (?, ?, ?, ?) "
    "ON CONFLICT DO UPDATE SET n = n + excluded.n"
)


class SQLiteAnalyticsStore(Beside):
    SCHEMA = SCHEMA
    WHAT = "analytics store"

    async def add(self, cells: dict[Cell, tuple[float, int]]) -> None:
        rows = [(c.channel, c.locale, c.persona, c.day, c.metric, c.detail, v, n) for c, (v, n) in cells.items()]
        if rows:
            await self._write(lambda db: db.executemany(ADD, rows))

    async def rows(self, first: str, last: str, channel: str, locale: str, persona: str) -> list[Row]:
        found = self.db.execute(
            "SELECT day, metric, detail, value, n FROM analytics WHERE channel = ? AND locale = ? AND persona = ? "
            "AND day BETWEEN ? AND ? ORDER BY day, metric, detail",
            (channel, locale, persona, first, last),
        ).fetchall()
        return [Row(*r) for r in found]

    async def add_questions(self, day: str, questions: dict[tuple[str, str], int]) -> None:
        rows = [(day, locale, text, n) for (locale, text), n in questions.items()]
        if rows:
            await self._write(lambda db: db.executemany(ASKED, rows))

    async def questions(self, first: str, last: str, limit: int) -> list[Question]:
        found = self.db.execute(
            "SELECT text, locale, SUM(n) AS total FROM analytics_questions WHERE day BETWEEN ? AND ? "
            "GROUP BY locale, text ORDER BY total DESC, locale, text LIMIT ?",
            (first, last, limit),
        ).fetchall()
        return [Question(t, loc, int(n)) for t, loc, n in found]

    async def forget_questions(self, mentions: Mentions) -> int:
        def op(db: sqlite3.Connection) -> int:
            db.create_function("parley_mentions", 1, mentions.in_text, deterministic=True)
            return db.execute("DELETE FROM analytics_questions WHERE parley_mentions(text)").rowcount

        return await self._write(op)
