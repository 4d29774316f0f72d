"""``LeadStore`` on Redis: RedisStore mixes it in. A hash of records by id, a sorted set of ids
by creation time (all leads) and one per outcome, and a set per person (for erasure)."""

from __future__ import annotations

from parley.core.storage.leads import LeadRecord, Outcome
from parley.core.storage.redis_client import AnyRedis
from parley.core.storage.redis_shared import Up


class RedisLeads:
    r: AnyRedis  # one server or a cluster (redis_client.py)
    p: str
    _up: Up

    def _by(self, outcome: Outcome | None) -> str:
        return f"{self.p}leads:t:{outcome.value if outcome else 'all'}"

    async def put_lead(self, lead: LeadRecord) -> None:
        old = await self.lead(lead.id)
        async with self.r.pipeline(transaction=True) as pipe:
            if old is not None and old.outcome != lead.outcome:
                pipe.zrem(self._by(old.state), lead.id)
            pipe.hset(f"{self.p}leads", lead.id, lead.to_json())
            pipe.zadd(self._by(None), {lead.id: lead.created})
            pipe.zadd(self._by(lead.state), {lead.id: lead.created})
            pipe.sadd(f"{self.p}leads:p:{lead.person}", lead.id)
            await self._up(pipe.execute())

    async def lead(self, lead_id: str) -> LeadRecord | None:
        body = await self._up(self.r.hget(f"{self.p}leads", lead_id))
        return LeadRecord.from_json(body) if body else None

    async def leads(self, outcome: Outcome | None, before: float, limit: int) -> list[LeadRecord]:
        top = f"({before}" if before else "+inf"
        ids = await self._up(self.r.zrevrangebyscore(self._by(outcome), top, "-inf", start=0, num=limit))
        bodies = await self._up(self.r.hmget(f"{self.p}leads", ids)) if ids else []
        found = [LeadRecord.from_json(b) for b in bodies if b]
        return sorted(found, key=lambda x: (-x.created, x.id))

    async def person_leads(self, person: str) -> list[LeadRecord]:
        ids = list(await self._up(self.r.smembers(f"{self.p}leads:p:{person}")))
        bodies = await self._up(self.r.hmget(f"{self.p}leads", ids)) if ids else []
        return sorted((LeadRecord.from_json(b) for b in bodies if b), key=lambda x: (x.created, x.id))

    async def forget_leads(self, person: str) -> int:
        ids = list(await self._up(self.r.smembers(f"{self.p}leads:p:{person}")))
        async with self.r.pipeline(transaction=True) as pipe:
            if ids:
                pipe.hdel(f"{self.p}leads", *ids)
                for outcome in (None, *Outcome):
                    pipe.zrem(self._by(outcome), *ids)
            pipe.delete(f"{self.p}leads:p:{person}")
            await self._up(pipe.execute())
        return len(ids)

    async def expire_leads(self, before: float, limit: int) -> int:
        ids = await self._up(self.r.zrangebyscore(self._by(None), "-inf", f"({before}", start=0, num=limit))
        if not ids:
            return 0
        bodies = await self._up(self.r.hmget(f"{self.p}leads", ids))
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(f"{self.p}leads", *ids)
            for outcome in (None, *Outcome):
                pipe.zrem(self._by(outcome), *ids)
            for lead_id, body in zip(ids, bodies, strict=True):
                if body:  # its person's set (erasure's index) forgets it too
                    pipe.srem(f"{self.p}leads:p:{LeadRecord.from_json(body).person}", lead_id)
            await self._up(pipe.execute())
        return len(ids)
