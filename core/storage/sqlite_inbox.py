"""The inbox's SQL (``SQLiteStore`` runs these inside its group commits): accept an event once
(dedupe on its id), and the periodic clean-up of what has expired."""

from __future__ import annotations

import sqlite3

from parley.core.storage.store import InboxItem


def accept_event(db: sqlite3.Connection, item: InboxItem, body: str, now: float, dedupe_ttl: float) -> bool:
    """Note the event's id (dedupe) and, if it is new, put it in the inbox; True if new."""
    cur = db.execute(
        "INSERT INTO seen(id, until) VALUES (?, ?) ON CONFLICT(id) DO UPDATE "
        "SET until = excluded.until WHERE seen.until <= ?",
        (item.id, now + dedupe_ttl, now),
    )
    if cur.rowcount == 0:
        return False
    db.execute(
        "INSERT INTO inbox(id, conversation, person, body, accepted_at) VALUES (?, ?, ?, ?, ?)",
        (item.id, item.conversation, item.inbound.address.person, body, item.accepted_at),
    )
    return True


def housekeeping(db: sqlite3.Connection, now: float) -> None:
    """Drop what has expired (every 1,000 accepted events): dedupe marks, key/value entries,
    rate-limit hits, and sent replies older than a week."""
    db.execute("DELETE FROM seen WHERE until <= ?", (now,))
    db.execute("DELETE FROM kv WHERE until IS NOT NULL AND until <= ?", (now,))
    db.execute("DELETE FROM hits WHERE until <= ?", (now,))
    db.execute("DELETE FROM outbox WHERE status = 'sent' AND updated < ?", (now - 7 * 86400,))
