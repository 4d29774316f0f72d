"""The operations gauges in /metrics that need a look at the stores: outbox and schedule depth
and lag, campaigns by status. Sampled every ``every`` seconds by one small loop (a scrape never
waits on a store), each process reporting the shared stores' figures: graph them with ``max``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from parley.core.http.metrics import Metrics
from parley.core.kernel.clock import Clock
from parley.core.kernel.outage import Outage
from parley.core.schedule.store import ScheduleStore
from parley.core.storage.store import Store, StoreUnavailable

log = logging.getLogger("parley.metrics")
STATUSES = ("draft", "running", "paused", "done", "cancelled")  # bounded label values


class OpsSampler:
    def __init__(self, metrics: Metrics, store: Store, sched: ScheduleStore, clock: Clock, every: float = 15.0) -> None:
        self.metrics = metrics
        self.store = store
        self.sched = sched
        self.clock = clock
        self.every = every
        self.outage = Outage(log, "metrics sampler")

    async def sample(self) -> None:
        now = self.clock()
        m = self.metrics
        outbox = await self.store.outbox_stats()
        m.outbox_items.labels("pending").set(outbox.pending)
        m.outbox_items.labels("sending").set(outbox.sending)
        m.outbox_oldest.set(max(0.0, now - outbox.oldest_due) if outbox.oldest_due is not None else 0.0)
        waiting = await self.sched.stats(now)
        m.schedule_sends.labels("due_now").set(waiting.due_now)
        m.schedule_sends.labels("scheduled").set(waiting.scheduled)
        m.schedule_sends.labels("inflight").set(waiting.inflight)
        oldest = waiting.oldest_due
        m.schedule_oldest.set(max(0.0, now - oldest) if oldest is not None and oldest <= now else 0.0)
        counts = Counter(r.status for r in await self.sched.campaigns())
        for status in STATUSES:
            m.campaigns.labels(status).set(counts.get(status, 0))

    async def run(self) -> None:
        while True:
            try:
                await self.sample()
                self.outage.ok()
            except StoreUnavailable as exc:
                self.outage.failed(exc)  # parley_store_ready says so too
            await asyncio.sleep(self.every)
