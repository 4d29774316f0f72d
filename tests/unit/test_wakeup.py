"""The wake-or-poll helper every background loop waits with (parley.core.kernel.wakeup)."""

from __future__ import annotations

import asyncio
import sys

import pytest
from parley.core.kernel.wakeup import Wakeup


async def _worker(wait) -> None:
    while True:
        await wait()


async def _cancel_as_it_wakes(wait, wake, turns: int) -> bool:
    """Cancel an idle worker ``turns`` loop iterations after waking it; True if it stopped."""
    task = asyncio.create_task(_worker(wait))
    for _ in range(5):
        await asyncio.sleep(0)  # idle, waiting to be woken
    wake()
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2.0)
    if not done:
        task.cancel()  # a lost cancellation: stop it for good before the test ends
        await asyncio.wait({task}, timeout=2.0)
    return bool(done) and task.cancelled()


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
async def test_a_cancel_landing_with_a_wake_up_is_not_lost(turns):
    wakeup = Wakeup()
    assert await _cancel_as_it_wakes(lambda: wakeup.wait(30.0), wakeup.set, turns)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="wait_for keeps the cancellation since Python 3.12")
async def test_the_race_is_real_with_wait_for_on_3_11():
    # The scenario above is the one that loses a cancellation with wait_for: were it not, the
    # test above would prove nothing about the helper.
    event = asyncio.Event()

    async def naive() -> None:
        try:
            await asyncio.wait_for(event.wait(), 30.0)
        except TimeoutError:
            pass
        event.clear()

    results = [await _cancel_as_it_wakes(naive, event.set, turns) for turns in range(4)]
    assert not all(results)


async def test_a_wake_up_before_the_wait_is_kept_and_consumed_once():
    wakeup = Wakeup()
    wakeup.set()
    assert await wakeup.wait(30.0) is True
    assert await wakeup.wait(0.01) is False  # consumed: the next wait polls


async def test_a_wake_up_during_the_wait_ends_it():
    wakeup = Wakeup()
    waiting = asyncio.create_task(wakeup.wait(None))
    await asyncio.sleep(0)
    assert not waiting.done()
    wakeup.set()
    assert await waiting is True


async def test_without_a_wake_up_the_wait_ends_at_the_poll_interval():
    assert await Wakeup().wait(0.0) is False
