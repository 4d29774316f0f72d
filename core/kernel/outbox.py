"""The durable outbox: every reply is a stored item, sent by a worker that survives restarts.

Items are leased (claim), sent, then settled with the lease token: a process that dies mid-send
leaves a lease that expires and another claim takes the item again. Platform rate limits are
checked before sending; a throttled item is re-scheduled, never slept on while leased.

A settle the store refuses (disk full, Redis away) is kept in memory and recorded when the store
answers again, before this process claims anything: the message went out, and a failed record
must not send it twice. Only a crash between the send and its record can re-send it (the item's
lease expires and it is claimed again); that window is measured (``parley_outbox_unrecorded_seconds``)
and closed by the platform where it offers an idempotency key (Discord's nonce, the web chat's
reply id). docs/faults.md lists which do.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
from collections.abc import Awaitable, Callable

from parley.core.http.metrics import Metrics
from parley.core.kernel.channel import Channel, Rejected, RetryAfter, Unreachable
from parley.core.kernel.clock import Clock, system_clock
from parley.core.kernel.outage import Outage
from parley.core.kernel.ratelimit import Limiter
from parley.core.kernel.wakeup import Wakeup
from parley.core.storage.store import (
    Failed,
    OutboxItem,
    Outcome,
    Retry,
    Sent,
    Settlement,
    SettlesWithClaim,
    Store,
    StoreUnavailable,
)

log = logging.getLogger("parley.outbox")

# Told of every final outcome (the scheduler counts delivered and failed campaign sends).
Settled = Callable[[OutboxItem, Outcome], Awaitable[None]]


def backoff(attempt: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Exponential backoff with full jitter (AWS architecture blog), so retries don't stampede."""
    return random.uniform(base / 2, min(cap, base * 2**attempt))


