"""The SQLite schema (idempotent; run at every open) and the upgrade of files made by older
versions (``upgrade``, keyed on ``PRAGMA user_version``).

Tables keyed by text alone are WITHOUT ROWID: a rowid table with a TEXT PRIMARY KEY keeps the
key twice (the table and an automatic index), so every insert and delete touches two B-trees.
"""

from __future__ import annotations

import sqlite3

VERSION = 3

# Tables whose shape changed, as created today; ``upgrade`` rebuilds older files into them.
TABLES = {
    # The dedupe window: one row per event id, until its TTL.
    "seen": "CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, until REAL NOT NULL) WITHOUT ROWID",
    # Events accepted and not yet committed. No unique index on id: ``seen`` admits each id
    # once, and the commit deletes by (conversation, id) through inbox_conversation.
    "inbox": (
        "CREATE TABLE IF NOT EXISTS inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, "
        "conversation TEXT NOT NULL, person TEXT NOT NULL, body TEXT NOT NULL, accepted_at REAL NOT NULL)"
    ),
    # owner: who took the lock (core/kernel/liveness.py), so a restart frees a dead process's.
    "locks": (
        "CREATE TABLE IF NOT EXISTS locks (conversation TEXT PRIMARY KEY, token INTEGER NOT NULL, "
        "until REAL NOT NULL, owner TEXT NOT NULL DEFAULT '') WITHOUT ROWID"
    ),
    "links": (
        "CREATE TABLE IF NOT EXISTS links (person TEXT NOT NULL, conversation TEXT NOT NULL, "
        "PRIMARY KEY (person, conversation)) WITHOUT ROWID"
    ),
}

SCHEMA = (
    ";\n".join(TABLES.values())
    + ";\n"
    + """
CREATE INDEX IF NOT EXISTS inbox_conversation ON inbox(conversation, seq);
CREATE TABLE IF NOT EXISTS state (conversation TEXT PRIMARY KEY, body TEXT NOT NULL);
-- version: moved on by every write; a turn's commit and a link compare it (identities.py)
CREATE TABLE IF NOT EXISTS profiles (person TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0);
-- Linked identities only: an identity without a row is its own person.
CREATE TABLE IF NOT EXISTS identities (identity TEXT PRIMARY KEY, person TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identities_person ON identities(person);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, akey TEXT NOT NULL,
    person TEXT NOT NULL, address TEXT NOT NULL, reply TEXT NOT NULL, due REAL NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
    token INTEGER NOT NULL, lease REAL NOT NULL, error TEXT NOT NULL, platform_id TEXT NOT NULL,
    updated REAL NOT NULL, owner TEXT NOT NULL DEFAULT '');
DROP INDEX IF EXISTS outbox_due;
DROP INDEX IF EXISTS outbox_queue;
DROP INDEX IF EXISTS outbox_lease;
-- Partial indexes: a reply leased at commit and then sent never enters the pending one, and
-- leaves the leased one when sent; the indexes stay as small as the work in progress.
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_leased ON outbox(lease) WHERE status = 'sending';
DROP INDEX IF EXISTS outbox_address;
-- Only unfinished rows: "is anything of this address ahead?" stays cheap however long its history.
CREATE INDEX IF NOT EXISTS outbox_open ON outbox(akey, seq) WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS outbox_person ON outbox(person);
-- Expiry indexes: housekeeping (sqlite_inbox.py) deletes what expired without reading what has
-- not, so its cost follows what expires, not a week of history (created once on an older file).
CREATE INDEX IF NOT EXISTS seen_until ON seen(until);
CREATE INDEX IF NOT EXISTS outbox_sent ON outbox(updated) WHERE status = 'sent';
DROP INDEX IF EXISTS inbox_person;  -- the inbox holds seconds of work: erase scans it
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, until REAL);
CREATE INDEX IF NOT EXISTS kv_until ON kv(until) WHERE until IS NOT NULL;
-- The console's accounts, API tokens (by digest), audit log and login-attempt windows.
CREATE TABLE IF NOT EXISTS accounts (name TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS api_tokens (
    digest TEXT PRIMARY KEY, account TEXT NOT NULL, created REAL NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS api_tokens_account ON api_tokens(account, created);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
-- Append-only: an entry is never rewritten (retention deletes the oldest; docs/privacy.md).
CREATE TRIGGER IF NOT EXISTS audit_append_only BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS hits (key TEXT PRIMARY KEY, n INTEGER NOT NULL, until REAL NOT NULL) WITHOUT ROWID;
"""
)


def upsert(table: str, key: str) -> str:
    """Store ``body`` under ``key`` (parameters: key, body). An upsert rewrites the row in place;
    INSERT OR REPLACE would delete and re-insert it, key index too."""
    return f"INSERT INTO {table}({key}, body) VALUES (?, ?) ON CONFLICT({key}) DO UPDATE SET body = excluded.body"


def upgrade(db: sqlite3.Connection) -> None:
    """Bring a file from an older version to VERSION, in one transaction (several processes may
    open the same file at once: the first to take the write lock upgrades, the others see the
    new version and do nothing). Rows are copied; nothing is lost."""
    if db.execute("PRAGMA user_version").fetchone()[0] >= VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version < 1:
            for name, create in TABLES.items():
                _rebuild(db, name, create)
        if version < 2:  # version 2 records who holds each lock and outbox lease
            for table in ("locks", "outbox"):
                _add_column(db, table, "owner", "TEXT NOT NULL DEFAULT ''")
        if version < 3:  # version 3 versions profiles (linked identities share one, identities.py)
            _add_column(db, "profiles", "version", "INTEGER NOT NULL DEFAULT 0")
        if version < VERSION:
            db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.executescript(SCHEMA)  # the indexes of the rebuilt tables


def _add_column(db: sqlite3.Connection, table: str, column: str, declaration: str) -> None:
    if column not in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _rebuild(db: sqlite3.Connection, name: str, create: str) -> None:
    """SQLite cannot change a table's key in place: copy into the new shape, then swap."""
    columns = ", ".join(row[1] for row in db.execute(f"PRAGMA table_info({name})"))
    db.execute(create.replace(f"EXISTS {name} (", f"EXISTS {name}_new (", 1))
    db.execute(f"INSERT INTO {name}_new ({columns}) SELECT {columns} FROM {name}")
    db.execute(f"DROP TABLE {name}")
    db.execute(f"ALTER TABLE {name}_new RENAME TO {name}")
