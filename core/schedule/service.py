"""The scheduler as the app sees it: its store, middlewares, booking calls and tasks."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from parley.core.config.settings import Settings
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock, as_datetime
from parley.core.kernel.control import Proactive
from parley.core.kernel.messages import Address
from parley.core.kernel.pipeline import Middleware
from parley.core.kernel.turn import Turn
from parley.core.schedule.conversation import FOLLOWUP_TEXT, consent, followups, people_index
from parley.core.schedule.dispatcher import Dispatcher
from parley.core.schedule.gate import gate
from parley.core.schedule.lifecycle import bump
from parley.core.schedule.planner import Planner
from parley.core.schedule.store import ScheduleStore, Send, campaign_of, followup_id
from parley.core.storage import REDIS_SCHEMES
from parley.core.storage.store import Failed, OutboxItem, Outcome, Sent, Store

log = logging.getLogger("parley.scheduler")


def open_schedule(url: str, store: Store, clock: Clock) -> ScheduleStore:
    """The schedule beside the store: the same SQLite file, the same Redis, or memory."""
    scheme = urlparse(url).scheme
    if scheme in REDIS_SCHEMES:
        from parley.core.schedule.redis import RedisScheduleStore

        return RedisScheduleStore(url)
    path = getattr(store, "path", None)
    if scheme == "sqlite" and isinstance(path, Path):
        from parley.core.schedule.sqlite import SQLiteScheduleStore
        from parley.core.storage.sqlite import SQLiteStore

        return SQLiteScheduleStore(path, clock, share=store if isinstance(store, SQLiteStore) else None)
    from parley.core.schedule.memory import MemoryScheduleStore

    return MemoryScheduleStore(clock)


class Scheduler:
    def __init__(
        self, settings: Settings, store: Store, catalog: LocaleCatalog, clock: Clock, sched=None, metrics=None
    ) -> None:
        self.settings = settings.scheduler
        self.store = store
        self.catalog = catalog
        self.clock = clock
        self.metrics = metrics
        self.sched: ScheduleStore = sched or open_schedule(
            settings.scheduler.store_url or settings.store_url, store, clock
        )
        self.dispatcher: Dispatcher | None = None
        self.planner: Planner | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def conversation_middlewares(self) -> list[Middleware]:
        """The people index, STOP/START consent and follow-ups: around every inbound turn,
        whoever answers it (a handler, the brain)."""
        cfg = self.settings
        return [
            people_index(self.sched, self.store),
            consent(self.store),
            followups(
                self.sched,
                cfg.followup_hours,
                cfg.followup_leads_only,
                tuple(cfg.cancel_on_reply),
                cfg.default_timezone,
            ),
        ]

    def gate(self) -> Middleware:
        """The send-time re-checks of a proactive turn, just before its message is said."""
        return gate(self.sched, self.store, self.settings.default_timezone)

    def wake(self) -> None:
        """A send or a campaign changed (the admin API): the dispatcher looks again now."""
        if self.dispatcher is not None:
            self.dispatcher.wake()

    async def start(self, engine: Proactive, rates: dict[str, float]) -> None:
        """Open the schedule and start dispatching through ``engine``; ``rates`` are the
        running channels' messages per second, which pace a campaign's plan."""
        await self.sched.open()
        self.dispatcher = Dispatcher(
            self.sched,
            engine,
            self.catalog,
            self.clock,
            lease=self.settings.lease,
            metrics=self.metrics,
            people=self.store,
        )
        self.planner = Planner(self.sched, self.catalog, self.clock, rates)
        if self.settings.enabled:
            self._tasks = [asyncio.create_task(self.dispatcher.run(), name="dispatcher")]

    async def lead_followup(self, case: Any, turn: Turn) -> str:
        """The sales desk's "follow up" button on a lead card (parley.core.handoff.leads): a follow-up
        to the lead's conversation after ``followup_hours`` (24 h when that is 0)."""
        address = Address(**case.address)
        pack = self.catalog.get(case.locale or self.catalog.default)
        text = pack.t("followup") if any("followup" in p.messages for p in pack.chain) else FOLLOWUP_TEXT
        hours = self.settings.followup_hours or 24.0
        now = turn.now.timestamp()
        send_id = followup_id(address.conversation, "followup", int(now))
        data = {"address": address.model_dump(), "text": text, "kind": "followup", "anchor": int(now)}
        await self.sched.add([Send(send_id, now + hours * 3600, json.dumps(data, separators=(",", ":")))])
        return as_datetime(now + hours * 3600).strftime("%Y-%m-%d %H:%M UTC")

    async def at(self, address: Address, when: float, kind: str, meta: dict[str, str], anchor: int) -> str:
        """A one-off proactive turn at ``when`` whose ``Scheduled.booked`` is ``meta`` (the
        handoff desk's claim timeout and booked follow-ups, parley.core.handoff.events); the id
        is deterministic, so booking twice is a no-op."""
        send_id = followup_id(address.conversation, kind, anchor)
        data = {"address": address.model_dump(), "text": "", "kind": kind, "anchor": anchor, "meta": meta}
        await self.sched.add([Send(send_id, when, json.dumps(data, separators=(",", ":")))])
        self.wake()
        return send_id

    async def settled(self, item: OutboxItem, outcome: Outcome) -> None:
        """Delivery feedback from the outbox for campaign sends (the outbox id is the send id)."""
        campaign = campaign_of(item.id)
        if not campaign:
            return
        if isinstance(outcome, Sent):
            await bump(self.sched, campaign, "delivered", self.clock())
        elif isinstance(outcome, Failed):
            await bump(self.sched, campaign, f"failed:outbox:{outcome.error.split(':')[0]}", self.clock())

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.sched.close()
