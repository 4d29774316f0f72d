"""The schedule in Redis: a ``due`` ZSET, an ``inflight`` ZSET scored by lease deadline, a small
hash per send only while it needs one, and bounded Lua scripts (parley.core.schedule.redis_lua).

A waiting campaign send is one ZSET member and nothing else (its id says campaign, person and
step; the text is rendered from the campaign at send time), which keeps a pending send well
under 300 bytes. Follow-ups and reminders carry their text in a hash. Finished sends keep a
status hash for ``keep`` seconds: long enough that a re-plan cannot send them twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from parley.core.schedule import redis_people as people_index
from parley.core.schedule.people_search import PeopleQuery
from parley.core.schedule.redis_lua import ACK, ACK_MANY, ADD, CANCEL, CANCEL_MANY, CLAIM, RESCHEDULE
from parley.core.schedule.redis_waiting import WaitingIndex
from parley.core.schedule.store import (
    ERASED,
    MAX_CLAIM,
    CampaignRecord,
    Claimed,
    PersonEntry,
    ScheduleStats,
    Send,
    Waiting,
    campaign_of,
    person_of_send,
)
from parley.core.storage.redis_client import AnyRedis, client_for, split_url
from parley.core.storage.redis_shared import Client, unavailable_on_errors


def named_by(send_id: str) -> str:
    """The person a campaign send is for, or the conversation a follow-up or reminder is in."""
    if send_id.startswith("c:") and send_id.count(":") >= 3:
        return person_of_send(send_id)
    if send_id.startswith("fu:"):
        return send_id[3:].rsplit(":", 2)[0]
    return ""


def glob(text: str) -> str:
    """``text`` matched literally in a Redis MATCH pattern."""
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


@unavailable_on_errors  # a Redis outage reaches the planner and the turns as StoreUnavailable
class RedisScheduleStore(Client):
    WHAT = "schedule store"

    def __init__(self, url: str, namespace: str = "", keep: float = 90 * 86400) -> None:
        # The store's ``?prefix=`` names the namespace too, so several bots can share one Redis.
        self.url, named = split_url(url)
        namespace = namespace or named
        self.keep = int(keep)
        # The store's own hash tag: schedule and store share one Cluster slot and one cleanup.
        tag = "{" + namespace + "}:sched"
        self.due, self.inflight, self.tok = f"{tag}:due", f"{tag}:inflight", f"{tag}:token"
        self.sends, self.counts = f"{tag}:s:", f"{tag}:n:"
        self.camps, self.camp_ids = f"{tag}:c:", f"{tag}:campaigns"
        self.people_key, self.person_key = f"{tag}:people", f"{tag}:p:"
        self.search = people_index.Keys.under(tag)  # the people search's index (redis_people.py)
        self.waits = WaitingIndex.under(tag)  # each campaign's unfinished sends (redis_waiting.py)
        self._waits_built = False
        self.tag = tag
        self.r: AnyRedis | None = None

    async def open(self) -> None:
        # A blocking pool: a dispatcher batch of 100 concurrent sends waits for a connection
        # instead of failing with "Too many connections".
        self.r = client_for(self.url, self.tag, max_connections=32, timeout=10)
        self._add = self.r.register_script(ADD)
        self._claim = self.r.register_script(CLAIM)
        self._ack = self.r.register_script(ACK)
        self._ack_many = self.r.register_script(ACK_MANY)
        self._resched = self.r.register_script(RESCHEDULE)
        self._cancel = self.r.register_script(CANCEL)
        self._cancel_many = self.r.register_script(CANCEL_MANY)
        # No ping: the app starts (and says "not ready") while Redis is down; the dispatcher and
        # planner retry until it answers.

    async def add(self, sends: list[Send]) -> int:
        new = 0
        for start in range(0, len(sends), MAX_CLAIM):  # bounded scripts: no call blocks Redis for long
            args: list[str | float] = [self.sends, self.counts, self.waits.prefix]
            for send in sends[start : start + MAX_CLAIM]:
                args += [send.id, send.due, send.data, campaign_of(send.id)]
            new += await self._add(keys=[self.due], args=args)
        return new

    async def claim(self, limit: int, lease: float, now: float | None = None) -> list[Claimed]:
        args = [self.sends, min(limit, MAX_CLAIM), lease, "" if now is None else repr(now)]
        out = await self._claim(keys=[self.due, self.inflight, self.tok], args=args)
        if not out:
            return []
        token = int(out[0])
        return [Claimed(out[i], float(out[i + 1]), token, out[i + 2]) for i in range(1, len(out), 3)]

    async def ack(self, send_id: str, token: int, outcome: str) -> bool:
        campaign = campaign_of(send_id)
        counters = self.counts + campaign if campaign else ""
        args = [self.sends + send_id, send_id, token, outcome, counters, self.keep, self.waits.key(campaign)]
        return bool(await self._ack(keys=[self.inflight], args=args))

    async def ack_many(self, acks: list[tuple[str, int, str]]) -> int:
        held = 0
        for start in range(0, len(acks), MAX_CLAIM):
            args: list[str | int] = [self.sends, self.counts, self.keep, self.waits.prefix]
            for send_id, token, outcome in acks[start : start + MAX_CLAIM]:
                args += [send_id, token, outcome, campaign_of(send_id)]
            held += await self._ack_many(keys=[self.inflight], args=args)
        return held

    async def reschedule(self, send_id: str, token: int, at: float) -> bool:
        args = [self.sends + send_id, send_id, token, at]
        return bool(await self._resched(keys=[self.inflight, self.due], args=args))

    async def cancel(self, send_id: str) -> bool:
        args = [self.sends + send_id, send_id, self.keep, self.waits.key(campaign_of(send_id))]
        return bool(await self._cancel(keys=[self.due, self.inflight], args=args))

    async def status(self, send_id: str) -> str | None:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(self.sends + send_id, "s")
            pipe.zscore(self.due, send_id)
            state, due = await pipe.execute()
        return state or ("due" if due is not None else None)

    async def holds(self, send_id: str, token: int) -> bool:
        state, held = await self.redis.hmget(self.sends + send_id, ["s", "t"])
        return state == "inflight" and held == str(token)

    async def stats(self, now: float) -> ScheduleStats:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcount(self.due, "-inf", now).zcard(self.due).zcard(self.inflight)
            pipe.zrange(self.due, 0, 0, withscores=True)
            due_now, due, inflight, first = await pipe.execute()
        return ScheduleStats(due_now, due - due_now, inflight, float(first[0][1]) if first else None)

    async def due_at(self, send_id: str) -> float | None:
        return await self.redis.zscore(self.due, send_id)

    async def _waits(self) -> WaitingIndex:
        if not self._waits_built:  # a schedule from before the index: built once, on first use
            await self.waits.ensure(self.redis)
            self._waits_built = True
        return self.waits

    async def waiting(self, campaign: str, after: str, limit: int) -> list[Waiting]:
        return await (await self._waits()).page(self.redis, campaign, after, limit)

    async def cancel_campaign(self, campaign: str) -> int:
        waits, live = await self._waits(), 0
        while ids := await self.redis.zrange(waits.key(campaign), 0, MAX_CLAIM - 1):
            # bounded scripts, as everywhere; each batch leaves the campaign's index
            args = [self.sends, self.keep, self.counts + campaign, waits.key(campaign), *ids]
            live += await self._cancel_many(keys=[self.due, self.inflight], args=args)
        return live

    async def put_campaign(self, record: CampaignRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.camps + record.id, record.to_json())
            pipe.sadd(self.camp_ids, record.id)
            await pipe.execute()

    async def campaign(self, campaign: str) -> CampaignRecord | None:
        raw = await self.redis.get(self.camps + campaign)
        return CampaignRecord.from_json(raw) if raw else None

    async def campaigns(self) -> list[CampaignRecord]:
        ids = sorted(await self.redis.smembers(self.camp_ids))
        raws = await self.redis.mget([self.camps + i for i in ids]) if ids else []
        return [CampaignRecord.from_json(raw) for raw in raws if raw]

    async def count(self, campaign: str, what: str, n: int = 1) -> None:
        await self.redis.hincrby(self.counts + campaign, what, n)

    async def progress(self, campaign: str) -> dict[str, int]:
        return {k: int(v) for k, v in (await self.redis.hgetall(self.counts + campaign)).items()}

    async def put_person(self, entry: PersonEntry) -> None:
        old = await self.redis.get(self.person_key + entry.person)
        async with self.redis.pipeline(transaction=True) as pipe:
            if old:  # what it was found by before (a tag removed, a new name)
                people_index.unindex(pipe, self.search, PersonEntry.from_json(old))
            pipe.set(self.person_key + entry.person, entry.to_json())
            pipe.zadd(self.people_key, {entry.person: 0})
            people_index.index(pipe, self.search, entry)
            await pipe.execute()

    async def person(self, person: str) -> PersonEntry | None:
        raw = await self.redis.get(self.person_key + person)
        return PersonEntry.from_json(raw) if raw else None

    async def people(self, after: str, limit: int) -> list[PersonEntry]:
        low = f"({after}" if after else "-"
        names = await self.redis.zrangebylex(self.people_key, low, "+", start=0, num=limit)
        raws = await self.redis.mget([self.person_key + n for n in names]) if names else []
        return [PersonEntry.from_json(raw) for raw in raws if raw]

    async def forget_person(self, person: str, conversations: Sequence[str] = ()) -> int:
        return (await self.forget_people([(person, conversations)]))[0]

    async def forget_people(self, people: Sequence[tuple[str, Sequence[str]]]) -> list[int]:
        removed = []
        for person, _ in people:
            old = await self.redis.get(self.person_key + person)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(self.person_key + person)
                pipe.zrem(self.people_key, person)
                if old:
                    people_index.unindex(pipe, self.search, PersonEntry.from_json(old))
                gone, *_ = await pipe.execute()
            removed.append(int(gone))
        owner = {p: n for n, (p, _) in enumerate(people)} | {c: n for n, (_, cs) in enumerate(people) for c in cs}
        live, kept = await self._find_sends(owner)
        if live or kept:
            async with self.redis.pipeline(transaction=True) as pipe:
                for send_id in live:
                    pipe.zrem(self.due, send_id).zrem(self.inflight, send_id).delete(self.sends + send_id)
                    if campaign_of(send_id):
                        pipe.hincrby(self.counts + campaign_of(send_id), ERASED, 1)
                        pipe.zrem(self.waits.key(campaign_of(send_id)), send_id)
                for send_id in kept:
                    pipe.delete(self.sends + send_id)
                await pipe.execute()
        for send_id in set(live) | kept:
            removed[owner[named_by(send_id)]] += 1
        return removed

    async def _find_sends(self, owner: dict[str, int]) -> tuple[dict[str, Waiting], set[str]]:
        """The sends naming anyone in ``owner`` (person ids and conversation ids): those waiting
        or in flight (ZSET members) by id, and the ids of finished ones and tombstones (a status
        hash each). One pass over each ZSET and one SCAN of the status hashes, whatever the
        number of people: a send's id says whom it names (``named_by``)."""
        live: dict[str, Waiting] = {}
        for key, status in ((self.due, "due"), (self.inflight, "inflight")):
            async for member, score in self.redis.zscan_iter(key, count=1000):
                if named_by(member) in owner:
                    live[member] = Waiting(member, status, score if status == "due" else None)
        kept: set[str] = set()
        async for key in self.redis.scan_iter(match=glob(self.sends) + "*", count=1000):
            send_id = key[len(self.sends) :]
            if named_by(send_id) in owner and send_id not in live:
                kept.add(send_id)
        return live, kept

    async def person_sends(self, persons: Sequence[str], conversations: Sequence[str]) -> list[Waiting]:
        live, kept = await self._find_sends(dict.fromkeys([*persons, *conversations], 0))
        finished = [Waiting(i, await self.redis.hget(self.sends + i, "s") or "", None) for i in kept]
        return sorted([*live.values(), *finished], key=lambda w: w.id)

    async def purge_index(self) -> None:
        pass  # the search index's members went with the entry (redis_people.unindex)

    async def inactive(self, before: float, limit: int) -> list[str]:
        return await self.redis.zrangebyscore(self.search.seen, "(0", f"({before!r}", start=0, num=limit)

    async def expire_sends(self, before: float, limit: int) -> int:
        """Finished sends expire by themselves here, ``keep`` seconds after they finish."""
        return 0

    async def recent_people(self, limit: int) -> list[PersonEntry]:
        return await people_index.recent(self.redis, self.search, self.person_key, limit)

    async def find_people(self, query: PeopleQuery, limit: int) -> list[PersonEntry]:
        if query.empty:
            return await self.people("", limit)
        return await people_index.find(self.redis, self.search, self.person_key, query, limit)
