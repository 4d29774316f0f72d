"""The schedule store contract (parley.testing.contracts.schedule) against memory, SQLite and Redis."""

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
    async def schedule_store(self, redis_url):
        store = RedisScheduleStore(redis_url, namespace=f"test-{uuid.uuid4().hex[:8]}")
        await store.open()
        yield store
        keys = [k async for k in store.redis.scan_iter(match=store.due.rsplit(":", 1)[0] + "*")]
        if keys:  # clean up our own keys only
            await store.redis.delete(*keys)
        await store.close()
