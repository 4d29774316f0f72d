"""A send whose record the store refuses (disk full, Redis away) is kept and recorded later:
never lost, never sent again, even after its lease ran out."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from parley.core.http.metrics import Metrics
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Reply
from parley.core.kernel.outbox import Outbox
from parley.core.storage.redis import RedisStore
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.store import OutboxItem, StoreUnavailable

from tests.unit.test_outbox import A, FlakyPlatform


class Refusing:
    """Mixed into a real store: settle fails while ``down`` (a full disk, a dropped connection)."""

    down = False

    async def settle(self, item_id, token, outcome, now):
        if self.down:
            raise StoreUnavailable("the store refused the write")
        return await super().settle(item_id, token, outcome, now)


class RefusingSQLite(Refusing, SQLiteStore):
    pass


class RefusingRedis(Refusing, RedisStore):
    pass


@pytest.fixture(params=["sqlite", "redis"])
async def refusing(request, tmp_path):
    """Builds the store on the test's clock; Redis is the real server (cleaned after)."""
    made = []

    async def build(clock):
        if request.param == "sqlite":
            store = RefusingSQLite(tmp_path / "o.db", clock=clock)
        else:
            url = request.getfixturevalue("redis_url")
            store = RefusingRedis(url, clock=clock, prefix=f"kept-{uuid.uuid4().hex[:8]}")
        await store.open()
        made.append(store)
        return store

    yield build
    for store in made:
        if isinstance(store, RedisStore):
            keys = [k async for k in store.r.scan_iter(match=store.p.replace("{", "[{]") + "*")]
            if keys:
                await store.r.delete(*keys)
        await store.close()


async def sends_finish(outbox: Outbox) -> None:
    if outbox._inflight:
        await asyncio.wait(outbox._inflight)


async def test_a_refused_settle_is_kept_and_recorded_without_a_second_send(refusing):
    clock = ManualClock()
    store = await refusing(clock)
    platform = FlakyPlatform()
    metrics = Metrics()
    outbox = Outbox(store, {"flaky": platform}, metrics, clock, lease=30.0)
    await store.enqueue([OutboxItem("r1", A, Reply(text="hello"), clock())])
    store.down = True
    await outbox.pump()
    await sends_finish(outbox)
    assert platform.sent == ["hello"]
    assert metrics.unsettled._value.get() == 1
    clock.advance(31)  # its lease ran out while the store was down
    assert not await outbox.record_kept()  # still down: kept
    store.down = False
    # What the run loop does before each claim: the kept outcome goes first.
    assert await outbox.record_kept()
    assert await outbox.pump() == 0  # nothing to claim: it is recorded as sent
    await sends_finish(outbox)
    assert platform.sent == ["hello"]
    stats = await store.outbox_stats()
    assert stats.sent == 1 and stats.sending == 0
    assert metrics.unsettled._value.get() == 0


async def test_without_the_kept_record_the_expired_lease_would_send_again(refusing):
    """The control: what the kept record prevents."""
    clock = ManualClock()
    store = await refusing(clock)
    platform = FlakyPlatform()
    outbox = Outbox(store, {"flaky": platform}, Metrics(), clock, lease=30.0)
    await store.enqueue([OutboxItem("r1", A, Reply(text="hello"), clock())])
    store.down = True
    await outbox.pump()
    await sends_finish(outbox)
    store.down = False
    clock.advance(31)
    outbox._unsettled.clear()  # forget the kept outcome, as the old outbox did
    await outbox.pump()
    await sends_finish(outbox)
    assert platform.sent == ["hello", "hello"]


async def test_a_sent_message_records_how_long_it_went_unrecorded(tmp_path):
    clock = ManualClock()
    store = SQLiteStore(tmp_path / "o.db", clock=clock)
    await store.open()
    metrics = Metrics()
    outbox = Outbox(store, {"flaky": FlakyPlatform()}, metrics, clock)
    try:
        await store.enqueue([OutboxItem("r1", A, Reply(text="hello"), clock())])
        await outbox.pump()
        await sends_finish(outbox)
        body = metrics.render().decode()
        assert 'parley_outbox_unrecorded_seconds_count{channel="flaky"} 1.0' in body
    finally:
        await store.close()
