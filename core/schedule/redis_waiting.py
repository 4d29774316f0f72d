"""Each campaign's unfinished sends in Redis, without scanning the shared ``due`` ZSET.

A campaign send waiting or in flight is also a member (score 0, so ordered by id) of the
campaign's own ZSET under the ``waiting`` prefix; the Lua scripts add it with the send and remove
it when the send is acked or cancelled (parley.core.schedule.redis_lua). Listing a page of a
campaign's waiting sends is then one ZRANGEBYLEX and two ZMSCOREs however many sends other
campaigns hold.

A schedule written before this index existed has none: the first read builds it once from
``due`` and ``inflight`` and leaves a marker. A member left behind by a send that finished while
the index was being built is recognised (in neither ZSET) and dropped when read.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from parley.core.schedule.store import Waiting, campaign_of


@dataclass(frozen=True)
class WaitingIndex:
    prefix: str  # + campaign: the campaign's ZSET of unfinished send ids
    marker: str  # set once the index covers every send (built, or the schedule started with it)
    due: str
    inflight: str

    @classmethod
    def under(cls, tag: str) -> WaitingIndex:
        return cls(f"{tag}:w:", f"{tag}:w-built", f"{tag}:due", f"{tag}:inflight")

    def key(self, campaign: str) -> str:
        return self.prefix + campaign if campaign else ""

    async def ensure(self, r: aioredis.Redis) -> None:
        """Build the index from ``due`` and ``inflight`` once, if this schedule predates it."""
        if await r.exists(self.marker):
            return
        for source in (self.due, self.inflight):
            batch: dict[str, list[str]] = {}
            async for member, _ in r.zscan_iter(source, count=1000):
                if campaign := campaign_of(member):
                    batch.setdefault(campaign, []).append(member)
                if sum(map(len, batch.values())) >= 1000:
                    await self._add(r, batch)
                    batch = {}
            await self._add(r, batch)
        await r.set(self.marker, "1")

    async def _add(self, r: aioredis.Redis, batch: dict[str, list[str]]) -> None:
        if batch:
            async with r.pipeline(transaction=False) as pipe:
                for campaign, ids in batch.items():
                    pipe.zadd(self.key(campaign), dict.fromkeys(ids, 0))
                await pipe.execute()

    async def page(self, r: aioredis.Redis, campaign: str, after: str, limit: int) -> list[Waiting]:
        key, out = self.key(campaign), []
        while len(out) < limit:
            low = f"({after}" if after else "-"
            ids = await r.zrangebylex(key, low, "+", start=0, num=limit - len(out))
            if not ids:
                break
            async with r.pipeline(transaction=False) as pipe:
                pipe.zmscore(self.due, ids).zmscore(self.inflight, ids)
                due, held = await pipe.execute()
            stale = [i for i, d, h in zip(ids, due, held, strict=True) if d is None and h is None]
            if stale:  # finished while the index was being built: drop it now
                await r.zrem(key, *stale)
            for i, d, h in zip(ids, due, held, strict=True):
                if d is not None:
                    out.append(Waiting(i, "due", float(d)))
                elif h is not None:
                    out.append(Waiting(i, "inflight", None))
            after = ids[-1]
        return out
