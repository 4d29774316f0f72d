"""Regression: the outbox worker must stop when cancelled, even as a wake-up lands.

On Python 3.11 ``asyncio.wait_for`` returns the inner result and swallows a cancellation that
arrives in the same loop turn as the inner wait completing (CPython gh-86296); the idle outbox
then never stopped and Parley's shutdown hung (seen in the Discord contract tests, where a send
finishing wakes the outbox just as the test ends). The outbox now waits with asyncio.timeout.
"""

from __future__ import annotations

import asyncio

import pytest
from parley.core.http.metrics import Metrics
from parley.core.kernel.outbox import Outbox
from parley.core.storage.memory import MemoryStore


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_cancel_landing_with_a_wake_up_stops_the_worker(turns):
    store = MemoryStore()
    await store.open()
    outbox = Outbox(store, {}, Metrics(), idle_poll=30.0)
    task = asyncio.create_task(outbox.run())
    for _ in range(5):
        await asyncio.sleep(0)  # let it go idle, waiting to be woken
    outbox.wake()
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2.0)
