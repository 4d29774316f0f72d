"""Singletons by lease (core/kernel/lease.py) on the embedded store's key/value calls."""

from __future__ import annotations

import asyncio

from parley.core.kernel.clock import ManualClock
from parley.core.kernel.lease import KeyValueLease, run_singleton
from parley.core.storage.memory import MemoryStore
from parley.core.storage.sqlite import SQLiteStore

from tests.conftest import eventually


async def test_singleton_runs_in_one_holder_and_moves_when_it_stops():
    clock = ManualClock()
    store = MemoryStore(clock=clock)
    lease = KeyValueLease(store)
    running: list[str] = []

    def work(owner: str):
        async def run() -> None:
            running.append(owner)
            await asyncio.Event().wait()

        return run

    a = asyncio.create_task(run_singleton(lease, "gateway", "a", 0.3, work("a")))
    await eventually(lambda: running == ["a"])
    b = asyncio.create_task(run_singleton(lease, "gateway", "b", 0.3, work("b")))
    await asyncio.sleep(0.25)
    assert running == ["a"]
    a.cancel()  # a graceful stop releases the lease at once
    await asyncio.gather(a, return_exceptions=True)
    await eventually(lambda: running == ["a", "b"])
    b.cancel()
    await asyncio.gather(b, return_exceptions=True)


async def test_a_holder_that_finds_its_lease_taken_stops_its_work():
    store = MemoryStore(clock=ManualClock())
    stopped = asyncio.Event()

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()

    task = asyncio.create_task(run_singleton(KeyValueLease(store), "poller", "a", 0.3, work))
    await eventually(lambda: store.get("lease:poller"))
    await store.put("lease:poller", "b", ttl=60)  # a paused process came back late: b holds it now
    await asyncio.wait_for(stopped.wait(), 2)
    assert await store.get("lease:poller") == "b"  # and a did not release b's lease
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_lease_left_by_a_dead_process_is_released_at_once(tmp_path):
    store = SQLiteStore(tmp_path / "l.db")
    await store.open()
    lease = KeyValueLease(store)
    assert await lease.hold("poller", "box:1:dead", 60)  # a process killed while polling
    ran = asyncio.Event()

    async def work() -> None:
        ran.set()

    alive = asyncio.create_task(run_singleton(lease, "poller", "a", 60, work, dead=lambda who: False))
    await asyncio.sleep(0.2)
    assert not ran.is_set()  # a live holder's lease is waited out
    alive.cancel()
    await asyncio.gather(alive, return_exceptions=True)
    await run_singleton(lease, "poller", "a", 60, work, dead=lambda who: who == "box:1:dead")
    assert ran.is_set()  # no 60 s wait
    await store.close()
