"""Console sessions in the store's key/value calls (shared by every process on Redis).

The cookie holds a random secret; the store keeps only its SHA-256, with the account's name,
the account's password generation and the session's CSRF token. A session is void once its
time is up, its account is gone or the account's password changed.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

from parley.core.console.accounts import digest
from parley.core.console.roles import Principal, Role
from parley.core.kernel.clock import Clock
from parley.core.storage.accounts import Account, AccountStore
from parley.core.storage.store import KeyValueStore

COOKIE = "parley_console"
PREFIX = "console:session:"


@dataclass(frozen=True)
class Session:
    account: str
    generation: int
    csrf: str
    created: float

    def principal(self, account: Account) -> Principal:
        return Principal(account.name, Role(account.role), "session")


class Sessions:
    def __init__(self, kv: KeyValueStore, accounts: AccountStore, clock: Clock, ttl: float) -> None:
        self.kv = kv
        self.accounts = accounts
        self.clock = clock
        self.ttl = ttl

    async def open(self, account: Account) -> tuple[str, Session]:
        """A new session (a new secret at every login: no fixation); returns the cookie value."""
        secret = secrets.token_urlsafe(32)
        session = Session(account.name, account.generation, secrets.token_urlsafe(32), self.clock())
        await self.kv.put(PREFIX + digest(secret), json.dumps(asdict(session)), ttl=self.ttl)
        return secret, session

    async def find(self, secret: str) -> tuple[Session, Account] | None:
        if not secret or len(secret) > 128:
            return None
        body = await self.kv.get(PREFIX + digest(secret))
        if body is None:
            return None
        session = Session(**json.loads(body))
        account = await self.accounts.account(session.account)
        if account is None or account.generation != session.generation:
            await self.close(secret)
            return None
        return session, account

    async def close(self, secret: str) -> None:
        await self.kv.delete(PREFIX + digest(secret))
