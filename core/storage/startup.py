"""Opening the store at start-up: wait (a while) for one that does not answer yet, fail at once
for one that cannot work, and never say "running" over a store that cannot write.

Redis started beside Parley (a compose file, a pod) may come up a few seconds later: start-up
waits up to ``PARLEY_STORE_WAIT`` seconds, saying so in one line, instead of starting and then
logging a warning per loop per second. A SQLite file in a read-only directory will not fix
itself: ``StoreUnusable`` stops start-up at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from parley.core.storage.store import Store, StoreUnavailable, StoreUnusable

log = logging.getLogger("parley.store")

PAUSE = 0.5  # seconds between tries while waiting


async def open_when_ready(store: Store, wait: float) -> None:
    """Open ``store`` and prove it can write (``ping``), trying for up to ``wait`` seconds.
    Raises StoreUnavailable (closing what was opened) when the time is up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    opened = False
    said = False
    while True:
        try:
            if not opened:
                await store.open()
                opened = True
            await store.ping()
            if said:
                log.info("store answered; starting")
            return
        except StoreUnusable:
            await _close(store, opened)
            raise
        except StoreUnavailable as exc:
            if loop.time() >= deadline:
                await _close(store, opened)
                waited = f" after waiting {wait:g} s (PARLEY_STORE_WAIT)" if wait else ""
                raise StoreUnavailable(f"{exc}{waited}".replace(". after", "; gave up after")) from None
            if not said:
                log.warning("waiting up to %g s for the store: %s", wait, exc)
                said = True
            await asyncio.sleep(min(PAUSE, max(0.0, deadline - loop.time())))


async def _close(store: Store, opened: bool) -> None:
    if opened:
        with contextlib.suppress(Exception):  # the cause is what matters, not a failed close
            await store.close()