class Outbox:
    def __init__(
        self,
        store: Store,
        channels: dict[str, Channel],
        metrics: Metrics,
        clock: Clock = system_clock,
        *,
        limiter: Limiter | None = None,
        on_settled: Settled | None = None,
        lease: float = 30.0,
        concurrency: int = 64,
        idle_poll: float = 0.5,
    ) -> None:
        self.store = store
        self.channels = channels
        self.metrics = metrics
        self.clock = clock
        # Shared buckets when the store offers them (Redis: every process counts), else in-process.
        self.limiter = limiter or getattr(store, "limiter", None) or Limiter()
        self.lease = lease
        self.concurrency = concurrency
        self.idle_poll = idle_poll
        self._wake = Wakeup()
        self._inflight: set[asyncio.Task[None]] = set()
        self.on_settled = on_settled
        self.outage = Outage(log, "outbox")
        # Outcomes the store refused to record, by item id, with when the send returned.
        self._unsettled: dict[str, tuple[OutboxItem, Outcome, float]] = {}
        # A store that settles in the claim's round trip (Redis): while the loop runs (so a
        # claim is coming), a send that returned puts its outcome here, wakes the loop and waits
        # for the next claim to record it; otherwise it settles on its own.
        self._with_claim = store if isinstance(store, SettlesWithClaim) else None
        self._looping = False
        self._settling: list[tuple[Settlement, asyncio.Future[bool]]] = []
        self._room_short = False  # the last claim took all the room it had: more may be due

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        self._looping = True
        try:
            await self._loop()
        finally:
            self._looping = False

    async def _loop(self) -> None:
        while True:
            try:
                if not await self.record_kept():
                    raise StoreUnavailable("kept send outcomes not recorded yet")
                claimed = await self.pump()
                self.outage.ok()
            except StoreUnavailable as exc:
                self.outage.failed(exc)
                claimed = 0
                await asyncio.sleep(1.0)  # the store is down: poll gently until it returns
            if not claimed:
                # A wake that arrived while we claimed is kept: a fresh reply never waits a poll.
                await self._wake.wait(self.idle_poll)

    async def pump(self) -> int:
        """Claim what is due (up to free concurrency) and start sending it; returns the count."""
        room = self.concurrency - len(self._inflight)
        if room <= 0 and not self._settling:
            return 0
        # Shielded: a claim leases items in the store. If shutdown cancelled this task after the
        # store leased them but before their sends started, they would sit leased until the lease
        # expired; shielded, they start and ``flush`` waits for them.
        claiming = asyncio.ensure_future(self._claim(max(room, 0)))
        claiming.add_done_callback(_quiet)
        return await asyncio.shield(claiming)

    async def _claim(self, room: int) -> int:
        if self._with_claim is None or not (self._looping or self._settling):
            items = await self.store.claim(self.clock(), room, self.lease)
        else:
            waiting, self._settling = self._settling, []
            try:
                flags, items = await self._with_claim.settle_and_claim(
                    [s for s, _ in waiting], self.clock(), room, self.lease
                )
            except StoreUnavailable as exc:
                for _, future in waiting:
                    if not future.done():  # its send may have been cancelled meanwhile
                        future.set_exception(exc)
                raise
            for (_, future), flag in zip(waiting, flags, strict=True):
                if not future.done():
                    future.set_result(flag)
        self._room_short = len(items) >= room
        self.start(items)
        return len(items)

    def lease_for_commit(self) -> float:
        """The lease a commit may take for its replies (``Store.commit``): 0 when the outbox is
        full, so a slow platform makes replies queue instead of piling up sends in memory."""
        return self.lease if len(self._inflight) < self.concurrency else 0.0

    def start(self, items: list[OutboxItem]) -> None:
        """Send items leased to us (by a claim, or by the commit that stored them)."""
        for item in items:
            task = asyncio.create_task(self._send(item))
            self._inflight.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        # The next item for that address may go now. With the outcome recorded in a claim's round
        # trip, that claim already offered it; claim again only if that claim had too little room.
        if self._with_claim is None or not self._looping or self._room_short:
            self._wake.set()

    async def flush(self, timeout: float) -> None:
        """At shutdown: send what is due now, within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if not await self.record_kept():
                return  # the store is down: the leases expire and the next start sends the rest
            claimed = await self.pump()
            if self._inflight:
                # Woken when a send ends, or returns an outcome the next pump records (SettlesWithClaim).
                await self._wake.wait(max(0.0, deadline - loop.time()))
            elif not claimed:
                return

    async def _send(self, item: OutboxItem) -> None:
        try:
            outcome = await self._attempt(item)
        except StoreUnavailable as exc:
            # Before the platform was called (a rate-limit bucket, the at-most-once mark): not
            # sent. Recorded as a retry in a second, or kept until the store takes it, rather
            # than left leased for the whole lease.
            self.outage.failed(exc)
            outcome = Retry(self.clock() + 1.0, "store_unavailable", counts=False)
        except Exception:  # never let one item kill the worker
            log.exception("outbox: unexpected error sending %s", item.id)
            return
        await self._record(item, outcome, asyncio.get_running_loop().time(), with_claim=True)

    async def _settle(self, item: OutboxItem, outcome: Outcome, with_claim: bool) -> bool:
        if with_claim and self._with_claim is not None and self._looping:
            future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            self._settling.append((Settlement(item.id, item.token, outcome, self.clock()), future))
            self._wake.set()
            return await future
        return await self.store.settle(item.id, item.token, outcome, self.clock())

    async def _record(self, item: OutboxItem, outcome: Outcome, sent_at: float, with_claim: bool = False) -> bool:
        """Settle ``outcome``; if the store refuses, keep it to record later. True if recorded.
        ``with_claim``: in the next claim's round trip, when the store offers it; never for the
        kept outcomes ``record_kept`` records before a claim (the claim is what waits for them)."""
        try:
            settled = await self._settle(item, outcome, with_claim)
        except StoreUnavailable as exc:
            self.outage.failed(exc)
            self._unsettled[item.id] = (item, outcome, sent_at)
            self.metrics.unsettled.set(len(self._unsettled))
            return False
        if self._unsettled.pop(item.id, None) is not None:
            self.metrics.unsettled.set(len(self._unsettled))
        if isinstance(outcome, Sent):
            waited = asyncio.get_running_loop().time() - sent_at
            self.metrics.unrecorded.labels(item.address.channel).observe(waited)
        try:
            if settled and self.on_settled is not None and not isinstance(outcome, Retry):
                await self.on_settled(item, outcome)
        except StoreUnavailable as exc:
            self.outage.failed(exc)
        except Exception:
            log.exception("outbox: unexpected error after settling %s", item.id)
        return True

    async def record_kept(self) -> bool:
        """Record the outcomes the store refused earlier, oldest first; True when none is left.
        Runs before every claim: a kept item's lease may have run out, and a claim would take it
        again and send it twice."""
        for item, outcome, sent_at in list(self._unsettled.values()):
            if not await self._record(item, outcome, sent_at):
                return False
        return True

    async def _attempt(self, item: OutboxItem):
        now = self.clock()
        name = item.address.channel
        channel = self.channels.get(name)
        if channel is None:
            # The channel may be configured on another process or after a restart: keep it.
            return Retry(now + 60, "channel_not_running", counts=True)
        if item.reply.kind == "proactive" and await self.store.get(f"unreachable:{item.address.person}"):
            self.metrics.failed.labels(name, "unreachable").inc()
            return Failed("unreachable")
        wait = await _maybe(self.limiter.acquire(channel.limits(item.address), now))
        if wait > 0:
            return Retry(now + wait, "throttled", counts=False)
        # The outbox id rides along so channels can make a resend idempotent where the platform
        # allows it (Discord nonce, the web chat's client-side dedupe).
        reply = item.reply.model_copy(update={"meta": {**item.reply.meta, "id": item.id}})
        # At-most-once items (marketing, docs/campaigns.md): a second attempt after an attempt that may
        # have reached the platform (a crash, a timeout) is dropped, never sent twice.
        once = item.reply.meta.get("delivery") == "at_most_once"
        if once and not await self.store.add(f"attempt:{item.id}", "1", 30 * 86400):
            self.metrics.failed.labels(name, "ambiguous").inc()
            return Failed("ambiguous")
        try:
            platform_id = await channel.send(item.address, reply)
        except RetryAfter as exc:
            if once:
                await self.store.delete(f"attempt:{item.id}")  # a 429 means not sent: may retry
            self.metrics.retries.labels(name, exc.reason).inc()
            await _maybe(self.limiter.penalise(f"{name}:chat:{item.address.chat}", now + exc.seconds))
            return Retry(now + exc.seconds, exc.reason, counts=False)
        except Unreachable as exc:
            self.metrics.failed.labels(name, exc.reason).inc()
            await self.store.put(f"unreachable:{item.address.person}", exc.reason)
            log.info("address unreachable", extra={"channel": name, "reason": exc.reason})
            return Failed(f"unreachable:{exc.reason}")
        except Rejected as exc:
            self.metrics.failed.labels(name, "rejected").inc()
            log.warning("send rejected", extra={"channel": name, "error": str(exc)[:200]})
            return Failed(f"rejected:{str(exc)[:200]}")
        except Exception as exc:
            kind = type(exc).__name__
            if item.attempts + 1 >= item.max_attempts:
                self.metrics.failed.labels(name, kind).inc()
                log.error("send failed for good", extra={"channel": name, "error": kind})
                return Failed(kind)
            self.metrics.retries.labels(name, kind).inc()
            log.warning("send failed, will retry", extra={"channel": name, "error": kind})
            return Retry(now + backoff(item.attempts), kind)
        self.metrics.messages_out.labels(name).inc()
        return Sent(platform_id or "", deduped=channel.capabilities.dedupes_resends)


def _quiet(task: asyncio.Future[int]) -> None:
    """Retrieve the error of a claim whose caller was cancelled (else asyncio logs it as lost)."""
    if not task.cancelled():
        task.exception()


async def _maybe(value):
    """The in-process Limiter answers at once; the Redis one is a coroutine (one Lua call)."""
    return await value if inspect.isawaitable(value) else value
