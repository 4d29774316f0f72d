"""The ``AccountStore`` seam: console users, their API tokens, the audit log and windowed
counters (login attempts). Part of ``Store``: memory, SQLite and Redis implement it, and one
contract suite (``parley.testing.contracts.accounts``) covers all three.

Records are plain frozen dataclasses stored as JSON; roles and permissions are the console's
business (``parley.core.console.roles``): the store keeps a role's name and nothing more.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Protocol, Self


class Stored:
    """A record kept as one JSON object (the field names as keys)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), ensure_ascii=False)  # type: ignore[call-overload]

    @classmethod
    def from_json(cls, body: str) -> Self:
        return cls(**json.loads(body))


@dataclass(frozen=True)
class Account(Stored):
    """A console user. ``generation`` grows with every password change: a session remembers
    the generation it was opened under, so changing a password ends every older session."""

    name: str
    role: str
    password_hash: str  # an Argon2id PHC string; never the password
    created: float
    generation: int = 1
    language: str = ""  # the console's language for this user; "" = the browser's (Accept-Language)


@dataclass(frozen=True)
class ApiToken(Stored):
    """A per-user API token, kept only as the SHA-256 ``digest`` of the secret (tokens are long
    random strings: a fast hash is enough, and the admin API checks one per request)."""

    digest: str
    account: str
    label: str
    created: float

    @property
    def id(self) -> str:
        """What pages and the CLI show and revoke by: a prefix of the digest, never the secret."""
        return self.digest[:12]


@dataclass(frozen=True)
class AuditEntry(Stored):
    """Who did what, when, to what: one entry per change made through the console, the admin
    API or the ``users`` command."""

    at: float
    actor: str
    action: str
    target: str = ""
    detail: str = ""
    reason: str = ""  # why, as the operator gave it (privacy requests: docs/privacy.md)
    via: str = ""  # "api", "console", "cli" or "retention"; "" in entries written before it


class AccountStore(Protocol):
    async def save_account(self, account: Account) -> None:
        """Insert or replace the account named ``account.name``."""

    async def account(self, name: str) -> Account | None: ...

    async def accounts(self) -> list[Account]:
        """Every account, by name."""

    async def remove_account(self, name: str) -> bool:
        """Delete the account and its API tokens; False if there was none."""

    async def save_api_token(self, token: ApiToken) -> None: ...

    async def api_token(self, digest: str) -> ApiToken | None: ...

    async def api_tokens(self, account: str) -> list[ApiToken]:
        """The account's tokens, oldest first."""

    async def remove_api_token(self, digest: str) -> bool: ...

    async def audit(self, entry: AuditEntry) -> None:
        """Append to the audit log (never rewritten)."""

    async def audit_log(self, limit: int, offset: int = 0) -> list[AuditEntry]:
        """Newest first: ``limit`` entries after skipping ``offset``."""

    async def hits(self, key: str, window: float, add: int = 1) -> int:
        """Count ``add`` more under ``key`` and return the count; the count starts at zero again
        ``window`` seconds after its first hit (a fixed window). ``add=0`` only reads."""
