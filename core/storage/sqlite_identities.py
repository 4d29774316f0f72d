"""``IdentityStore`` on SQLite: SQLiteStore mixes it in. The ``identities`` table and the
profiles' ``version`` column are in sqlite_schema.py (version 3); writes go through the store's
group commit like every other write."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from parley.core.storage.identities import ProfileConflict, Relink

# Every profile write moves its version on (the compare-and-set of commit and relink reads it).
PUT_PROFILE = (
    "INSERT INTO profiles(person, body, version) VALUES (?, ?, 1) ON CONFLICT(person) "
    "DO UPDATE SET body = excluded.body, version = profiles.version + 1"
)


def owners(db: sqlite3.Connection, identities: list[str]) -> dict[str, str]:
    """identity -> person for the linked ones among ``identities``."""
    if not identities:
        return {}
    marks = ",".join("?" * len(identities))
    return dict(db.execute(f"SELECT identity, person FROM identities WHERE identity IN ({marks})", identities))


def check_versions(db: sqlite3.Connection, versions: dict[str, int] | None) -> None:
    for person, version in (versions or {}).items():
        row = db.execute("SELECT version FROM profiles WHERE person = ?", (person,)).fetchone()
        if (row[0] if row else 0) != version:
            raise ProfileConflict(person)


def forget(db: sqlite3.Connection, person: str) -> int:
    """Erase: the person's identities go back to being their own (nothing of them stays linked)."""
    return db.execute("DELETE FROM identities WHERE person = ? OR identity = ?", (person, person)).rowcount


class SQLiteIdentities:
    db: sqlite3.Connection
    _write: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

    async def person_of(self, identity: str) -> str:
        row = self.db.execute("SELECT person FROM identities WHERE identity = ?", (identity,)).fetchone()
        return row[0] if row else identity

    async def identities(self, person: str) -> list[str]:
        owner = await self.person_of(person)
        rows = self.db.execute(
            "SELECT identity FROM identities WHERE person = ? AND identity != ? ORDER BY identity", (owner, person)
        )
        return [person, *(r[0] for r in rows)]

    async def versioned_profile(self, person: str) -> tuple[dict[str, Any], int]:
        row = self.db.execute("SELECT body, version FROM profiles WHERE person = ?", (person,)).fetchone()
        return (json.loads(row[0]), row[1]) if row else ({}, 0)

    async def conversations(self, person: str) -> list[str]:
        rows = self.db.execute("SELECT conversation FROM links WHERE person = ? ORDER BY 1", (person,))
        return [r[0] for r in rows]

    async def relink(self, change: Relink) -> bool:
        return await self._write(lambda db: _relink(db, change))


def _relink(db: sqlite3.Connection, change: Relink) -> bool:
    try:
        check_versions(db, change.expect)
    except ProfileConflict:
        return False
    held = owners(db, list(change.owners))
    if any(held.get(i, i) != p for i, p in change.owners.items()):
        return False
    for identity, person in change.moves.items():
        if not person:
            db.execute("DELETE FROM identities WHERE identity = ?", (identity,))
        else:
            db.execute(
                "INSERT INTO identities(identity, person) VALUES (?, ?) "
                "ON CONFLICT(identity) DO UPDATE SET person = excluded.person",
                (identity, person),
            )
    for person, profile in change.profiles.items():
        if profile is None:
            db.execute("UPDATE profiles SET body = '{}', version = version + 1 WHERE person = ?", (person,))
        else:
            db.execute(PUT_PROFILE, (person, json.dumps(profile)))
    for conversation, (old, new) in change.conversations.items():
        db.execute("DELETE FROM links WHERE person = ? AND conversation = ?", (old, conversation))
        db.execute("INSERT OR IGNORE INTO links(person, conversation) VALUES (?, ?)", (new, conversation))
    return True
