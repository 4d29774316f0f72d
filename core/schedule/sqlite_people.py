"""People search on SQLite: an FTS5 table beside ``sched_people`` holding each entry's folded
words (name and handle), tags, locale and channel, one column each. A search is one MATCH with a
LIMIT: SQLite walks the index and stops at the limit, however many people there are.

The FTS row's id is a 63-bit BLAKE2b digest of the person's id, so an update replaces and an
erasure deletes by rowid without a lookup table (a collision needs about 3 billion people)."""

from __future__ import annotations

import hashlib
import sqlite3

from parley.core.schedule.people_search import PeopleQuery, name_words, normal_tag, token
from parley.core.schedule.store import PersonEntry

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS sched_people_fts USING fts5(
    person UNINDEXED, names, tags, locale, channel, tokenize = "unicode61 remove_diacritics 2 tokenchars '_'");
-- The console's live list: the most recently seen first, from an index on the entry's own field.
CREATE INDEX IF NOT EXISTS sched_people_seen ON sched_people(json_extract(body, '$.last_seen'));
"""


def recent(db: sqlite3.Connection, limit: int) -> list[str]:
    rows = db.execute("SELECT body FROM sched_people ORDER BY json_extract(body, '$.last_seen') DESC LIMIT ?", (limit,))
    return [r[0] for r in rows]


def inactive(db: sqlite3.Connection, before: float, limit: int) -> list[str]:
    """People last seen before ``before``, the longest silent first (the last-seen index)."""
    rows = db.execute(
        "SELECT person FROM sched_people WHERE json_extract(body, '$.last_seen') > 0 "
        "AND json_extract(body, '$.last_seen') < ? ORDER BY json_extract(body, '$.last_seen') LIMIT ?",
        (before, limit),
    )
    return [r[0] for r in rows]


def rowid(person: str) -> int:
    return int.from_bytes(hashlib.blake2b(person.encode(), digest_size=8).digest(), "big") >> 1


def index_person(db: sqlite3.Connection, entry: PersonEntry) -> None:
    db.execute(
        "INSERT OR REPLACE INTO sched_people_fts(rowid, person, names, tags, locale, channel) VALUES (?, ?, ?, ?, ?, ?)",
        (
            rowid(entry.person),
            entry.person,
            " ".join(name_words(entry)),
            " ".join(normal_tag(t) for t in entry.tags),
            token(entry.locale),
            token(entry.address.channel),
        ),
    )


def unindex_person(db: sqlite3.Connection, person: str) -> None:
    db.execute("DELETE FROM sched_people_fts WHERE rowid = ?", (rowid(person),))


def purge(db: sqlite3.Connection) -> None:
    """Rewrite the search index without what was deleted from it. FTS5 keeps a deleted row's
    words in its segments until they merge (SQLite 3.42's 'secure-delete' is newer than many
    systems' SQLite), so an erasure merges them all now: 0.17 s for 200,000 people here."""
    db.execute("INSERT INTO sched_people_fts(sched_people_fts) VALUES ('optimize')")


def expression(query: PeopleQuery) -> str:
    """The MATCH expression: terms are ``\\w+`` words and tokens (quoted all the same), so nothing
    a user types can change the expression's shape."""
    parts = [f'names : "{term}" *' for term in query.terms]
    for column, value in (("tags", normal_tag(query.tag)), ("locale", token(query.locale))):
        if value:
            parts.append(f'{column} : "{value}"')
    if token(query.channel):
        parts.append(f'channel : "{token(query.channel)}"')
    return " AND ".join(parts)


def backfill(db: sqlite3.Connection) -> None:
    """Index the entries of a file made before the search index existed (once: at the first open
    that finds the index empty and people in the file)."""
    if db.execute("SELECT 1 FROM sched_people_fts LIMIT 1").fetchone():
        return
    rows = db.execute("SELECT body FROM sched_people").fetchall()
    if not rows:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        for (body,) in rows:
            index_person(db, PersonEntry.from_json(body))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def find(db: sqlite3.Connection, query: PeopleQuery, limit: int) -> list[str]:
    """The bodies of up to ``limit`` entries matching ``query`` (which must not be empty)."""
    match = expression(query)
    if not match:  # a tag or language of punctuation alone: no word of it can match
        return []
    rows = db.execute(
        "SELECT p.body FROM sched_people_fts f JOIN sched_people p ON p.person = f.person "
        "WHERE sched_people_fts MATCH ? LIMIT ?",
        (match, limit),
    )
    return [r[0] for r in rows]
