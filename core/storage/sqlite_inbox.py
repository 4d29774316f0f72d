"""The inbox's SQL (``SQLiteStore`` runs these inside its group commits): accept an event once
(dedupe on its id), and the periodic clean-up of what has expired."""

from __future__ import annotations

import sqlite3

from parley.core.storage.store import InboxItem

SWEEP = 5000  # rows per table a housekeeping pass deletes at most
SENT_KEPT = 7 * 86400.0  # seconds a sent reply stays in the outbox (exports, status callbacks)


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


def housekeeping(db: sqlite3.Connection, now: float, limit: int = SWEEP) -> int:
    """Drop what has expired (every 1,000 accepted events): dedupe marks, key/value entries,
    rate-limit hits, and sent replies older than a week. Each table through its expiry index
    and at most ``limit`` rows per pass: the pass runs inside a group commit on the event loop,
    and a full scan of a week of dedupe marks (a million rows: 120 ms) stalled every webhook.
    Deleting up to ``limit`` per 1,000 events still outpaces what expires. Returns the count."""
    removed = 0
    for table, key, expired in (
        ("seen", "id", "until <= ?"),
        ("kv", "key", "until IS NOT NULL AND until <= ?"),
        ("outbox", "seq", "status = 'sent' AND updated < ?"),
    ):
        cutoff = now - SENT_KEPT if table == "outbox" else now
        removed += db.execute(
            f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} WHERE {expired} LIMIT ?)",
            (cutoff, limit),
        ).rowcount
    removed += db.execute("DELETE FROM hits WHERE until <= ?", (now,)).rowcount  # one row per live window
    return removed
