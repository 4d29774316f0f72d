"""The privacy contract (parley.testing.contracts.privacy) against memory, SQLite and Redis (one
server, a local Redis Cluster, Valkey): each scan reads every table, or every key of the namespace
with its values."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from parley.core.analytics.memory import MemoryAnalyticsStore
from parley.core.analytics.redis import RedisAnalyticsStore
from parley.core.analytics.sqlite import SQLiteAnalyticsStore
from parley.core.kernel.clock import ManualClock
from parley.core.privacy.audit import Operator, Via
from parley.core.privacy.subject import Subject
from parley.core.schedule.memory import MemoryScheduleStore
from parley.core.schedule.redis import RedisScheduleStore
from parley.core.schedule.sqlite import SQLiteScheduleStore
from parley.core.schedule.store import PersonEntry
from parley.core.storage.memory import MemoryStore
from parley.core.storage.redis import RedisStore
from parley.core.storage.sqlite import SQLiteStore

from parley.testing.contracts.privacy import ANA, NEIGHBOUR, PrivacyContract, Stores


async def opened(s: Stores):
    for part in (s.store, s.sched, s.analytics):
        await part.open()
    return s


async def closed(s: Stores) -> None:
    for part in (s.analytics, s.sched, s.store):
        await part.close()


class TestMemoryPrivacy(PrivacyContract):
    @pytest.fixture
    async def stores(self, clock):
        s = await opened(Stores(MemoryStore(clock), MemoryScheduleStore(clock), MemoryAnalyticsStore(), clock))
        yield s
        await closed(s)

    @pytest.fixture
    def scan(self, stores):
        async def everything() -> str:
            return repr([vars(stores.store), vars(stores.sched), vars(stores.analytics)])

        return everything


class TestSQLitePrivacy(PrivacyContract):
    @pytest.fixture
    async def stores(self, clock, tmp_path):
        store = SQLiteStore(tmp_path / "p.db", clock)
        s = Stores(store, SQLiteScheduleStore(store.path, clock, share=store), None, clock)  # type: ignore[arg-type]
        s.analytics = SQLiteAnalyticsStore(store.path, share=store)
        s = await opened(s)
        yield s
        await closed(s)

    @pytest.fixture
    def scan(self, stores):
        async def everything() -> str:
            # A connection of its own: every table, the search index's shadow tables included.
            db = sqlite3.connect(stores.store.path)
            try:
                tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                out = []
                for table in tables:
                    for row in db.execute(f'SELECT * FROM "{table}"'):
                        out += [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row]
                return "\n".join(out)
            finally:
                db.close()

        return everything


class TestRedisPrivacy(PrivacyContract):
    @pytest.fixture
    async def stores(self, clock, redis_like_url):
        ns = f"privacy-{uuid.uuid4().hex[:8]}"
        s = Stores(
            RedisStore(redis_like_url, clock, prefix=ns),
            RedisScheduleStore(redis_like_url, namespace=ns),
            RedisAnalyticsStore(redis_like_url, namespace=ns),
            clock,
        )
        s = await opened(s)
        yield s
        keys = [k async for k in s.store.r.scan_iter(match=s.store.p.replace("{", "[{]") + "*")]
        if keys:  # our own keys only
            await s.store.r.delete(*keys)
        await closed(s)

    @pytest.fixture
    def scan(self, stores):
        async def everything() -> str:
            r, out = stores.store.r, []
            async for key in r.scan_iter(match=stores.store.p.replace("{", "[{]") + "*", count=1000):
                kind = await r.type(key)
                out.append(key)
                if kind == "string":
                    out.append(await r.get(key) or "")
                elif kind == "hash":
                    out += [f"{k}={v}" for k, v in (await r.hgetall(key)).items()]
                elif kind == "list":
                    out += await r.lrange(key, 0, -1)
                elif kind == "set":
                    out += list(await r.smembers(key))
                elif kind == "zset":
                    out += [m for m, _ in await r.zrange(key, 0, -1, withscores=True)]
            return "\n".join(out)

        return everything


async def test_sqlite_search_index_keeps_no_word_of_an_erased_person(tmp_path):
    """FTS5 keeps a deleted row's words in its segments until they merge: the erasure merges them."""
    clock = ManualClock(1_764_583_200.0)
    store = SQLiteStore(tmp_path / "fts.db", clock)
    s = await opened(Stores(store, SQLiteScheduleStore(store.path, clock, share=store), MemoryAnalyticsStore(), clock))
    try:
        await s.sched.put_person(PersonEntry(ANA.person, ANA, "en", last_seen=clock(), name="Zelda Quixote"))
        await s.sched.put_person(PersonEntry(NEIGHBOUR.person, NEIGHBOUR, "en", last_seen=clock(), name="Bo Lind"))

        def words() -> bytes:
            return b"".join(r[0] for r in store.db.execute("SELECT block FROM sched_people_fts_data") if r[0])

        assert b"quixote" in words()
        assert await Subject(s.store, s.sched, None, clock).erase(ANA.person, Operator("dpo", Via.CLI)) is not None
        assert b"quixote" not in words() and b"zelda" not in words() and b"lind" in words()
    finally:
        await closed(s)
