"""What Redis shares between processes besides the Store calls: rate-limit buckets (GCRA, one
Lua call for several keys) and singleton leases (the pub/sub relay is redis_relay.py)."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from parley.core.kernel.ratelimit import Limit
from parley.core.storage.redis_client import AnyRedis
from parley.core.storage.store import StoreUnavailable
from redis.exceptions import RedisError

log = logging.getLogger("parley.redis")

T = TypeVar("T")
C = TypeVar("C", bound=type)
Up = Callable[[Awaitable[Any]], Awaitable[Any]]
Handler = Callable[[str, str], Awaitable[None]]


async def up(call: Awaitable[T]) -> T:
    """Await a Redis call; any Redis or socket error becomes StoreUnavailable, the one failure
    the callers handle (webhooks 503, turns deferred, loops paused), never a raw Redis error."""
    try:
        return await call
    except (RedisError, OSError) as exc:  # a refused or reset socket can surface below redis-py's mapping
        raise StoreUnavailable(f"redis: {exc}") from None


def unavailable_on_errors(cls: C) -> C:
    """Every coroutine method of ``cls`` raises StoreUnavailable instead of Redis' own errors
    (for classes whose every call is a Redis call: the schedule store)."""

    def translated(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(method)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await up(method(*args, **kwargs))

        return call

    for name, member in list(vars(cls).items()):
        if inspect.iscoroutinefunction(member):
            setattr(cls, name, translated(member))
    return cls


# The same GCRA as parley.core.kernel.ratelimit.Limiter, over every key in one atomic call: either the send
# counts against all buckets (per bot and per chat) or against none. ARGV: now, (interval, burst)*
GCRA = """
local now = tonumber(ARGV[1])
local wait, tats = 0, {}
for i, k in ipairs(KEYS) do
  local interval, burst = tonumber(ARGV[2*i]), tonumber(ARGV[2*i+1])
  local tat = tonumber(redis.call('GET', k) or now)
  if tat < now then tat = now end
  tats[i] = tat
  local allow_at = tat - interval * burst
  if allow_at > now - interval then wait = math.max(wait, allow_at + interval - now) end
end
if wait > 0 then return tostring(wait) end
for i, k in ipairs(KEYS) do
  local tat = tats[i] + tonumber(ARGV[2*i])
  redis.call('SET', k, tostring(tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
end
return '0'
"""

PENALISE = """
local cur = tonumber(redis.call('GET', KEYS[1]) or 0)
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', 86400000) end
return 1
"""

# Lease expiry runs on Redis' own clock (PX): every process agrees on it whatever its own clock.
HOLD = """
local cur = redis.call('GET', KEYS[1])
if not cur or cur == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""

LET_GO = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class Client:
    """The client of a store kept beside the main one (the schedule, the analytics): ``redis``
    raises StoreUnavailable once closed, ``close`` is idempotent."""

    WHAT = "store"
    r: AnyRedis | None = None

    async def close(self) -> None:
        if self.r is not None:
            await self.r.aclose()
            self.r = None

    @property
    def redis(self) -> AnyRedis:
        if self.r is None:
            raise StoreUnavailable(f"{self.WHAT} is closed")
        return self.r


class RedisLimiter:
    """Rate-limit buckets shared by every process (the outbox uses it when the store offers one)."""

    def __init__(self, r: AnyRedis, prefix: str, up: Up) -> None:
        self.p = prefix
        self._up = up
        self._gcra = r.register_script(GCRA)
        self._penalise = r.register_script(PENALISE)

    async def acquire(self, limits: list[Limit], now: float) -> float:
        if not limits:
            return 0.0  # nothing to count: no round trip
        args: list[Any] = [now]
        for limit in limits:
            args += [1.0 / limit.rate, limit.burst]
        keys = [f"{self.p}rl:{limit.key}" for limit in limits]
        return float(await self._up(self._gcra(keys=keys, args=args)))

    async def penalise(self, key: str, until: float) -> None:
        await self._up(self._penalise(keys=[f"{self.p}rl:{key}"], args=[until]))


class RedisLease:
    """Singleton leases (parley.core.kernel.lease.Lease): Telegram polling, Socket Mode, the gateway, the planner."""

    def __init__(self, r: AnyRedis, prefix: str, up: Up) -> None:
        self.p = prefix
        self._up = up
        self._r = r
        self._hold = r.register_script(HOLD)
        self._let_go = r.register_script(LET_GO)

    async def hold(self, name: str, owner: str, ttl: float) -> bool:
        keys = [f"{self.p}lease:{name}"]
        return bool(await self._up(self._hold(keys=keys, args=[owner, max(1, int(ttl * 1000))])))

    async def release(self, name: str, owner: str) -> None:
        await self._up(self._let_go(keys=[f"{self.p}lease:{name}"], args=[owner]))

    async def holder(self, name: str) -> str | None:
        return await self._up(self._r.get(f"{self.p}lease:{name}"))
