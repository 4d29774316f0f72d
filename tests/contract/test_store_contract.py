"""The store contract (parley.testing.contracts.store) against memory, SQLite and Redis (the real
server, PARLEY_TEST_REDIS; a local Redis Cluster of three primaries; Valkey): the same suite a bot
author runs against a store of their own."""

from __future__ import annotations

import uuid

import pytest
from parley.core.storage.memory import MemoryStore
from parley.core.storage.redis import RedisStore
from parley.core.storage.sqlite import SQLiteStore

from parley.testing.contracts.accept_begin import AcceptBeginContract
from parley.testing.contracts.store import StoreContract


class TestMemoryStore(StoreContract):
    leases_at_commit = True

    @pytest.fixture
    async def store(self, clock, owner):
        store = MemoryStore(clock=clock, owner=owner)
        await store.open()
        yield store
        await store.close()


class TestSQLiteStore(StoreContract, AcceptBeginContract):
    leases_at_commit = True

    @pytest.fixture
    async def store(self, clock, owner, tmp_path):
        store = SQLiteStore(tmp_path / "contract.db", clock=clock, owner=owner)
        await store.open()
        yield store
        await store.close()


class TestRedisStore(StoreContract, AcceptBeginContract):
    leases_at_commit = True

    @pytest.fixture
    async def store(self, clock, owner, redis_like_url):
        store = RedisStore(redis_like_url, clock=clock, prefix=f"contract-{uuid.uuid4().hex[:8]}", owner=owner)
        await store.open()
        yield store
        keys = [k async for k in store.r.scan_iter(match=store.p.replace("{", "[{]") + "*")]
        if keys:  # clean up our own keys only
            await store.r.delete(*keys)
        await store.close()
