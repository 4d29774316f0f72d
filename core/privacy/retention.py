"""Retention: a singleton job (one process at a time, on the lease machinery) that removes data
older than ``PARLEY_RETENTION__*_DAYS`` in small batches, each a short transaction beside live
traffic, counting what it removed in ``parley_retention_removed{what}``.

- conversations: a person silent for that long (the people index's last seen) is erased whole,
  exactly as an erasure request would (``Subject.erase``: every store, every identity), and the
  audit log records it under the actor ``retention``;
- leads: the desk's lead cases by when they were captured, and the sales pipeline's lead records
  (the console's leads page, ``LeadStore``) by when they were created;
- sends: finished scheduled sends (tombstones stay: they stop a re-plan from sending twice) and
  finished outbox records;
- audit: audit log entries.

Analytics counters carry no person and are never removed by it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from parley.core.config.settings import Retention
from parley.core.http.metrics import Metrics
from parley.core.privacy.audit import Operator, Via
from parley.core.privacy.subject import Busy, Subject
from parley.core.storage.privacy import Expiring
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.retention")
DAY = 86400.0


class Removed(StrEnum):
    PEOPLE = "people"
    LEAD_CASES = "lead_cases"
    LEADS = "leads"
    SENDS = "sends"
    OUTBOX = "outbox"
    AUDIT = "audit"


@dataclass
class Sweep:
    """What one run removed, by kind."""

    removed: dict[Removed, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.removed.values())


class RetentionJob:
    def __init__(self, config: Retention, subject: Subject, clock, metrics: Metrics | None = None) -> None:
        self.config = config
        self.subject = subject
        self.store = subject.store
        self.sched = subject.sched
        self.clock = clock
        self.metrics = metrics

    async def run(self) -> None:
        """Sweep every ``every_minutes`` (the singleton lease keeps it to one process)."""
        while True:
            try:
                sweep = await self.sweep()
                if sweep.total:
                    log.info("retention removed", extra={k.value: n for k, n in sweep.removed.items()})
            except StoreUnavailable as exc:
                log.warning("retention: store unavailable (%s); next run in %g min", exc, self.config.every_minutes)
            await asyncio.sleep(self.config.every_minutes * 60)

    async def sweep(self) -> Sweep:
        sweep, c, now = Sweep(), self.config, self.clock()
        if c.conversations_days is not None:
            await self._drain(sweep, Removed.PEOPLE, lambda: self._silent(now - c.conversations_days * DAY))
        if c.leads_days is not None:
            before = now - c.leads_days * DAY
            await self._drain(
                sweep, Removed.LEAD_CASES, lambda: self.store.expire(Expiring.LEAD_CASES, before, c.batch)
            )
            await self._drain(sweep, Removed.LEADS, lambda: self.store.expire_leads(before, c.batch))
        if c.sends_days is not None:
            before = now - c.sends_days * DAY
            await self._drain(sweep, Removed.SENDS, lambda: self.sched.expire_sends(before, c.batch))
            await self._drain(sweep, Removed.OUTBOX, lambda: self.store.expire(Expiring.OUTBOX, before, c.batch))
        if c.audit_days is not None:
            before = now - c.audit_days * DAY
            await self._drain(sweep, Removed.AUDIT, lambda: self.store.expire(Expiring.AUDIT, before, c.batch))
        return sweep

    async def _drain(self, sweep: Sweep, what: Removed, step: Callable[[], Awaitable[int]]) -> None:
        """Batches until one comes back short: nothing older is left."""
        while True:
            n = await step()
            sweep.removed[what] = sweep.removed.get(what, 0) + n
            if self.metrics is not None and n:
                self.metrics.retention_removed.labels(what.value).inc(n)
            if n < self.config.batch:
                return
            await asyncio.sleep(0)  # let live traffic in between batches

    async def _silent(self, before: float) -> int:
        """Erase a batch of people silent since ``before`` at once; returns how many went. When
        one of them is busy right now (they just wrote: the index is behind), the rest go one by
        one and the busy one waits for the next run."""
        by = Operator("retention", Via.RETENTION, f"silent over {self.config.conversations_days} days")
        people = await self.sched.inactive(before, self.config.batch)
        try:
            await self.subject.erase_many(people, by)  # None for one gone since the index was read
            return len(people)
        except Busy:
            pass
        erased = 0
        for person in people:
            try:
                await self.subject.erase(person, by)
            except Busy:
                continue
            erased += 1
        return erased
