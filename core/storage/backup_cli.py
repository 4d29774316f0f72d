"""``bot.py backup PATH`` and ``bot.py restore PATH``: the SQLite store's file, online (backup)
and with every Parley process stopped (restore). A restore then erases again everyone erased
since the backup was taken (the audit log says who, by pseudonym), so a backup never brings an
erased person back. Redis has its own persistence (docs/scale-out.md)."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from pathlib import Path

from parley.core.config.settings import Settings
from parley.core.storage import backup as copy
from parley.core.storage.backup import BackupError


def store_file(settings: Settings) -> Path:
    from parley.core.storage import open_store
    from parley.core.storage.sqlite import SQLiteStore

    store = open_store(settings.store_url)
    if not isinstance(store, SQLiteStore):
        raise BackupError(
            f"PARLEY_STORE_URL is not a SQLite file ({settings.store_url.split(':', 1)[0]}): "
            "back Redis up with its own persistence (AOF, RDB snapshots; docs/scale-out.md)"
        )
    return store.path


def backup_cli(settings: Settings, target: str) -> int:
    source = store_file(settings)
    if Path(target).resolve() == source.resolve():
        raise BackupError("the backup must not be the store's own file")
    done = copy.backup(source, Path(target))
    print(f"backup: {done.path} ({done.size:,} bytes, {done.seconds:.2f} s), a consistent copy of {source}")
    if settings.scheduler.store_url:
        print("note: the schedule is in PARLEY_SCHEDULER__STORE_URL: back that Redis up too", file=sys.stderr)
    return 0


def restore_cli(settings: Settings, source: str) -> int:
    target = store_file(settings)
    since = copy.newest_audit(Path(source)) if Path(source).is_file() else 0.0
    erased = copy.erased_since(target, since)
    key = copy.pseudonym_key(target)
    done = copy.restore(Path(source), target, time.time())
    print(f"restore: {target} is now the backup {source} ({done.size:,} bytes)")
    if erased and key:
        again = asyncio.run(_erase_again(settings, target, erased, bytes.fromhex(key)))
        print(f"restore: {again} people erased since the backup was taken were erased again")
    return 0


async def _erase_again(settings: Settings, path: Path, pseudonyms: set[str], key: bytes) -> int:
    from parley.core.privacy.audit import Operator, Via, pseudonym
    from parley.core.privacy.cli import opened_subject

    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        people = {r[0] for r in db.execute("SELECT person FROM profiles UNION SELECT person FROM links")}
        people |= {r[0] for r in db.execute("SELECT person FROM sched_people")}
    finally:
        db.close()
    named = {p for p in people if pseudonym(key, p) in pseudonyms}
    if not named:
        return 0
    async with opened_subject(settings) as subject:
        by = Operator("restore", Via.CLI, "erased after the backup was taken")
        return sum([await subject.erase(person, by) is not None for person in sorted(named)])
