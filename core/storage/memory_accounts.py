"""``AccountStore`` in memory (tests, ``memory://``): MemoryStore mixes it in."""

from __future__ import annotations

from parley.core.storage.accounts import Account, ApiToken, AuditEntry


class MemoryAccounts:
    clock: object

    def _init_accounts(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._api_tokens: dict[str, ApiToken] = {}
        self._audit: list[AuditEntry] = []
        self._hits: dict[str, tuple[int, float]] = {}  # key -> (count, window ends)

    async def save_account(self, account: Account) -> None:
        self._accounts[account.name] = account

    async def account(self, name: str) -> Account | None:
        return self._accounts.get(name)

    async def accounts(self) -> list[Account]:
        return [self._accounts[name] for name in sorted(self._accounts)]

    async def remove_account(self, name: str) -> bool:
        for digest in [d for d, t in self._api_tokens.items() if t.account == name]:
            del self._api_tokens[digest]
        return self._accounts.pop(name, None) is not None

    async def save_api_token(self, token: ApiToken) -> None:
        self._api_tokens[token.digest] = token

    async def api_token(self, digest: str) -> ApiToken | None:
        return self._api_tokens.get(digest)

    async def api_tokens(self, account: str) -> list[ApiToken]:
        return sorted((t for t in self._api_tokens.values() if t.account == account), key=lambda t: t.created)

    async def remove_api_token(self, digest: str) -> bool:
        return self._api_tokens.pop(digest, None) is not None

    async def audit(self, entry: AuditEntry) -> None:
        self._audit.append(entry)

    async def audit_log(self, limit: int, offset: int = 0) -> list[AuditEntry]:
        newest = self._audit[::-1]
        return newest[offset : offset + limit]

    async def hits(self, key: str, window: float, add: int = 1) -> int:
        now = self.clock()  # type: ignore[operator]
        count, ends = self._hits.get(key, (0, 0.0))
        if ends <= now:
            count, ends = 0, now + window
        if add:
            self._hits[key] = (count + add, ends)
        return count + add
