"""Wake-or-poll: the one way a background worker waits for "something to do, or a while".

The outbox, the scheduler's dispatcher, the pack reloader and the knowledge watcher all loop
"work; if there was nothing, wait until woken or until the poll interval". Waiting with
``asyncio.wait_for(event.wait(), t)`` is wrong on Python 3.11: when the cancellation of the
worker lands in the same loop iteration as the wake-up, ``wait_for`` returns the inner result
and swallows the cancellation (CPython gh-86296, fixed by 3.12's rewrite), so the worker never
stops and shutdown hangs. ``asyncio.timeout`` keeps the cancellation, so every loop waits here.
"""

from __future__ import annotations

import asyncio


class Wakeup:
    """A wake-up flag a worker waits on, with a poll interval as the fallback."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        """Wake the worker (at once if it waits, else its next wait returns at once)."""
        self._event.set()

    async def wait(self, timeout: float | None) -> bool:
        """Until woken or ``timeout`` seconds (None: only a wake-up); True when woken.

        The wake-up is consumed on return: one that lands after this returns makes the next
        wait return at once, so a worker that re-checks its work after waiting never misses it.
        """
        try:
            async with asyncio.timeout(timeout):
                await self._event.wait()
        except TimeoutError:
            pass
        woken = self._event.is_set()
        self._event.clear()
        return woken
