"""``PrivacyStore`` on Redis: RedisStore mixes it in. What only mentions a person is found with
SCAN (incremental: Redis keeps serving between batches) and removed by bounded Lua scripts
that keep the outbox's queues and counters right, as the store's own erase does."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from parley.core.privacy.mentions import Mentions
from parley.core.storage.privacy import Expiring, opened_at
from parley.core.storage.redis_client import AnyRedis
from parley.core.storage.redis_lua_outbox import _COUNTER, _DROP, _ENQUEUE
from parley.core.storage.redis_lua_people import DROP_INBOX
from parley.core.storage.redis_shared import Up

BATCH = 200  # keys per SCAN step and per script call

# ARGV: P, then outbox ids. Removes each item as ERASE does (queues, counters, indexes).
DROP_OUTBOX = (
    _COUNTER
    + _ENQUEUE
    + _DROP
    + """
local removed = 0
for i = 2, #ARGV do removed = removed + drop_outbox(ARGV[1], ARGV[i]) end
return removed
"""
)

# KEYS: the audit list (newest first). ARGV: before, limit. Drops the oldest entries from the tail.
EXPIRE_AUDIT = """
local n = 0
while n < tonumber(ARGV[2]) do
  local last = redis.call('LINDEX', KEYS[1], -1)
  if not last or tonumber(cjson.decode(last).at) >= tonumber(ARGV[1]) then break end
  redis.call('RPOP', KEYS[1])
  n = n + 1
end
return n
"""


class RedisPrivacy:
    r: AnyRedis  # one server or a cluster (redis_client.py)
    p: str
    clock: Callable[[], float]
    _up: Up

    def _init_privacy(self) -> None:
        s = self.r.register_script
        self._drop_outbox, self._drop_inbox, self._expire_audit = s(DROP_OUTBOX), s(DROP_INBOX), s(EXPIRE_AUDIT)

    async def _scan(self, pattern: str) -> AsyncIterator[list[str]]:
        # The hash tag's braces are glob characters: match them literally.
        match = (self.p + pattern).replace("{", "[{]").replace("}", "[}]")
        batch: list[str] = []
        async for key in self.r.scan_iter(match=match, count=1000):
            batch.append(key)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    async def _fields(self, keys: list[str], *names: str) -> list[list[str | None]]:
        if not keys:
            return []
        async with self.r.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(key, list(names))
            return await self._up(pipe.execute())

    async def forget_mentions(self, mentions: Mentions) -> int:
        if mentions.pattern is None:
            return 0
        found, removed = mentions.found, 0
        kv, seen, outbox, conv = f"{self.p}kv:", f"{self.p}seen:", f"{self.p}o:", f"{self.p}c:"
        async for keys in self._scan("*"):  # one pass over the namespace, whatever it holds
            records = [k for k in keys if k.startswith(kv)]
            values = await self._fields(records, "v")
            gone = [k for k, (v,) in zip(records, values, strict=True) if found(k.removeprefix(kv)) or found(v)]
            gone += [k for k in keys if k.startswith(seen) and found(k.removeprefix(seen))]
            removed += await self._up(self.r.delete(*gone)) if gone else 0
            items = [k for k in keys if k.startswith(outbox)]
            rows = await self._fields(items, "body", "akey")
            ids = [k.removeprefix(outbox) for k, (b, a) in zip(items, rows, strict=True) if found(b) or found(a)]
            removed += await self._up(self._drop_outbox(args=[self.p, *ids])) if ids else 0
            # Inbox entries wait in their conversation's hash (redis_lua.py): the ones that mention it.
            convs = [k for k in keys if k.startswith(conv)]
            inbox: list[str] = []
            for key, (q,) in zip(convs, await self._fields(convs, "q"), strict=True):
                for entry in (q or "").split("\n")[1:]:
                    if found(entry):
                        inbox += [key.removeprefix(conv), entry.split("\t", 1)[0]]
            removed += await self._up(self._drop_inbox(args=[self.p, self.clock(), *inbox])) if inbox else 0
        return int(removed)

    async def expire(self, what: Expiring, before: float, limit: int) -> int:
        if what is Expiring.AUDIT:
            return int(await self._up(self._expire_audit(keys=[f"{self.p}audit"], args=[before, limit])))
        removed = 0
        if what is Expiring.OUTBOX:  # sent items expire after a week by themselves; failed ones stay
            async for keys in self._scan("o:*"):
                rows = await self._fields(keys, "status", "updated")
                ids = [
                    k.removeprefix(f"{self.p}o:")
                    for k, (status, updated) in zip(keys, rows, strict=True)
                    if status in ("sent", "failed") and float(updated or 0) < before
                ][: limit - removed]
                removed += await self._up(self._drop_outbox(args=[self.p, *ids])) if ids else 0
                if removed >= limit:
                    break
            return int(removed)
        async for keys in self._scan("kv:case:lead:*"):
            values = await self._fields(keys, "v")
            gone = [k for k, (v,) in zip(keys, values, strict=True) if v and opened_at(v) < before][: limit - removed]
            removed += await self._up(self.r.delete(*gone)) if gone else 0
            if removed >= limit:
                break
        return int(removed)
