"""The SQLite schema (idempotent; run at every open)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters(name, value) VALUES ('token', 0);
CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, conversation TEXT NOT NULL,
    person TEXT NOT NULL, body TEXT NOT NULL, accepted_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS inbox_conversation ON inbox(conversation, seq);
CREATE TABLE IF NOT EXISTS locks (conversation TEXT PRIMARY KEY, token INTEGER NOT NULL, until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS state (conversation TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (person TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS links (person TEXT NOT NULL, conversation TEXT NOT NULL,
    PRIMARY KEY (person, conversation));
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, akey TEXT NOT NULL,
    person TEXT NOT NULL, address TEXT NOT NULL, reply TEXT NOT NULL, due REAL NOT NULL,
    status TEXT NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
    token INTEGER NOT NULL, lease REAL NOT NULL, error TEXT NOT NULL, platform_id TEXT NOT NULL,
    updated REAL NOT NULL);
DROP INDEX IF EXISTS outbox_due;
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox(status, seq);
CREATE INDEX IF NOT EXISTS outbox_lease ON outbox(status, lease);
DROP INDEX IF EXISTS outbox_address;
-- Only unfinished rows: "is anything of this address ahead?" stays cheap however long its history.
CREATE INDEX IF NOT EXISTS outbox_open ON outbox(akey, seq) WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS outbox_person ON outbox(person);
CREATE INDEX IF NOT EXISTS inbox_person ON inbox(person);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, until REAL);
"""
