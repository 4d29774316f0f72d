"""What Redis shares between processes besides the Store calls: rate-limit buckets (GCRA, one
Lua call for several keys), singleton leases, and a pub/sub relay that lets the process holding a
web chat socket deliver a reply another process's outbox claimed."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from parley.core.kernel.outage import Outage
from parley.core.kernel.ratelimit import Limit
from parley.core.storage.store import StoreUnavailable
from redis.asyncio import Redis
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
    r: Redis | None = None

    async def close(self) -> None:
        if self.r is not None:
            await self.r.aclose()
            self.r = None

    @property
    def redis(self) -> Redis:
        if self.r is None:
            raise StoreUnavailable(f"{self.WHAT} is closed")
        return self.r


class RedisLimiter:
    """Rate-limit buckets shared by every process (the outbox uses it when the store offers one)."""

    def __init__(self, r: Redis, prefix: str, up: Up) -> None:
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

    def __init__(self, r: Redis, prefix: str, up: Up) -> None:
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


class RedisRelay:
    """Pub/sub between processes. A process subscribes to a topic while it can serve it (a web
    chat client's socket); ``publish`` returns how many processes got the message, so 0 means
    "nobody holds that socket right now" and the outbox retries later.

    Most topics are held by one process only (the page's one socket), and that process is
    usually the one whose outbox sends the reply: a PUBLISH per reply would be a Redis command
    and a round trip for nothing. So every process announces the topics it takes and drops on
    the control topic (``+``/``-``), a holder answers a ``+`` for a topic it holds too (``=``),
    and ``publish`` hands a message straight to the local handler while no other process is
    known to hold the topic. Until the answers to an announcement are in (``GRACE`` after it) and
    while the listener is disconnected, ``publish`` goes through Redis as before; a reconnecting
    listener announces its topics again and forgets no holder it knew (at worst a PUBLISH too many)."""

    GRACE = 0.5  # seconds for the other holders' answers to a fresh announcement to arrive

    def __init__(self, r: Redis, prefix: str, up: Up) -> None:
        self.r = r
        self.p = prefix + "relay:"
        self._up = up
        self._node = secrets.token_hex(6)  # this process on the control topic
        self._handlers: dict[str, Handler] = {}
        self._remote: dict[str, set[str]] = {}  # topic held here -> other nodes holding it too
        self._unsure: dict[str, float] = {}  # topic -> until when answers to our announcement may come
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self.outage = Outage(log, "relay")  # one line when Redis goes away, one when it is back

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="redis-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def publish(self, topic: str, data: str) -> int:
        handler = self._handlers.get(topic)
        # Connected (so no announcement was missed) and nobody else holds it: no Redis at all.
        if (
            handler is not None
            and self._pubsub is not None
            and not self._remote.get(topic)
            and not self._waiting(topic)
        ):
            await handler(topic, data)
            return 1
        return int(await self._up(self.r.publish(self.p + topic, data)))

    async def subscribe(self, topic: str, handler: Handler) -> None:
        self._handlers[topic] = handler
        self._remote.setdefault(topic, set())
        self._unsure[topic] = asyncio.get_running_loop().time() + self.GRACE  # till our announcement
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):  # the listener re-subscribes on reconnect
                await self._pubsub.subscribe(self.p + topic)
                await self._announce("+", topic)

    async def unsubscribe(self, topic: str) -> None:
        self._handlers.pop(topic, None)
        self._remote.pop(topic, None)
        self._unsure.pop(topic, None)
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.unsubscribe(self.p + topic)
                await self._announce("-", topic)

    async def _announce(self, kind: str, topic: str) -> None:
        if kind == "+":
            self._unsure[topic] = asyncio.get_running_loop().time() + self.GRACE
        await self.r.publish(self.p + "_", f"{kind}{self._node} {topic}")

    def _waiting(self, topic: str) -> bool:
        until = self._unsure.get(topic)
        if until is None:
            return False
        if asyncio.get_running_loop().time() < until:
            return True
        del self._unsure[topic]
        return False

    async def _heard(self, notice: str) -> None:
        """A notice on the control topic: another node took (+), still holds (=) or dropped (-) a topic."""
        kind = notice[:1]
        node, _, topic = notice[1:].partition(" ")
        if node == self._node or topic not in self._handlers:
            return  # our own, or a topic we do not hold (publish goes through Redis for it anyway)
        if kind == "-":
            self._remote[topic].discard(node)
            return
        self._remote[topic].add(node)
        if kind == "+":
            await self._announce("=", topic)  # so the newcomer knows we hold it too

    async def _listen(self) -> None:
        pause = 0.1
        while True:
            pubsub = self.r.pubsub(ignore_subscribe_messages=True)
            try:
                # A control topic keeps the connection up (and its failures visible) when idle.
                first = list(self._handlers)
                await pubsub.subscribe(self.p + "_", *(self.p + t for t in first))
                self._pubsub = pubsub
                # Topics added while we were connecting saw no pubsub to subscribe on: catch up.
                late = [t for t in self._handlers if t not in first]
                if late:
                    await pubsub.subscribe(*(self.p + t for t in late))
                # Who else holds our topics may have changed while we were away: ask again.
                for topic in list(self._handlers):
                    self._remote.setdefault(topic, set())
                    await self._announce("+", topic)
                pause = 0.1
                self.outage.ok()
                while True:
                    msg = await pubsub.get_message(timeout=1.0)
                    if msg is None or msg.get("type") != "message":
                        continue
                    topic = msg["channel"][len(self.p) :]
                    if topic == "_":
                        await self._heard(msg["data"])
                        continue
                    handler = self._handlers.get(topic)
                    if handler is not None:
                        try:
                            await handler(topic, msg["data"])  # in order: one topic's frames stay ordered
                        except Exception:
                            log.exception("relay handler failed", extra={"topic": topic})
            except (RedisError, OSError) as exc:
                self.outage.failed(exc)
                self._pubsub = None
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
            finally:
                self._pubsub = None
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
