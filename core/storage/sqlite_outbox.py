"""The outbox's SQL (``SQLiteStore`` runs these inside its group commits): insert replies, with
the first of an idle address leased at once; claim due ones in order per address; settle.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import replace

from parley.core.kernel.messages import Address, Reply
from parley.core.storage.store import Failed, OutboxItem, OutboxStats, Outcome, Retry, Sent

# Is anything of this address unfinished? (answered from the partial index outbox_open)
AHEAD = "SELECT 1 FROM outbox WHERE akey = ? AND status IN ('pending', 'sending') LIMIT 1"


def fencing_token() -> int:
    """Fencing only needs each lease's token to differ from the previous holder's, and 62
    random bits do that without a counter row every transaction rewrites."""
    return secrets.randbits(62) + 1


def insert(
    db: sqlite3.Connection, items: list[OutboxItem], now: float, lease: float = 0.0, owner: str = ""
) -> tuple[int, list[OutboxItem]]:
    """Insert the items whose id is new (returns how many); with ``lease``, those that may
    go at once are stored leased (see ``commit``) and returned too."""
    leased: list[OutboxItem] = []
    new, token, blocked = 0, 0, set()
    for item in items:
        key = item.address.conversation
        # Only the first reply of an address, and only if nothing of it is unfinished
        # (the partial index outbox_open holds exactly those rows).
        go = lease > 0 and key not in blocked and item.due_at <= now and not db.execute(AHEAD, (key,)).fetchone()
        blocked.add(key)
        if go and not token:
            token = fencing_token()
        cur = db.execute(
            "INSERT OR IGNORE INTO outbox(id, akey, person, address, reply, due, status, attempts, "
            "max_attempts, token, lease, error, platform_id, updated, owner) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?)",
            (
                item.id,
                key,
                item.address.person,
                item.address.model_dump_json(),
                item.reply.model_dump_json(),
                item.due_at,
                "sending" if go else "pending",
                item.attempts,
                item.max_attempts,
                token if go else 0,
                now + lease if go else 0,
                now,
                owner if go else "",
            ),
        )
        new += cur.rowcount
        if go and cur.rowcount:
            leased.append(replace(item, token=token, seq=cur.lastrowid or 0))
    return new, leased


def claim(db: sqlite3.Connection, now: float, limit: int, lease: float, owner: str = "") -> list[OutboxItem]:
    # Two index walks instead of one OR (which read and sorted every due row): pending
    # items in seq order (stop at the limit), and expired leases, few by nature.
    head = (
        "SELECT seq, id, address, reply, due, attempts, max_attempts FROM outbox o INDEXED BY {} "
        "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.akey = o.akey AND p.seq < o.seq "
        "AND p.status IN ('pending', 'sending')) ORDER BY seq LIMIT ?"
    )
    rows = db.execute(head.format("outbox_leased WHERE status = 'sending' AND lease <= ?"), (now, limit)).fetchall()
    rows += db.execute(head.format("outbox_pending WHERE status = 'pending' AND due <= ?"), (now, limit)).fetchall()
    rows = sorted(rows)[:limit]
    out = []
    for seq, item_id, address, reply, due, attempts, max_attempts in rows:
        token = fencing_token()
        db.execute(
            "UPDATE outbox SET status = 'sending', token = ?, lease = ?, updated = ?, owner = ? WHERE seq = ?",
            (token, now + lease, now, owner, seq),
        )
        out.append(
            OutboxItem(
                item_id,
                Address.model_validate_json(address),
                Reply.model_validate_json(reply),
                due,
                attempts,
                token,
                seq,
                max_attempts,
            )
        )
    return out


def release_dead(db: sqlite3.Connection, dead: Callable[[str], bool], now: float) -> int:
    """Free the locks and outbox leases of owners ``dead`` says are gone (Store.release_dead).
    Runs at start-up: the held locks and leases are the work in flight, a few rows."""
    held = db.execute(
        "SELECT owner FROM locks WHERE until > ? AND owner != '' UNION "
        "SELECT owner FROM outbox INDEXED BY outbox_leased WHERE status = 'sending' AND lease > ? AND owner != ''",
        (now, now),
    ).fetchall()
    freed = 0
    for (owner,) in held:
        if dead(owner):
            freed += db.execute("DELETE FROM locks WHERE owner = ? AND until > ?", (owner, now)).rowcount
            freed += db.execute(
                "UPDATE outbox SET lease = ? WHERE status = 'sending' AND owner = ? AND lease > ?", (now, owner, now)
            ).rowcount
    return freed


def settle(db: sqlite3.Connection, item_id: str, token: int, outcome: Outcome, now: float) -> bool:
    if isinstance(outcome, Sent):
        sql, args = "status = 'sent', platform_id = ?", (outcome.platform_id,)
    elif isinstance(outcome, Retry):
        sql = "status = 'pending', due = ?, attempts = attempts + ?, error = ?"
        args = (outcome.at, 1 if outcome.counts else 0, outcome.error)
    elif isinstance(outcome, Failed):
        sql, args = "status = 'failed', error = ?", (outcome.error,)
    cur = db.execute(
        f"UPDATE outbox SET {sql}, updated = ? WHERE id = ? AND token = ? AND status = 'sending'",
        (*args, now, item_id, token),
    )
    return cur.rowcount == 1


def outbox_stats(db: sqlite3.Connection) -> OutboxStats:
    """Items by status, failures by error, and the earliest due of a pending one."""
    stats = OutboxStats()
    for status, count in db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"):
        setattr(stats, status, count)
    for error, count in db.execute("SELECT error, COUNT(*) FROM outbox WHERE status = 'failed' GROUP BY error"):
        stats.errors[error] = count
    (stats.oldest_due,) = db.execute("SELECT MIN(due) FROM outbox WHERE status = 'pending'").fetchone()
    return stats
