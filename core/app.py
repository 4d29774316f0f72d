"""Wiring: settings -> store -> brain -> pipeline -> channels -> one server, as one async
context manager that tests and bot.py share. Everything is built from ``Settings`` passed in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from aiohttp import web

from channels import ChannelContext, configured
from core.channel import Channel
from core.clock import Clock, system_clock
from core.engine import Engine
from core.knowledge import KnowledgeBase
from core.locales import LocaleCatalog
from core.messages import Address
from core.metrics import Metrics
from core.middleware import commands, disclosure, guard, handoff_gate, history, locale, respond
from core.outbox import Outbox
from core.personas import PersonaCatalog
from core.pipeline import fold
from core.retrieval import RetrievalBrain
from core.schedule.service import Scheduler
from core.server import build_app
from core.settings import ROOT, Settings
from core.store import Store
from core.stores import open_store

log = logging.getLogger("parley")


class Parley:
    def __init__(self, settings: Settings, clock: Clock = system_clock, store: Store | None = None) -> None:
        self.settings = settings
        self.clock = clock
        # Load and validate data files first: a broken pack or persona stops start-up early.
        self.locales = LocaleCatalog.load(settings.locales_dir, settings.default_locale)
        self.personas = PersonaCatalog.load(settings.personas_dir, settings.persona)
        self.knowledge = KnowledgeBase.load(Path(settings.knowledge_dir))
        self.store = store or open_store(settings.store_url, base=ROOT)
        self.metrics = Metrics()
        self.brain = RetrievalBrain(self.knowledge)
        self.channels: dict[str, Channel] = {}
        self.outbox = Outbox(self.store, self.channels, self.metrics, clock)
        self.middlewares = [
            guard(settings.max_message_chars, settings.flood_per_minute, clock),
            history,
            locale(self.locales),
            commands,
            handoff_gate,
            disclosure,
        ]
        self.scheduler = Scheduler(settings, self.store, self.locales, clock)
        self.middlewares += self.scheduler.middlewares()
        self.engine = Engine(
            self.store,
            self._handle,
            self.personas,
            self.locales,
            self.outbox,
            self.metrics,
            clock,
            dedupe_ttl=settings.dedupe_ttl,
        )
        self.handler = fold(self.middlewares, respond(self.brain, self.metrics))
        self.runner: web.AppRunner | None = None
        self.port: int = 0
        self._tasks: list[asyncio.Task[None]] = []

    async def _handle(self, turn) -> None:
        channel = self.channels.get(turn.address.channel)
        if channel is not None and channel.capabilities.typing and turn.inbound is not None:
            with contextlib.suppress(Exception):  # a typing hint is best effort
                await channel.typing(turn.address)  # type: ignore[attr-defined]
        await self.handler(turn)

    async def __aenter__(self) -> Parley:
        await self.store.open()
        ctx = ChannelContext(self.engine.deliver, self.store, self.metrics, self.clock)
        for channel in configured(self.settings, ctx):
            self.channels[channel.name] = channel
            if hasattr(channel, "outbox_wake"):
                channel.outbox_wake = self.outbox.wake
        routes = [r for c in self.channels.values() for r in c.routes()] + self.scheduler.admin.routes()
        await self.scheduler.start(self.engine, self.outbox, self.channels)
        app = build_app(self.store, self.metrics, routes)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.settings.http.host, self.settings.http.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._tasks = [
            asyncio.create_task(self.outbox.run(), name="outbox"),
            asyncio.create_task(self.engine.sweeper(), name="sweeper"),
            *(asyncio.create_task(self._run_channel(c), name=c.name) for c in self.channels.values()),
        ]
        log.info(
            "parley ready",
            extra={"port": self.port, "channels": ",".join(self.channels), "store": self.store.__class__.__name__},
        )
        return self

    async def _run_channel(self, channel: Channel) -> None:
        try:
            await channel.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("channel stopped", extra={"channel": channel.name})

    async def __aexit__(self, *exc) -> None:
        """Graceful: stop accepting, finish in-flight turns, flush the outbox, close the store."""
        if self.runner is not None:
            for site in list(self.runner.sites):
                await site.stop()  # stop listening; open sockets stay until cleanup
        await self.engine.stop(timeout=10.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.scheduler.stop()
        with contextlib.suppress(Exception):
            await self.outbox.flush(timeout=5.0)
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.close()
        if self.runner is not None:
            await self.runner.cleanup()
        await self.store.close()
        log.info("parley stopped")

    def address(self, channel: str, chat: str, user: str = "", thread: str = "") -> Address:
        return Address(channel=channel, chat=chat, user=user or chat, thread=thread)
