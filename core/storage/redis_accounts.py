"""``AccountStore`` on Redis: RedisStore mixes it in. Accounts and API tokens are two hashes
(few entries: a team's users and their tokens), the audit log a list, newest first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from parley.core.storage.accounts import Account, ApiToken, AuditEntry
from parley.core.storage.redis_client import AnyRedis
from parley.core.storage.redis_shared import Up

# A fixed window on the app's clock (tests move it), kept in a hash; Redis' own expiry only
# cleans up. ARGV: add, now, window
HITS = """
local now, add = tonumber(ARGV[2]), tonumber(ARGV[1])
local w = redis.call('HMGET', KEYS[1], 'n', 'u')
local n, u = tonumber(w[1]) or 0, tonumber(w[2]) or 0
if u <= now then n, u = 0, now + tonumber(ARGV[3]) end
if add == 0 then return n end
n = n + add
redis.call('HSET', KEYS[1], 'n', n, 'u', u)
redis.call('PEXPIRE', KEYS[1], math.ceil((u - now) * 1000))
return n
"""


class RedisAccounts:
    r: AnyRedis  # one server or a cluster (redis_client.py)
    p: str
    clock: Callable[[], float]
    _up: Up
    _hits_script: Callable[..., Awaitable[Any]]

    async def save_account(self, account: Account) -> None:
        await self._up(self.r.hset(f"{self.p}acct", account.name, account.to_json()))

    async def account(self, name: str) -> Account | None:
        body = await self._up(self.r.hget(f"{self.p}acct", name))
        return Account.from_json(body) if body else None

    async def accounts(self) -> list[Account]:
        bodies = await self._up(self.r.hvals(f"{self.p}acct"))
        return sorted((Account.from_json(b) for b in bodies), key=lambda a: a.name)

    async def remove_account(self, name: str) -> bool:
        digests = [t.digest for t in await self.api_tokens(name)]
        async with self.r.pipeline(transaction=True) as pipe:
            if digests:
                pipe.hdel(f"{self.p}apitok", *digests)
            pipe.hdel(f"{self.p}acct", name)
            removed = await self._up(pipe.execute())
        return bool(removed[-1])

    async def save_api_token(self, token: ApiToken) -> None:
        await self._up(self.r.hset(f"{self.p}apitok", token.digest, token.to_json()))

    async def api_token(self, digest: str) -> ApiToken | None:
        body = await self._up(self.r.hget(f"{self.p}apitok", digest))
        return ApiToken.from_json(body) if body else None

    async def api_tokens(self, account: str) -> list[ApiToken]:
        tokens = (ApiToken.from_json(b) for b in await self._up(self.r.hvals(f"{self.p}apitok")))
        return sorted((t for t in tokens if t.account == account), key=lambda t: t.created)

    async def remove_api_token(self, digest: str) -> bool:
        return bool(await self._up(self.r.hdel(f"{self.p}apitok", digest)))

    async def audit(self, entry: AuditEntry) -> None:
        await self._up(self.r.lpush(f"{self.p}audit", entry.to_json()))

    async def audit_log(self, limit: int, offset: int = 0) -> list[AuditEntry]:
        if limit <= 0:
            return []
        bodies = await self._up(self.r.lrange(f"{self.p}audit", offset, offset + limit - 1))
        return [AuditEntry.from_json(b) for b in bodies]

    async def hits(self, key: str, window: float, add: int = 1) -> int:
        return int(await self._up(self._hits_script(keys=[f"{self.p}hits:{key}"], args=[add, self.clock(), window])))
