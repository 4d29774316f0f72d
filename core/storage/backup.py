"""Online backup and restore of the SQLite store (``bot.py backup PATH``, ``bot.py restore PATH``).

A backup is SQLite's backup API in one step: it copies every page under one read transaction,
so the copy is the database as it stood at one instant, whatever the writers (in this process
or others) do meanwhile, and whatever the write-ahead log holds (WAL readers see committed
pages). The schedule and the analytics live in the same file, so one copy holds them all. The
copy is written beside the target and renamed into place, checked, and self-contained
(journal_mode=DELETE: no -wal file to forget).

A restore overwrites the store's file, so it refuses while a Parley process uses it: every
process writes a heartbeat (``alive:<owner>`` in the key/value table) while it runs, and a
fresh one from a process not certainly dead (core/kernel/liveness.py) stops the restore.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from parley.core.kernel.liveness import Liveness, Owner
from parley.core.storage.privacy import SALT_KEY
from parley.core.storage.store import KeyValueStore, StoreUnavailable

ALIVE = "alive:"  # key/value prefix of the heartbeats
PARLEY_TABLES = {"inbox", "outbox", "state", "profiles", "kv"}


class BackupError(RuntimeError):
    """A backup or restore that cannot be done as asked (one line says why)."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    seconds: float


def backup(source: Path, target: Path) -> Copied:
    if not source.exists():
        raise BackupError(f"no store at {source}")
    started = time.monotonic()
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # pages=-1: one step, one read transaction: a consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")
        _check(dst, partial)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from None
    finally:
        dst.close()
        src.close()
    os.replace(partial, target)
    return Copied(target, target.stat().st_size, time.monotonic() - started)


def running(path: Path, now: float, me: Owner | None = None) -> list[str]:
    """Owners of fresh heartbeats in the store at ``path`` that are not certainly dead."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute(
            "SELECT substr(key, ?), until FROM kv WHERE key >= ? AND key < ?", (len(ALIVE) + 1, ALIVE, "alive;")
        ).fetchall()
    except sqlite3.Error:
        return []  # not a Parley store yet: nothing runs on it
    finally:
        db.close()
    liveness = Liveness(me or Owner.current())
    return [owner for owner, until in rows if (until is None or until > now) and not liveness.dead(owner)]


def restore(source: Path, target: Path, now: float) -> Copied:
    """Replace the store at ``target`` with the backup ``source``; BackupError if the backup is
    not a sound Parley store, or a process still runs on the target."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    started = time.monotonic()
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _check(src, source)
        tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not PARLEY_TABLES <= tables:
            raise BackupError(f"{source} is not a Parley store (tables missing: {sorted(PARLEY_TABLES - tables)})")
        if alive := running(target, now):
            raise BackupError(
                f"Parley is running on {target} ({', '.join(alive)}): stop every process using it, then restore"
            )
        key = pseudonym_key(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)  # through SQLite: the target's WAL and shared memory stay consistent
            if key is not None:  # pseudonyms in the audit log keep meaning the same people
                dst.execute("INSERT OR IGNORE INTO kv(key, value, until) VALUES (?, ?, NULL)", (SALT_KEY, key))
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"restore from {source} failed: {exc}") from None
    finally:
        src.close()
    return Copied(target, target.stat().st_size, time.monotonic() - started)


def erased_since(path: Path, since: float) -> set[str]:
    """Pseudonyms of the people erased in the store at ``path`` after ``since`` (read before a
    restore brings back what they had)."""
    if not path.exists():
        return set()
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT body FROM audit WHERE json_extract(body, '$.action') = 'person.erase'").fetchall()
    except sqlite3.Error:
        return set()
    finally:
        db.close()
    entries = [json.loads(r[0]) for r in rows]
    return {e["target"] for e in entries if e.get("at", 0) > since and e.get("detail") != "nothing held"}


def newest_audit(path: Path) -> float:
    """When the newest audit entry of the store at ``path`` was written (0: none, or not a store:
    ``restore`` says what is wrong with it)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT body FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.Error:
        return 0.0
    finally:
        db.close()
    return json.loads(row[0]).get("at", 0.0) if row else 0.0


def pseudonym_key(path: Path) -> str | None:
    """The audit log's pseudonym key kept in the store at ``path`` (parley.core.privacy.audit)."""
    if not path.exists():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT value FROM kv WHERE key = ?", (SALT_KEY,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        db.close()
    return row[0] if row else None


def _check(db: sqlite3.Connection, path: Path) -> None:
    verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")


async def heartbeat(kv: KeyValueStore, owner: str, every: float) -> None:
    """Say "this process runs on the store" until cancelled (then take it back): what
    ``restore`` refuses to overwrite. A store that does not answer just misses a beat."""
    key = ALIVE + owner
    try:
        while True:
            with contextlib.suppress(StoreUnavailable):
                await kv.put(key, str(os.getpid()), ttl=3 * every)
            await asyncio.sleep(every)
    finally:
        with contextlib.suppress(Exception):
            await kv.delete(key)
