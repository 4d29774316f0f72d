"""``bot.py backup`` under live traffic (a real bot on a real SQLite file, the backup a separate
process), then ``bot.py restore``: every message accepted before the backup began is in the
restored store; a restore refuses while the bot runs; bad paths get one line, no traceback."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from parley.core.kernel.messages import Address, Inbound
from parley.core.privacy.audit import Operator, Via

from parley.app import Bot
from tests.conftest import eventually
from tests.integration.test_cli import bot
from tests.integration.test_startup_errors import one_line

CONVERSATIONS = 60  # messages spread so no transcript drops one (history keeps the last ones)


def texts(path: Path) -> set[str]:
    """Every customer message the store holds: in transcripts, or accepted and waiting."""
    db = sqlite3.connect(path)
    try:
        found = set()
        for (body,) in db.execute("SELECT body FROM state"):
            found |= {e["text"] for e in json.loads(body).get("history", []) if e.get("role") == "user"}
        found |= {json.loads(body)["text"] for (body,) in db.execute("SELECT body FROM inbox")}
        return found
    finally:
        db.close()


async def test_a_backup_taken_under_traffic_restores_every_accepted_message(make_settings, tmp_path):
    db, copy = tmp_path / "live.db", tmp_path / "backups" / "copy.db"
    env = {"PARLEY_STORE_URL": f"sqlite:///{db}"}
    accepted: list[str] = []
    async with Bot(make_settings(store_url=f"sqlite:///{db}")) as app:
        stop = asyncio.Event()

        async def traffic() -> None:
            n = 0
            while not stop.is_set():
                address = Address(channel="web", chat=f"c{n % CONVERSATIONS}", user=f"u{n % CONVERSATIONS}")
                if await app.engine.deliver(Inbound(address=address, event_id=f"e{n}", text=f"msg-{n}")):
                    accepted.append(f"msg-{n}")
                n += 1
                await asyncio.sleep(0.002)

        task = asyncio.create_task(traffic())
        await eventually(lambda: len(accepted) > 100, timeout=30)
        before = list(accepted)  # accepted before the backup began
        made = await asyncio.to_thread(bot, "backup", str(copy), env=env)
        assert made.returncode == 0, made.stderr
        assert "consistent copy" in made.stdout
        await eventually(lambda: len(accepted) > len(before) + 50, timeout=30)  # traffic went on
        refused = await asyncio.to_thread(bot, "restore", str(copy), env=env)
        assert "Parley is running" in one_line(refused) and "stop every process" in refused.stderr
        stop.set()
        await task
    after = accepted[-20:]  # accepted after the backup: the restored store predates them
    assert set(after) <= texts(db)
    restored = bot("restore", str(copy), env=env)
    assert restored.returncode == 0, restored.stderr
    found = texts(db)
    assert set(before) <= found
    assert not set(after) & found
    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()


def test_bad_paths_get_one_line(tmp_path):
    env = {"PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    assert "no store at" in one_line(bot("backup", str(tmp_path / "b.db"), env=env))
    assert "no backup at" in one_line(bot("restore", str(tmp_path / "missing.db"), env=env))
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert "failed" in one_line(bot("restore", str(junk), env=env))
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert "not a Parley store" in one_line(bot("restore", str(other), env=env))
    redis = {"PARLEY_STORE_URL": "redis://127.0.0.1:6379/6"}
    assert "AOF, RDB" in one_line(bot("backup", str(tmp_path / "b.db"), env=redis))


async def test_a_restore_never_brings_back_someone_erased_after_the_backup(make_settings, tmp_path):
    db, copy = tmp_path / "live.db", tmp_path / "copy.db"
    env = {"PARLEY_STORE_URL": f"sqlite:///{db}"}
    ann, bob = Address(channel="web", chat="ann", user="ann"), Address(channel="web", chat="bob", user="bob")
    async with Bot(make_settings(store_url=f"sqlite:///{db}")) as app:
        for who in (ann, bob):
            await app.engine.deliver(Inbound(address=who, event_id=who.user, text=f"hello from {who.user}"))
            await eventually(lambda who=who: app.store.state(who.conversation))
        await app.subject.audit.pseudonyms.of("web:ann")  # the installation's key exists before the backup
        assert (await asyncio.to_thread(bot, "backup", str(copy), env=env)).returncode == 0
        assert await app.subject.erase(ann.person, Operator("dpo", Via.API, "request 9")) is not None
    restored = bot("restore", str(copy), env=env)
    assert restored.returncode == 0 and "1 people erased since the backup" in restored.stdout
    found = texts(db)
    assert "hello from bob" in found and "hello from ann" not in found


async def test_people_export_and_erase_from_the_command_line_are_audited(make_settings, tmp_path):
    db = tmp_path / "live.db"
    env = {"PARLEY_STORE_URL": f"sqlite:///{db}"}
    ann = Address(channel="web", chat="ann", user="ann")
    async with Bot(make_settings(store_url=f"sqlite:///{db}")) as app:
        await app.engine.deliver(Inbound(address=ann, event_id="a1", text="hello from ann"))
        await eventually(lambda: app.store.state(ann.conversation))
        out = tmp_path / "ann.json"
        exported = await asyncio.to_thread(
            bot, "people", "export", ann.person, "--reason", "dsar 7", "--out", str(out), env=env
        )
        assert exported.returncode == 0, exported.stderr
        assert json.loads(out.read_text())["identities"] == [ann.person]
        erased = await asyncio.to_thread(bot, "people", "erase", ann.person, "--reason", "dsar 8", env=env)
        assert erased.returncode == 0 and "1 conversations" in erased.stdout, erased.stderr
        assert await app.store.state(ann.conversation) == {}  # the running bot sees it at once
        entries = [(e.action, e.reason, e.via) for e in await app.store.audit_log(5)]
        assert entries[:2] == [("person.erase", "dsar 8", "cli"), ("person.export", "dsar 7", "cli")]
        again = await asyncio.to_thread(bot, "people", "erase", ann.person, env=env)
        assert again.returncode == 1 and "no data held" in again.stderr and "Traceback" not in again.stderr
        bad = await asyncio.to_thread(bot, "people", "erase", ann.person, "--reason", "a\nb", env=env)
        assert "control" in one_line(bad)
