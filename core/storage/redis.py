"""The scale-out store: any number of Parley processes share one Redis (or Valkey).

Hot-path calls are one Lua script each (core/storage/redis_lua.py), so a turn costs a handful of
round trips. Every Redis error becomes ``StoreUnavailable``: webhooks answer 503, /readyz says
503, background loops pause, and the next call after Redis returns simply works (the client
reconnects by itself; scripts are re-loaded on NOSCRIPT after a restart).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import time
from typing import Any

from parley.core.kernel.messages import Inbound
from parley.core.storage import redis_lua as lua
from parley.core.storage import redis_lua_people as people
from parley.core.storage.identities import ProfileConflict
from parley.core.storage.redis_accounts import HITS, RedisAccounts
from parley.core.storage.redis_client import client_for, split_url
from parley.core.storage.redis_identities import RedisIdentities
from parley.core.storage.redis_leads import RedisLeads
from parley.core.storage.redis_lua import escape, unescape
from parley.core.storage.redis_migrate import migrate
from parley.core.storage.redis_outbox import RedisOutbox
from parley.core.storage.redis_privacy import RedisPrivacy
from parley.core.storage.redis_relay import RedisRelay
from parley.core.storage.redis_shared import RedisLease, RedisLimiter, up
from parley.core.storage.store import (
    Batch,
    InboxItem,
    LockLost,
    StoreUnavailable,
)

log = logging.getLogger("parley.redis")


class RedisStore(RedisOutbox, RedisAccounts, RedisLeads, RedisIdentities, RedisPrivacy):
    def __init__(self, url: str, clock=time.time, prefix: str = "", owner: str = "") -> None:
        self.url, named = split_url(url)
        self.clock = clock
        self.owner = owner  # recorded on every lock and lease this store takes (liveness.py)
        self.p = "{" + (prefix or named) + "}:"  # one hash tag: every script stays in one Cluster slot
        self.r = client_for(self.url, self.p)
        s = self.r.register_script
        self._accept, self._begin, self._commit = s(lua.ACCEPT), s(lua.BEGIN), s(lua.COMMIT)
        self._release = s(lua.RELEASE)
        self._kv_set, self._erase, self._relink = s(people.KV_SET), s(people.ERASE), s(people.RELINK)
        self._hits_script = s(HITS)
        self._init_privacy()
        self._init_outbox()
        self._recover = s(lua.RECOVER)
        self._migrated = False
        self._unreleased: list[tuple[str, int]] = []  # calls that failed in an outage, replayed after
        self.limiter = RedisLimiter(self.r, self.p, self._up)
        self.lease = RedisLease(self.r, self.p, self._up)
        self.relay = RedisRelay(self.r, self.p, self._up)

    _up = staticmethod(up)

    async def open(self) -> None:
        with contextlib.suppress(StoreUnavailable):  # Redis not up yet: ping (start-up waits on it) tries again
            await self._migrate()
        await self.relay.start()

    async def _migrate(self) -> None:
        """Data in the layout before the conversation hash moves once (redis_migrate.py)."""
        if not self._migrated:
            await migrate(self)
            self._migrated = True

    async def close(self) -> None:
        await self.relay.stop()
        await self.r.aclose()

    async def ping(self) -> None:
        await self._migrate()
        # A write, not PING: a Redis out of memory (noeviction) or failing to persist (MISCONF)
        # answers PING and refuses every write.
        await self._up(self.r.set(f"{self.p}probe", str(self.clock()), px=60_000))

    # -- inbox ---------------------------------------------------------------------------------
    def _conv(self, conversation: str) -> str:
        return f"{self.p}c:{conversation}"

    def _accept_args(self, item: InboxItem, dedupe_ttl: float, now: float) -> list[Any]:
        person = item.inbound.address.person
        body = json.dumps(
            {"c": item.conversation, "p": person, "a": item.accepted_at, "b": item.inbound.model_dump_json()}
        )
        return [self.p, item.conversation, now, dedupe_ttl, escape(item.id), escape(person), item.accepted_at, body]

    async def accept(self, item: InboxItem, dedupe_ttl: float) -> bool:
        keys = [self._conv(item.conversation), f"{self.p}seen:{item.id}"]
        args = [*self._accept_args(item, dedupe_ttl, self.clock()), "0"]
        new, *_ = await self._up(self._accept(keys=keys, args=args))
        return bool(new)

    async def accept_begin(self, item: InboxItem, dedupe_ttl: float, lease: float, limit: int):
        """AcceptsAndBegins: one script for both; begin runs at ``item.accepted_at``."""
        keys = [self._conv(item.conversation), f"{self.p}seen:{item.id}"]
        # One clock reading for the dedupe and the lock, as begin's ``now``.
        args = self._accept_args(item, dedupe_ttl, item.accepted_at)
        args += ["1", repr(item.accepted_at + lease), limit, self.owner]
        new, *begun = await self._up(self._accept(keys=keys, args=args))
        return bool(new), self._batch(item.conversation, begun[0]) if begun else None

    async def begin(self, conversation, lease, limit, now, reclaim=False) -> Batch | None:
        args = [self.p, conversation, now, repr(now + lease), limit, self.owner, "1" if reclaim else "0"]
        got = await self._up(self._begin(keys=[self._conv(conversation)], args=args))
        return self._batch(conversation, got) if got else None

    def _batch(self, conversation: str, got: list[Any]) -> Batch:
        token, state, entries, profiles, linked = got
        items = []
        for entry in entries.split("\n")[1:]:
            item_id, _, _, body = entry.split("\t", 3)
            parts = json.loads(body)
            inbound = Inbound.model_validate_json(parts["b"])
            items.append(InboxItem(unescape(item_id), conversation, inbound, parts["a"]))
        bodies = {profiles[n]: json.loads(profiles[n + 1] or "{}") for n in range(0, len(profiles), 3)}
        versions = {profiles[n]: int(profiles[n + 2]) for n in range(0, len(profiles), 3)}
        people = {linked[n]: linked[n + 1] for n in range(0, len(linked), 2)}
        return Batch(int(token), items, json.loads(state or "{}"), bodies, people, versions)

    async def commit(self, conversation, token, done, state, profiles, outbox, release=False, lease=0.0, versions=None):
        """With ``lease`` the first reply, if nothing of its address is unfinished, is stored
        already leased to us and returned: the caller sends it at once, no claim round trip.
        (Were the answer lost, it waits out the lease and a claim sends it.)"""
        args: list[Any] = [
            self.p,
            conversation,
            self.clock(),
            str(token),
            escape(done) if done else "",
            json.dumps(state),
        ]
        args += ["1" if release else "0", lease, self.owner, len(profiles)]
        for person, profile in profiles.items():
            expected = (versions or {}).get(person)
            args += [person, escape(person), json.dumps(profile), "" if expected is None else expected]
        args += self._outbox_args(outbox)
        code, *rest = await self._up(self._commit(keys=[self._conv(conversation)], args=args))
        if code == -2:
            raise ProfileConflict(conversation)
        if code < 0:
            raise LockLost(conversation)
        if not rest[0]:
            return []
        item_id, leased_token, seq = rest[0]
        first = outbox[0]  # only the first reply is ever leased at commit
        assert first.id == item_id
        return [dataclasses.replace(first, token=int(leased_token), seq=int(seq))]

    async def release(self, conversation: str, token: int) -> None:
        try:
            await self._release_call(conversation, token)
        except StoreUnavailable:
            # Release it when Redis is back rather than leaving the conversation locked for a lease.
            self._unreleased.append((conversation, token))
            raise

    async def _release_call(self, conversation: str, token: int) -> None:
        await self._up(self._release(keys=[self._conv(conversation)], args=[self.p, str(token), conversation]))

    async def release_dead(self, dead, now: float) -> int:
        # Every held lock is in "pending" (redis_lua.py): its owners, and the outbox leases'.
        convs = await self._up(self.r.zrange(f"{self.p}pending", 0, -1))
        held: list[str] = []
        for start in range(0, len(convs), 500):
            async with self.r.pipeline(transaction=False) as pipe:
                for conversation in convs[start : start + 500]:
                    pipe.hget(self._conv(conversation), "o")
                held += await self._up(pipe.execute())
        held += await self._up(self.r.hvals(f"{self.p}oleased"))
        gone = sorted({owner for owner in held if owner and dead(owner)})
        if not gone:
            return 0
        return int(await self._up(self._recover(args=[self.p, str(now), *gone])))

    async def stale(self, accepted_before: float, limit: int) -> list[str]:
        while self._unreleased:
            conversation, token = self._unreleased[-1]
            await self._release_call(conversation, token)
            self._unreleased.pop()
        return await self._up(
            self.r.zrangebyscore(f"{self.p}pending", "-inf", f"({accepted_before}", start=0, num=limit)
        )

    # -- key/value ---------------------------------------------------------------------------
    async def get(self, key: str) -> str | None:
        value, until = await self._up(self.r.hmget(f"{self.p}kv:{key}", ["v", "u"]))
        if value is None or (until and float(until) <= self.clock()):
            return None
        return value

    async def _set(self, key: str, value: str, ttl: float | None, only_if_absent: bool) -> bool:
        until = self.clock() + ttl if ttl else ""
        args = [value, until, int(ttl * 1000) if ttl else 0, self.clock(), "1" if only_if_absent else "0"]
        return bool(await self._up(self._kv_set(keys=[f"{self.p}kv:{key}"], args=args)))

    async def put(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._set(key, value, ttl, False)

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        return await self._set(key, value, ttl, True)

    async def delete(self, key: str) -> None:
        await self._up(self.r.delete(f"{self.p}kv:{key}"))

    # -- people ------------------------------------------------------------------------------
    async def profile(self, person: str) -> dict[str, Any]:
        return json.loads(await self._up(self.r.get(f"{self.p}profile:{person}")) or "{}")

    async def save_profile(self, person: str, profile: dict[str, Any]) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.set(f"{self.p}profile:{person}", json.dumps(profile)).incr(f"{self.p}pver:{person}")
            await self._up(pipe.execute())

    async def state(self, conversation: str) -> dict[str, Any]:
        return json.loads(await self._up(self.r.hget(self._conv(conversation), "s")) or "{}")

    async def export_person(self, person: str) -> dict[str, Any]:
        convs = sorted(await self._up(self.r.smembers(f"{self.p}links:{person}")))
        ids = await self._up(self.r.smembers(f"{self.p}pout:{person}"))
        async with self.r.pipeline(transaction=False) as pipe:
            for item_id in ids:
                pipe.hmget(f"{self.p}o:{item_id}", ["seq", "body", "status"])
            rows = await self._up(pipe.execute())
        outbox = sorted((int(s), i, json.loads(b), st) for i, (s, b, st) in zip(ids, rows, strict=True) if s)
        return {
            "person": person,
            "profile": await self.profile(person),
            "conversations": {c: await self.state(c) for c in convs},
            "outbox": [{"id": i, "text": json.loads(b["r"])["text"], "status": st} for _, i, b, st in outbox],
        }

    async def erase_person(self, person: str) -> int:
        return int(await self._up(self._erase(args=[self.p, person, escape(person), self.clock()])))
