"""Console users and their API tokens, with every change written to the audit log.

The console's pages, the admin API and the ``users`` command all change accounts through here,
so each change is checked (names, roles, password strength, the last admin) and audited once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import replace

from parley.core.console.passwords import Passwords
from parley.core.console.roles import Principal, Role
from parley.core.kernel.clock import Clock
from parley.core.storage.accounts import Account, AccountStore, ApiToken, AuditEntry

NAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")
TOKEN_PREFIX = "pt_"  # recognisable in a leaked config file or a secret scanner


class AccountError(ValueError):
    """A change refused: the message says why, for a page, an API caller or the CLI."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


class Accounts:
    def __init__(self, store: AccountStore, passwords: Passwords, clock: Clock) -> None:
        self.store = store
        self.passwords = passwords
        self.clock = clock

    async def record(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        await self.store.audit(AuditEntry(self.clock(), actor, action, target, detail))

    # -- users -------------------------------------------------------------------------------
    async def add(self, actor: str, name: str, role: Role, password: str) -> Account:
        name = name.strip().lower()
        if not NAME.fullmatch(name):
            raise AccountError("a user name is 1-64 of a-z 0-9 . _ @ + - and starts with a letter or digit")
        if await self.store.account(name) is not None:
            raise AccountError(f"user {name} exists already")
        account = Account(name, role.value, await self.passwords.hash(password), self.clock())
        await self.store.save_account(account)
        await self.record(actor, "user.add", name, role.value)
        return account

    async def remove(self, actor: str, name: str) -> None:
        account = await self._existing(name)
        await self._keep_an_admin(account, None)
        await self.store.remove_account(name)
        await self.record(actor, "user.remove", name)

    async def set_role(self, actor: str, name: str, role: Role) -> None:
        account = await self._existing(name)
        await self._keep_an_admin(account, role)
        await self.store.save_account(replace(account, role=role.value))
        await self.record(actor, "user.role", name, role.value)

    async def set_password(self, actor: str, name: str, password: str) -> None:
        """Also ends the user's sessions: they carry the old generation."""
        account = await self._existing(name)
        hashed = await self.passwords.hash(password)
        await self.store.save_account(replace(account, password_hash=hashed, generation=account.generation + 1))
        await self.record(actor, "user.password", name)

    async def set_language(self, actor: str, name: str, code: str) -> None:
        """The console's language for this user ("" = as their browser asks)."""
        account = await self._existing(name)
        await self.store.save_account(replace(account, language=code))
        await self.record(actor, "user.language", name, code or "auto")

    async def login(self, name: str, password: str) -> Account | None:
        account = await self.store.account(name.strip().lower())
        if not await self.passwords.verify(account.password_hash if account else None, password):
            return None
        assert account is not None
        if self.passwords.needs_rehash(account.password_hash):
            hashed = await self.passwords.hash(password)
            account = replace(account, password_hash=hashed)
            await self.store.save_account(account)
        return account

    async def _existing(self, name: str) -> Account:
        account = await self.store.account(name)
        if account is None:
            raise AccountError(f"no user {name}")
        return account

    async def _keep_an_admin(self, account: Account, new_role: Role | None) -> None:
        if account.role != Role.ADMIN or new_role == Role.ADMIN:
            return
        admins = [a for a in await self.store.accounts() if a.role == Role.ADMIN]
        if len(admins) <= 1:
            raise AccountError("the last admin cannot be removed or demoted")

    # -- API tokens --------------------------------------------------------------------------
    async def create_token(self, actor: str, name: str, label: str = "") -> tuple[str, ApiToken]:
        """A new token for ``name``: the secret is returned here, once, and kept only hashed."""
        await self._existing(name)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(digest(secret), name, label.strip()[:80], self.clock())
        await self.store.save_api_token(token)
        await self.record(actor, "token.create", name, f"{token.id} {token.label}".strip())
        return secret, token

    async def revoke_token(self, actor: str, name: str, token_id: str) -> bool:
        for token in await self.store.api_tokens(name):
            if token.id == token_id:
                await self.store.remove_api_token(token.digest)
                await self.record(actor, "token.revoke", name, token.id)
                return True
        return False

    async def principal(self, secret: str) -> Principal | None:
        """Whose API token ``secret`` is, with the owner's current role (a demotion applies to
        their tokens at once)."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        token = await self.store.api_token(digest(secret))
        account = await self.store.account(token.account) if token else None
        if account is None:
            return None
        return Principal(account.name, Role(account.role), "token")
