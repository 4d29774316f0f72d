"""A file written by the previous schema opens under the current one with nothing lost."""

from __future__ import annotations

import sqlite3

from parley.core.kernel.messages import Address, Inbound
from parley.core.storage.identities import Relink
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.sqlite_schema import VERSION
from parley.core.storage.store import InboxItem

# The tables as version 0 created them (rowid tables with a TEXT PRIMARY KEY; inbox ids unique).
OLD = """
CREATE TABLE seen (id TEXT PRIMARY KEY, until REAL NOT NULL);
CREATE TABLE inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, conversation TEXT NOT NULL,
    person TEXT NOT NULL, body TEXT NOT NULL, accepted_at REAL NOT NULL);
CREATE INDEX inbox_conversation ON inbox(conversation, seq);
CREATE TABLE locks (conversation TEXT PRIMARY KEY, token INTEGER NOT NULL, until REAL NOT NULL);
CREATE TABLE state (conversation TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE links (person TEXT NOT NULL, conversation TEXT NOT NULL, PRIMARY KEY (person, conversation));
"""

ADDRESS = Address(channel="webchat", chat="c1", user="u1")
INBOUND = Inbound(address=ADDRESS, event_id="e1", text="hello")


def old_file(path) -> None:
    db = sqlite3.connect(path)
    db.executescript(OLD)
    conv = ADDRESS.conversation
    db.execute("INSERT INTO seen VALUES ('webchat:e1', 1e12)")
    db.execute("INSERT INTO seen VALUES ('webchat:e0', 1e12)")
    db.execute(
        "INSERT INTO inbox(seq, id, conversation, person, body, accepted_at) VALUES (7, ?, ?, ?, ?, 1.0)",
        ("webchat:e1", conv, ADDRESS.person, INBOUND.model_dump_json()),
    )
    db.execute("INSERT INTO locks VALUES ('other', 5, 0.0)")
    db.execute("INSERT INTO state VALUES (?, '{\"n\": 3}')", (conv,))
    db.execute("INSERT INTO links VALUES (?, ?)", (ADDRESS.person, conv))
    db.commit()
    db.close()


def without_rowid(db: sqlite3.Connection, table: str) -> bool:
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
    return sql.rstrip().upper().endswith("WITHOUT ROWID")


async def test_old_file_is_upgraded_in_place(tmp_path):
    path = tmp_path / "old.db"
    old_file(path)
    store = SQLiteStore(path, clock=lambda: 1000.0)
    await store.open()
    try:
        db = store.db
        assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert all(without_rowid(db, t) for t in ("seen", "locks", "links"))
        # The dedupe window survived: both ids are still refused.
        assert not await store.accept(InboxItem("webchat:e1", ADDRESS.conversation, INBOUND, 1.0), 3600)
        assert not await store.accept(InboxItem("webchat:e0", ADDRESS.conversation, INBOUND, 1.0), 3600)
        # The pending event, its sequence number and the conversation's state survived.
        batch = await store.begin(ADDRESS.conversation, 60, 10, 1000.0)
        assert [(i.id, i.seq, i.inbound.text) for i in batch.items] == [("webchat:e1", 7, "hello")]
        assert batch.state == {"n": 3}
        await store.commit(ADDRESS.conversation, batch.token, "webchat:e1", {"n": 4}, {}, [], release=True)
        assert db.execute("SELECT COUNT(*) FROM inbox").fetchone()[0] == 0
        # Links survived: export still finds the conversation.
        assert (await store.export_person(ADDRESS.person))["conversations"] == {ADDRESS.conversation: {"n": 4}}
        # New events keep counting after the old ones.
        new = Inbound(address=ADDRESS, event_id="e2", text="again")
        assert await store.accept(InboxItem("webchat:e2", ADDRESS.conversation, new, 2.0), 3600)
        assert db.execute("SELECT seq FROM inbox").fetchone()[0] > 7
    finally:
        await store.close()


