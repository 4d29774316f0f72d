"""The SQLite schema (idempotent; run at every open)."""

SCHEMA = """
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
DROP INDEX IF EXISTS inbox_person;  -- the inbox holds seconds of work: erase scans it
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, until REAL);
"""
