"""The schedule store contract (parley.testing.contracts.schedule) against memory, SQLite and Redis
(one server, a local Redis Cluster, Valkey)."""

from __future__ import annotations

import uuid

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.schedule.memory import MemoryScheduleStore
from parley.core.schedule.redis import RedisScheduleStore
from parley.core.schedule.sqlite import SQLiteScheduleStore

from parley.testing.contracts.schedule import ScheduleStoreContract


class TestMemoryScheduleStore(ScheduleStoreContract):
    @pytest.fixture
    async def schedule_store(self):
        store = MemoryScheduleStore(clock=ManualClock())
        await store.open()
        yield store
        await store.close()


class TestSQLiteScheduleStore(ScheduleStoreContract):
    @pytest.fixture
    async def schedule_store(self, tmp_path):
        store = SQLiteScheduleStore(tmp_path / "sched.db", clock=ManualClock())
        await store.open()
        yield store
        await store.close()


class TestRedisScheduleStore(ScheduleStoreContract):
    @pytest.fixture
    async def schedule_store(self, redis_like_url):
        store = RedisScheduleStore(redis_like_url, namespace=f"test-{uuid.uuid4().hex[:8]}")
        await store.open()
        yield store
        keys = [k async for k in store.redis.scan_iter(match=store.due.rsplit(":", 1)[0] + "*")]
        if keys:  # clean up our own keys only
            await store.redis.delete(*keys)
        await store.close()

    async def test_a_schedule_from_before_the_waiting_index_is_indexed_once_on_first_read(self, schedule_store):
        from parley.core.schedule.store import Send, campaign_send_id

        ids = [campaign_send_id("old", f"web:p{n}") for n in range(5)]
        await schedule_store.add([Send(i, 1000.0 + n) for n, i in enumerate(ids)])
        [held] = await schedule_store.claim(1, 30, now=1000.0)
        r = schedule_store.redis  # as a schedule written before the index: no index, no marker
        await r.delete(schedule_store.waits.key("old"), schedule_store.waits.marker)
        schedule_store._waits_built = False
        await r.zadd(schedule_store.waits.key("old"), {campaign_send_id("old", "web:gone"): 0})  # a stale member
        rows = await schedule_store.waiting("old", "", 10)
        assert [w.id for w in rows] == sorted(ids)
        assert {w.id: w.status for w in rows}[held.id] == "inflight"
        assert await r.exists(schedule_store.waits.marker)
        assert await r.zcard(schedule_store.waits.key("old")) == 5  # the stale member was dropped on read

    async def test_waiting_reads_the_campaigns_own_index_not_the_shared_due_set(self, schedule_store):
        from parley.core.schedule.store import Send, campaign_send_id

        mine = [campaign_send_id("small", f"web:p{n}") for n in range(3)]
        await schedule_store.add([Send(campaign_send_id("big", f"web:p{n}"), 5000.0) for n in range(300)])
        await schedule_store.add([Send(i, 5000.0) for i in mine])
        assert await schedule_store.redis.zcard(schedule_store.waits.key("small")) == 3
        assert [w.id for w in await schedule_store.waiting("small", "", 10)] == sorted(mine)
        [x] = await schedule_store.claim(1, 30, now=5000.0)
        await schedule_store.ack(x.id, x.token, "sent")
        await schedule_store.cancel(mine[0])
        left = await schedule_store.redis.zcard(schedule_store.waits.key("big")) + await schedule_store.redis.zcard(
            schedule_store.waits.key("small")
        )
        assert left == 301  # the acked and the cancelled sends left their campaign's index
        assert await schedule_store.cancel_campaign("big") >= 299
        assert await schedule_store.redis.exists(schedule_store.waits.key("big")) == 0
