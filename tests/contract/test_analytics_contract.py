"""The analytics store contract (parley.testing.contracts.analytics) against memory, SQLite and Redis
(one server, a local Redis Cluster, Valkey)."""

from __future__ import annotations

import uuid

import pytest
from parley.core.analytics.memory import MemoryAnalyticsStore
from parley.core.analytics.redis import RedisAnalyticsStore
from parley.core.analytics.sqlite import SQLiteAnalyticsStore

from parley.testing.contracts.analytics import AnalyticsStoreContract


class TestMemoryAnalyticsStore(AnalyticsStoreContract):
    @pytest.fixture
    async def analytics_store(self):
        store = MemoryAnalyticsStore()
        await store.open()
        yield store
        await store.close()


class TestSQLiteAnalyticsStore(AnalyticsStoreContract):
    @pytest.fixture
    async def analytics_store(self, tmp_path):
        store = SQLiteAnalyticsStore(tmp_path / "analytics.db")
        await store.open()
        yield store
        await store.close()


class TestRedisAnalyticsStore(AnalyticsStoreContract):
    @pytest.fixture
    async def analytics_store(self, redis_like_url):
        store = RedisAnalyticsStore(redis_like_url, namespace=f"test-{uuid.uuid4().hex[:8]}")
        await store.open()
        yield store
        keys = [k async for k in store.redis.scan_iter(match=store.prefix + "*")]
        if keys:  # our own keys only
            await store.redis.delete(*keys)
        await store.close()