async def test_upgrade_runs_once(tmp_path):
    path = tmp_path / "old.db"
    old_file(path)
    for _ in range(2):  # the second open finds the current version and copies nothing
        store = SQLiteStore(path, clock=lambda: 1000.0)
        await store.open()
        assert store.db.execute("SELECT COUNT(*) FROM seen").fetchone()[0] == 2
        await store.close()


async def test_a_version_1_file_gets_lock_and_lease_owners(tmp_path):
    """Version 2 records who holds each lock and outbox lease (core/kernel/liveness.py)."""
    path = tmp_path / "v1.db"
    store = SQLiteStore(path, clock=lambda: 1000.0)
    await store.open()
    await store.close()
    db = sqlite3.connect(path)  # back to version 1's shape: no owner columns
    for table in ("locks", "outbox"):
        db.execute(f"ALTER TABLE {table} DROP COLUMN owner")
    db.execute("INSERT INTO locks VALUES ('c', 5, 2000.0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = SQLiteStore(path, clock=lambda: 1000.0, owner="h:1:aa")
    await store.open()
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        assert store.db.execute("SELECT token, owner FROM locks").fetchall() == [(5, "")]
        assert await store.release_dead(lambda who: True, 1000.0) == 0  # no owner: left to its lease
        assert await store.begin("d", 60, 10, 1000.0) is not None
        assert store.db.execute("SELECT owner FROM locks WHERE conversation = 'd'").fetchone() == ("h:1:aa",)
    finally:
        await store.close()


# The profiles table as version 2 wrote it: no version column, no identities table.
V2_PROFILES = "CREATE TABLE profiles (person TEXT PRIMARY KEY, body TEXT NOT NULL)"


async def test_a_version_2_file_gets_profile_versions_and_linked_identities(tmp_path):
    """Version 3 versions profiles and links identities (core/storage/identities.py): a file
    written by version 2, profiles and a pending event in it, opens and links with nothing lost."""
    path = tmp_path / "v2.db"
    store = SQLiteStore(path, clock=lambda: 1000.0)
    await store.open()
    await store.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE profiles")
    db.execute("DROP TABLE identities")
    db.execute(V2_PROFILES)
    db.execute('INSERT INTO profiles VALUES (?, \'{"name": "Ana", "locale": "es"}\')', (ADDRESS.person,))
    db.execute("INSERT INTO profiles VALUES ('whatsapp:+34600000000', '{\"tags\": [\"vip\"]}')")
    db.execute(
        "INSERT INTO inbox(id, conversation, person, body, accepted_at) VALUES (?, ?, ?, ?, 1.0)",
        ("webchat:e1", ADDRESS.conversation, ADDRESS.person, INBOUND.model_dump_json()),
    )
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    store = SQLiteStore(path, clock=lambda: 1000.0)
    await store.open()
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == VERSION == 3
        assert await store.versioned_profile(ADDRESS.person) == ({"name": "Ana", "locale": "es"}, 0)
        batch = await store.begin(ADDRESS.conversation, 60, 10, 1000.0)
        assert batch.profiles == {ADDRESS.person: {"name": "Ana", "locale": "es"}}
        assert batch.versions == {ADDRESS.person: 0} and batch.people == {}
        await store.commit(
            ADDRESS.conversation, batch.token, "webchat:e1", {}, {ADDRESS.person: {"name": "Ana", "locale": "es"}},
            [], release=True, versions=batch.versions,
        )  # fmt: skip
        assert (await store.versioned_profile(ADDRESS.person))[1] == 1
        linked = Relink(
            moves={ADDRESS.person: ADDRESS.person, "whatsapp:+34600000000": ADDRESS.person},
            profiles={ADDRESS.person: {"name": "Ana", "tags": ["vip"]}, "whatsapp:+34600000000": None},
            expect={ADDRESS.person: 1, "whatsapp:+34600000000": 0},
        )
        assert await store.relink(linked)
        assert await store.person_of("whatsapp:+34600000000") == ADDRESS.person
    finally:
        await store.close()
