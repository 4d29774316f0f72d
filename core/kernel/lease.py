"""Singletons by lease: work a platform allows only once per bot (Telegram polling, Slack Socket
Mode, the Discord gateway, the scheduler's planner) runs in exactly one process at a time.

The holder renews its lease every third of its lifetime; a process killed with SIGKILL stops
renewing, the lease expires, and another process takes the work over within the lease time.
A holder that cannot renew (the store is down, or someone else took it) stops its work before
its lease can have expired, so two holders never overlap by more than a network delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from parley.core.kernel.outage import Outage
from parley.core.storage.store import KeyValueStore, StoreUnavailable

log = logging.getLogger("parley.lease")


class Lease(Protocol):
    async def hold(self, name: str, owner: str, ttl: float) -> bool:
        """Take the lease, or renew it if ``owner`` holds it; False if someone else does."""

    async def release(self, name: str, owner: str) -> None: ...

    async def holder(self, name: str) -> str | None:
        """Who holds the lease now, if anyone."""


class KeyValueLease:
    """A lease on any store's key/value calls (memory, SQLite: one machine).

    Renewal reads then writes, so it is not atomic; a renewal happens long before expiry, so the
    gap only matters for a holder already late by most of its lease. Redis uses a Lua CAS instead.
    """

    def __init__(self, store: KeyValueStore) -> None:
        self.store = store

    async def hold(self, name: str, owner: str, ttl: float) -> bool:
        key = f"lease:{name}"
        if await self.store.add(key, owner, ttl):
            return True
        if await self.store.get(key) == owner:
            await self.store.put(key, owner, ttl)
            return True
        return False

    async def release(self, name: str, owner: str) -> None:
        key = f"lease:{name}"
        if await self.store.get(key) == owner:
            await self.store.delete(key)

    async def holder(self, name: str) -> str | None:
        return await self.store.get(f"lease:{name}")


def lease_for(store: KeyValueStore) -> Lease:
    """The store's own lease if it has one (Redis), else one built on its key/value calls."""
    return getattr(store, "lease", None) or KeyValueLease(store)


async def run_singleton(
    lease: Lease,
    name: str,
    owner: str,
    ttl: float,
    work: Callable[[], Awaitable[None]],
    dead: Callable[[str], bool] | None = None,
) -> None:
    """Run ``work`` only while holding lease ``name``; wait for it when someone else holds it.

    ``dead`` (core/kernel/liveness.py) says which holders are certainly gone: a lease a killed
    process left behind is released at once instead of waited out (polling resumes at restart).
    Returns when ``work`` returns by itself (a channel in webhook mode has nothing to run).
    """
    loop = asyncio.get_running_loop()
    every = ttl / 3
    outage = Outage(log, f"lease {name}")
    if dead is not None:
        with contextlib.suppress(StoreUnavailable):  # else the lease just expires
            held_by = await lease.holder(name)
            if held_by and dead(held_by):
                await lease.release(name, held_by)
                log.info("lease of a dead process released", extra={"lease": name})
    while True:
        if not await _hold(lease, name, owner, ttl, outage):
            await asyncio.sleep(every)
            continue
        log.info("lease taken", extra={"lease": name, "owner": owner})
        held_at = loop.time()
        task = asyncio.ensure_future(work())
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=every)
                if task.done():
                    break
                held = await _hold(lease, name, owner, ttl, outage)
                if held:
                    held_at = loop.time()
                elif held is False or loop.time() - held_at > 2 * every:
                    # Someone else holds it, or we could not renew for 2/3 of the lease: stop
                    # now, before our lease can have run out (never two holders at once).
                    log.warning("lease lost; stopping", extra={"lease": name, "owner": owner})
                    break
        finally:
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            with contextlib.suppress(StoreUnavailable):
                await lease.release(name, owner)
        if task.cancelled():
            continue  # we stopped it: wait to take the lease again
        if task.exception() is not None:
            log.error("singleton %s stopped: %r; retrying", name, task.exception())
            await asyncio.sleep(every)
            continue
        return


async def _hold(lease: Lease, name: str, owner: str, ttl: float, outage: Outage) -> bool | None:
    """True if held, False if another process holds it, None if the store did not answer
    (logged once per outage)."""
    try:
        held = await lease.hold(name, owner, ttl)
    except StoreUnavailable as exc:
        outage.failed(exc)
        return None
    outage.ok()
    return held
