"""``AccountStore`` on SQLite: SQLiteStore mixes it in. Tables are in sqlite_schema.py; writes go
through the store's group commit like every other write."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from parley.core.storage.accounts import Account, ApiToken, AuditEntry


class SQLiteAccounts:
    db: sqlite3.Connection
    clock: Callable[[], float]
    _write: Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]

    async def save_account(self, account: Account) -> None:
        await self._write(
            lambda db: db.execute(
                "INSERT INTO accounts(name, body) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET body = excluded.body",
                (account.name, account.to_json()),
            )
        )

    async def account(self, name: str) -> Account | None:
        row = self.db.execute("SELECT body FROM accounts WHERE name = ?", (name,)).fetchone()
        return Account.from_json(row[0]) if row else None

    async def accounts(self) -> list[Account]:
        return [Account.from_json(r[0]) for r in self.db.execute("SELECT body FROM accounts ORDER BY name")]

    async def remove_account(self, name: str) -> bool:
        def op(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM api_tokens WHERE account = ?", (name,))
            return db.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount > 0

        return await self._write(op)

    async def save_api_token(self, token: ApiToken) -> None:
        await self._write(
            lambda db: db.execute(
                "INSERT OR REPLACE INTO api_tokens(digest, account, created, body) VALUES (?, ?, ?, ?)",
                (token.digest, token.account, token.created, token.to_json()),
            )
        )

    async def api_token(self, digest: str) -> ApiToken | None:
        row = self.db.execute("SELECT body FROM api_tokens WHERE digest = ?", (digest,)).fetchone()
        return ApiToken.from_json(row[0]) if row else None

    async def api_tokens(self, account: str) -> list[ApiToken]:
        rows = self.db.execute("SELECT body FROM api_tokens WHERE account = ? ORDER BY created", (account,))
        return [ApiToken.from_json(r[0]) for r in rows]

    async def remove_api_token(self, digest: str) -> bool:
        cur = await self._write(lambda db: db.execute("DELETE FROM api_tokens WHERE digest = ?", (digest,)))
        return cur.rowcount > 0

    async def audit(self, entry: AuditEntry) -> None:
        await self._write(lambda db: db.execute("INSERT INTO audit(body) VALUES (?)", (entry.to_json(),)))

    async def audit_log(self, limit: int, offset: int = 0) -> list[AuditEntry]:
        rows = self.db.execute("SELECT body FROM audit ORDER BY seq DESC LIMIT ? OFFSET ?", (limit, offset))
        return [AuditEntry.from_json(r[0]) for r in rows]

    async def hits(self, key: str, window: float, add: int = 1) -> int:
        now = self.clock()

        def op(db: sqlite3.Connection) -> int:
            # A window that has ended starts again at this hit.
            row = db.execute(
                "INSERT INTO hits(key, n, until) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "n = CASE WHEN hits.until <= ? THEN excluded.n ELSE hits.n + excluded.n END, "
                "until = CASE WHEN hits.until <= ? THEN excluded.until ELSE hits.until END RETURNING n",
                (key, add, now + window, now, now),
            ).fetchone()
            return row[0]

        if not add:
            row = self.db.execute("SELECT n FROM hits WHERE key = ? AND until > ?", (key, now)).fetchone()
            return row[0] if row else 0
        return await self._write(op)
