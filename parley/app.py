"""The ``Bot``: settings -> store -> brain -> pipeline -> channels -> one server, as one async
context manager that tests and the ``parley`` command share. Everything is built from the
``Settings`` and the extension points passed to the constructor (docs/api.md).

Components are built in dependency order and get their collaborators through their
constructors; nothing is assigned onto a component afterwards. The one cycle (the desk speaks
through the engine, whose pipeline holds the desk) is broken by the engine's handler: a method
of this class that calls the pipeline folded last."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from parley.channels import configured
from parley.core.analytics.middleware import analytics
from parley.core.analytics.recorder import Recorder
from parley.core.analytics.report import Costs
from parley.core.analytics.service import open_analytics
from parley.core.brains.brain import Brain
from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.knowledge_watch import KnowledgeWatcher
from parley.core.brains.llm import build_llm
from parley.core.brains.llm.feedback import feedback
from parley.core.brains.llm.py_tools import PythonTool, python_tools
from parley.core.brains.llm.tools import builtin
from parley.core.brains.retrieval import RetrievalBrain
from parley.core.brains.search.semantic import EmbeddingsUnavailable, embedder
from parley.core.brains.shared import shared
from parley.core.config.errors import StartupError, cause_of
from parley.core.config.reloader import Reloader
from parley.core.config.settings import Settings
from parley.core.config.unknown import unknown_tools
from parley.core.console import analytics as analytics_pages
from parley.core.console import campaigns as campaign_pages
from parley.core.console.build import accounts_for, build_console
from parley.core.console.shell import Console, NavItem, Section
from parley.core.handoff.commands import DeskCommands
from parley.core.handoff.desk import Desk
from parley.core.handoff.hours import BusinessHours
from parley.core.handoff.leads import Leads
from parley.core.handoff.outcome import LeadOutcomes
from parley.core.handoff.qualify import qualify
from parley.core.handoff.queue import Queue
from parley.core.handoff.routing import LeadRouting
from parley.core.handoff.sla import Reminders
from parley.core.http.admin import Admin
from parley.core.http.admin_analytics import AnalyticsAPI
from parley.core.http.admin_auth import ApiAuth
from parley.core.http.admin_consent import ConsentAPI
from parley.core.http.admin_leads import LeadAPI
from parley.core.http.admin_links import LinkAPI
from parley.core.http.listener import RESERVE, Listener, raise_fd_limit
from parley.core.http.metrics import Metrics
from parley.core.http.ops import OpsSampler
from parley.core.http.protocol_log import protocol_logger
from parley.core.http.server import build_app
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext, Streaming
from parley.core.kernel.chosen import chosen_persona
from parley.core.kernel.clock import Clock, system_clock
from parley.core.kernel.edits import edits
from parley.core.kernel.engine import Engine
from parley.core.kernel.lease import lease_for, run_singleton
from parley.core.kernel.liveness import Liveness, Owner
from parley.core.kernel.messages import Address
from parley.core.kernel.middleware import (
    attribution,
    commands,
    disclosure,
    guard,
    history,
    locale,
    locale_meta,
    respond,
)
from parley.core.kernel.outbox import Outbox
from parley.core.kernel.pipeline import Middleware, fold
from parley.core.linking.codes import Codes
from parley.core.linking.flow import DeepLinks, linking
from parley.core.linking.operator import OperatorLinks
from parley.core.linking.replies import route as route_replies
from parley.core.privacy.consent import ConsentChanges
from parley.core.privacy.retention import RetentionJob
from parley.core.privacy.subject import Subject
from parley.core.routing.router import Router
from parley.core.schedule.service import Scheduler
from parley.core.storage import open_store
from parley.core.storage.backup import heartbeat
from parley.core.storage.startup import open_when_ready
from parley.core.storage.store import Store, StoreUnavailable

log = logging.getLogger("parley")
T = TypeVar("T")

TYPING_AFTER = 0.3  # seconds a turn may take before the channel shows "typing..."

Hook = Callable[[], Awaitable[None]]
ChannelFactory = Callable[[ChannelContext], Channel]  # a Channel subclass, or a partial of one


class Bot:
    """One bot: ``async with Bot(settings, routers=[...]) as bot:`` serves until the block ends.

    Extension points (docs/api.md): ``routers`` (command, text and button handlers, tried in
    order), ``middleware`` (wrapped inside the standard stack, around the routers and the brain),
    ``brain`` (replaces the offline retrieval brain; an LLM, when configured, falls back to it),
    ``locales`` (the bot's own locale folders, merged over the shipped packs), ``tools`` (async
    functions the LLM may call, their JSON schema from type hints), ``channels``
    (channel classes, or factories taking the ChannelContext, built beside the configured ones,
    their routes mounted), ``on_startup`` and ``on_shutdown`` (async callables run once the store
    is open, and before it closes).
    """

    def __init__(
        self,
        settings: Settings,
        clock: Clock = system_clock,
        store: Store | None = None,
        *,
        routers: Sequence[Router] = (),
        middleware: Sequence[Middleware] = (),
        brain: Brain | None = None,
        locales: Path | str | Sequence[Path | str] = (),
        channels: Sequence[ChannelFactory] = (),
        tools: Sequence[PythonTool] = (),
        on_startup: Sequence[Hook] = (),
        on_shutdown: Sequence[Hook] = (),
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.on_startup = list(on_startup)
        self.on_shutdown = list(on_shutdown)
        self._channel_factories = list(channels)
        overlays = [locales] if isinstance(locales, str | Path) else list(locales)
        # Load and validate data files first: a broken pack or persona stops start-up early.
        self.locales = LocaleCatalog.load(
            settings.locales_dir, settings.default_locale, tuple(Path(p) for p in overlays)
        )
        self.personas = PersonaCatalog.load(settings.personas_dir, settings.persona)
        self.reloader = Reloader(self.locales, self.personas, settings.locales_dir, settings.personas_dir)
        try:
            self.embedder = embedder(settings.knowledge_embeddings)
        except EmbeddingsUnavailable as exc:
            raise StartupError("PARLEY_KNOWLEDGE_EMBEDDINGS", str(exc)) from None
        self.knowledge = KnowledgeBase.load(
            Path(settings.knowledge_dir), settings.default_locale, embedder=self.embedder
        )
        # Who this process is, on every lock and lease it takes: a restart frees a dead one's.
        self.me = Owner.current()
        self.owner = str(self.me)
        self.store = store or open_store(settings.store_url, clock=clock, owner=self.owner)
        self.metrics = Metrics()
        self.lease = lease_for(self.store)
        self.brain = brain if brain is not None else RetrievalBrain(self.knowledge)
        # Built (and so checked) with or without a model: a broken tool stops start-up either way.
        try:
            self.tools = python_tools(tools, settings.llm.tool_timeout, builtin(settings.llm.tool_timeout))
        except TypeError as exc:
            raise StartupError("tools", str(exc)) from None
        self.llm = build_llm(settings, self.knowledge, self.brain, self.metrics.registry, self.tools)  # None: no key
        # A reload swaps the knowledge in place: the brains holding it see the new one. (An
        # author's own brain keeps its own data.)
        self.knowledge_watch = KnowledgeWatcher(
            Path(settings.knowledge_dir),
            self.knowledge.replace,
            settings.knowledge_poll,
            settings.default_locale,
            self.embedder,
        )
        self.channels: dict[str, Channel] = {}  # filled at start, read by the outbox per send
        self.scheduler = Scheduler(settings, self.store, self.locales, clock, metrics=self.metrics)
        # Aggregates kept as turns commit (the engine's on_commit), read by the console and API.
        self.analytics_store = open_analytics(settings.store_url, self.store)
        self.analytics = Recorder(self.analytics_store, clock)
        self.ops = OpsSampler(self.metrics, self.store, self.scheduler.sched, clock)  # /metrics depth and lag
        self.outbox = Outbox(self.store, self.channels, self.metrics, clock, on_settled=self.scheduler.settled)
        self.engine = Engine(
            self.store,
            self._handle,  # calls the pipeline folded below: the desk needs the engine first
            self.personas,
            self.locales,
            self.outbox,
            self.metrics,
            clock,
            dedupe_ttl=settings.dedupe_ttl,
            on_commit=self.analytics.observe,
            route=route_replies,
        )
        ho = settings.handoff
        desk_address = escalation = None
        if settings.slack.bot_token and settings.slack.desk_channel:
            desk_address = Address(channel="slack", chat=settings.slack.desk_channel)
        if settings.slack.bot_token and ho.escalation_channel:
            escalation = Address(channel="slack", chat=ho.escalation_channel)
        hours = BusinessHours.parse(ho.hours, ho.timezone)
        reminders = None  # SLA reminders need a desk to remind and the scheduler to book them
        if desk_address is not None and settings.scheduler.enabled:
            reminders = Reminders(
                self.store, self.scheduler.at, hours, desk_address, tuple(ho.remind_minutes), escalation
            )
        self.desk = Desk(
            self.store,
            self.metrics,
            hours,
            desk_address,
            self.engine,
            later=self.scheduler.at if settings.scheduler.enabled else None,  # claim timeouts, follow-ups
            summarise=self.llm.summarise if self.llm is not None else None,  # the handoff card's summary
            claim_timeout=ho.claim_timeout_minutes * 60.0,
            typical_wait=ho.typical_wait_minutes,
            show_agent_name=ho.show_agent_name,
            transcripts=f"{settings.public_url}/console/conversations/"
            if settings.console.enabled and settings.public_url
            else "",
            reminders=reminders,
        )
        # /parley queue, mine, assign and the App Home tab (the Slack channel tags them).
        self.desk_commands = DeskCommands(
            Queue(self.store, self.scheduler.sched), self.store, self.engine, desk_address, self.desk.canned
        )
        webhook = Address(channel="webhook", chat="leads") if ho.lead_webhook_url else None
        # Every lead kept with its outcome (open, won, lost): the console, the admin API, the CLI.
        self.lead_outcomes = LeadOutcomes(self.store, clock, settings.analytics.currency, self.analytics.record)
        # The lead card's "follow up" button books through the scheduler.
        self.leads = Leads(
            self.store,
            self.metrics,
            desk_address,
            webhook,
            followup=self.scheduler.lead_followup,
            transcripts=self.desk.transcripts,
            routing=LeadRouting(ho.lead_routes, self.store, self._group_members) if ho.lead_routes else None,
            outcomes=self.lead_outcomes,
        )
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        # Console users (bot.py users add): their API tokens work in the admin API with their role.
        self.accounts = accounts_for(self.store, clock)
        # Privacy requests (export, erase), for the admin API, the console and retention alike.
        self.subject = Subject(self.store, self.scheduler.sched, self.analytics_store, clock)
        # An operator's consent change (admin API, console), audited like the privacy requests.
        self.consent_changes = ConsentChanges(self.store, self.scheduler.sched, self.subject.audit, clock)
        self.retention = RetentionJob(settings.retention, self.subject, clock, self.metrics)
        self.console_routes: list[web.RouteDef] = []
        if settings.console.enabled:
            _, self.console_routes = build_console(
                self.store,
                self.scheduler.sched,
                self.locales,
                clock,
                self.accounts,
                public_url=settings.public_url,
                session_hours=settings.console.session_hours,
                persona=settings.persona,
                reports=self._reports(),
                outcomes=self.lead_outcomes,
                subject=self.subject,
            )
        self.admin = Admin(
            ApiAuth(token, self.accounts),
            self.store,
            self.scheduler.sched,
            self.locales,
            clock,
            wake=self.scheduler.wake,
            start_handoff=self.desk.start,
            proactive=self.engine,
            analytics=AnalyticsAPI(self.analytics_store, clock, Costs(**settings.analytics.model_dump())),
            record=self.analytics.record,
            leads=LeadAPI(self.lead_outcomes),
            links=LinkAPI(OperatorLinks(self.store, self.subject.audit)),
            consent=ConsentAPI(self.consent_changes),
            subject=self.subject,
        )
        self.router = Router("bot")
        for router in routers:
            self.router.include(router)
        # The standard stack, outermost first. The routers' place is fixed (docs/api.md): inside
        # guard, history, locale, the desk, the schedule's bookkeeping and the built-in
        # commands (so STOP, "/human" and the people index work whatever a handler answers);
        # outside qualification, AI disclosure and the brain. The author's middleware wraps
        # the routers and everything inside them.
        middlewares: list[Middleware] = [
            locale_meta,
            edits,  # an edit corrects the transcript and is never answered (docs/spec.md)
            guard(settings.max_message_chars, settings.flood_per_minute, clock),
            history,
            attribution,
            chosen_persona(self.personas),  # the widget's data-persona, before anything greets
            locale(self.locales),
            *self._linking(settings),
            self.desk_commands,
            analytics,  # around the desk: it sees the handoffs the desk opens
            self.desk,
            self.leads,
            *self.scheduler.conversation_middlewares(),
            commands,
        ]
        if self.llm is not None:
            # After the desk: while a person owns the conversation, everything goes to them.
            middlewares.append(feedback(self._capabilities, settings.llm.feedback))
        # No routers, no step (a frame less per turn); routers read their handlers live, so one
        # decorated after the bot was built still answers.
        routed = [self.router.middleware()] if routers else []
        # A location (or a contact card) sent alone is answered just before the brain.
        middlewares += [*middleware, *routed, qualify, disclosure, self.scheduler.gate(), shared(self.knowledge)]
        # A tuple: the pipeline is folded once below, so a later change could only be ignored.
        self.middlewares = tuple(middlewares)
        # Folded last: the engine's handler (self._handle) calls it.
        self.handler = fold(self.middlewares, respond(self.llm or self.brain, self.metrics, self._streaming))
        self.runner: web.AppRunner | None = None
        self.listener: Listener | None = None
        self.port: int = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._hints: set[asyncio.Task[None]] = set()

    def _linking(self, settings: Settings) -> list[Middleware]:
        """/link and /unlink (core/linking/flow.py), with deep links to the channels configured."""
        config = settings.linking
        if not config.enabled:
            return []
        secret = config.secret.get_secret_value() if config.secret else ""
        codes = Codes(self.store, self.clock, secret, ttl=config.code_minutes * 60)
        deep = DeepLinks(
            telegram_bot=config.telegram_bot,
            whatsapp_number=config.whatsapp_number or settings.twilio.whatsapp_from,
            sms_number=config.sms_number or settings.twilio.sms_from,
            # The web chat always runs; a link to it needs the address the world reaches it at.
            web_chat=f"{settings.public_url}/chat" if settings.public_url else "",
        )
        return [linking(self.store, codes, deep)]

    def _reports(self) -> list[tuple[tuple[NavItem, ...], Callable[[Console], Section]]]:
        """The console's campaign and analytics pages, with what they read and do."""
        sched, costs = self.scheduler.sched, Costs(**self.settings.analytics.model_dump())
        personas = sorted(self.personas.personas)
        return [
            (
                campaign_pages.NAV,
                lambda c: campaign_pages.CampaignsSection(
                    c, sched, self.locales, self.clock, self.scheduler.wake, self.engine
                ),
            ),
            (
                analytics_pages.NAV,
                lambda c: analytics_pages.AnalyticsSection(
                    c, self.analytics_store, self.locales, personas, self.clock, costs
                ),
            ),
        ]

    def _capabilities(self, address: Address) -> Capabilities | None:
        channel = self.channels.get(address.channel)
        return channel.capabilities if channel is not None else None

    def _streaming(self, address: Address) -> Streaming | None:
        channel = self.channels.get(address.channel)
        if self.llm is None or not self.settings.llm.stream or channel is None:
            return None
        return channel if channel.capabilities.edits else None

    def reload(self) -> None:
        """Reload every data file now: packs, personas and knowledge (bot.py calls it on SIGHUP)."""
        self.reloader.request()
        self.knowledge_watch.poke()

    async def _handle(self, turn) -> None:
        channel = self.channels.get(turn.address.channel)
        if channel is None or not channel.capabilities.typing or turn.inbound is None:
            return await self.handler(turn)
        # Show "typing..." only when the answer takes a while (an LLM, a slow tool): a fast
        # answer needs no indicator, and an extra platform call per turn costs rate budget.
        hint = asyncio.get_running_loop().call_later(TYPING_AFTER, self._typing, channel, turn.address)
        try:
            await self.handler(turn)
        finally:
            hint.cancel()

    def _typing(self, channel: Channel, address) -> None:
        task = asyncio.create_task(self._typing_now(channel, address))
        self._hints.add(task)
        task.add_done_callback(self._hints.discard)

    async def _group_members(self, group: str) -> list[str]:
        """Lead routing's roster: a Slack user group's members, through the running Slack
        channel (channels start after the pipeline is built, so it is looked up per call)."""
        slack = self.channels.get("slack")
        groups = getattr(slack, "groups", None)
        return await groups.members(group) if groups is not None else []

    async def _typing_now(self, channel: Channel, address) -> None:
        with contextlib.suppress(Exception):  # a typing hint is best effort
            await channel.typing(address)

    async def __aenter__(self) -> Bot:
        try:
            await self._start()
        except BaseException:
            with contextlib.suppress(Exception):  # what started is stopped; the cause is what matters
                await self.__aexit__(None, None, None)
            raise
        return self

    async def _start(self) -> None:
        """Start everything, or raise StartupError naming the variable (or hook) at fault."""
        settings = self.settings
        if self.llm is not None:  # tools are offered to a model only: without one, nothing to warn of
            allowed = {persona.id: persona.allowed_tools for persona in self.personas.personas.values()}
            for persona, _, message in unknown_tools(allowed, self.llm.toolbox.tools):
                log.warning("persona %s: %s", persona, message)
        # Opened and written once before anything says "running"; an unreachable Redis is waited
        # for (PARLEY_STORE_WAIT), a read-only SQLite directory stops start-up at once.
        await _named("PARLEY_STORE_URL", "cannot open the store", open_when_ready(self.store, settings.store_wait))
        await self._release_dead()
        await _named("PARLEY_STORE_URL", "cannot open the analytics", self.analytics_store.open())
        for hook in self.on_startup:  # before any channel receives: handlers may rely on them
            await _named(f"on_startup hook {_name(hook)}", "failed", hook(), catch=(Exception,))
        ctx = ChannelContext(
            self.engine.deliver, self.store, self.metrics, self.clock, self.outbox.wake, self.locales, self.personas
        )
        for channel in [*configured(self.settings, ctx), *(build(ctx) for build in self._channel_factories)]:
            if channel.name in self.channels or not channel.name:
                raise ValueError(f"channel name {channel.name!r} of {type(channel).__name__} is empty or taken")
            self.channels[channel.name] = channel
        routes = [r for c in self.channels.values() for r in c.routes()] + self.admin.routes() + self.console_routes
        rates = {name: c.capabilities.global_rate for name, c in self.channels.items()}
        schedule = "PARLEY_SCHEDULER__STORE_URL" if settings.scheduler.store_url else "PARLEY_STORE_URL"
        await _named(schedule, "cannot open the schedule", self.scheduler.start(self.engine, rates))
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
        http = settings.http
        app = build_app(self.store, self.metrics, routes, metrics_token=token, request_timeout=http.request_timeout)
        # keepalive_timeout closes a connection that sends no request, or idles between two.
        self.runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=5.0,
            keepalive_timeout=http.idle_timeout,
            logger=protocol_logger(),  # a request the parser refuses: one line, no traceback
        )
        await self.runner.setup()
        cap = min(http.max_connections, max(64, raise_fd_limit() - RESERVE))
        self.listener = Listener(self.runner, http.host, http.port, cap)
        where = f"cannot listen on {http.host}:{http.port}"
        self.port = await _named("PARLEY_HTTP__HOST/PORT", where, self.listener.start())
        self._tasks = [
            asyncio.create_task(self.outbox.run(), name="outbox"),
            asyncio.create_task(self.engine.sweeper(), name="sweeper"),
            asyncio.create_task(self.knowledge_watch.run(), name="knowledge"),
            asyncio.create_task(self.knowledge.warm(), name="knowledge-warm"),  # indexes: built lazily
            asyncio.create_task(self.reloader.run(), name="reloader"),
            asyncio.create_task(self.analytics.run(), name="analytics"),
            asyncio.create_task(self.ops.run(), name="ops-metrics"),
            *(asyncio.create_task(self._run_channel(c), name=c.name) for c in self.channels.values()),
        ]
        if isinstance(getattr(self.store, "path", None), Path):  # a SQLite file: `restore` must see us
            self._tasks.append(asyncio.create_task(heartbeat(self.store, self.owner, settings.singleton_lease)))
        if self.settings.scheduler.enabled and self.scheduler.planner is not None:
            self.singleton("planner", self.scheduler.planner.run)  # one planner across processes
        if self.settings.retention.configured:
            self.singleton("retention", self.retention.run)  # PARLEY_RETENTION__*: one process sweeps
        log.info(
            "parley ready",
            extra={"port": self.port, "channels": ",".join(self.channels), "store": self.store.__class__.__name__},
        )

    async def _release_dead(self) -> None:
        """Conversations a killed process was answering resume now, not after its lease (120 s)."""
        try:
            freed = await self.store.release_dead(Liveness(self.me).dead, self.clock())
        except StoreUnavailable as exc:  # the leases expire by themselves: slower, not wrong
            log.warning("could not free the locks of dead processes: %s", exc)
            return
        if freed:
            log.info("freed the locks and leases of dead processes", extra={"freed": freed})

    def singleton(self, name: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run ``work`` in one process of many at a time (the scheduler's planner uses this)."""
        lease = self.settings.singleton_lease
        task = asyncio.create_task(run_singleton(self.lease, name, self.owner, lease, work, Liveness(self.me).dead))
        self._tasks.append(task)
        return task

    async def _run_channel(self, channel: Channel) -> None:
        try:
            if channel.singleton:  # polling, Socket Mode, gateway: once per bot
                name, lease = f"channel:{channel.name}", self.settings.singleton_lease
                await run_singleton(self.lease, name, self.owner, lease, channel.run, Liveness(self.me).dead)
            else:
                await channel.run()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("channel stopped", extra={"channel": channel.name})

    async def __aexit__(self, *exc) -> None:
        """Graceful: stop accepting, finish in-flight turns, flush the outbox, close the store."""
        if self.listener is not None:
            await self.listener.stop()  # stop listening; open sockets stay until cleanup
        await self.engine.stop(timeout=10.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.scheduler.stop()
        with contextlib.suppress(Exception):
            await self.outbox.flush(timeout=5.0)
        with contextlib.suppress(Exception):
            await self.analytics.flush()  # the last second's counts
            await self.analytics_store.close()
        for channel in self.channels.values():
            with contextlib.suppress(Exception):
                await channel.close()
        if self.runner is not None:
            await self.runner.cleanup()
        for hook in self.on_shutdown:
            try:
                await hook()
            except Exception:  # one failing hook must not keep the store open
                log.exception("on_shutdown hook failed", extra={"hook": _name(hook)})
        await self.store.close()
        if self.llm is not None:
            await self.llm.close()
        log.info("parley stopped")

    def address(self, channel: str, chat: str, user: str = "", thread: str = "") -> Address:
        return Address(channel=channel, chat=chat, user=user or chat, thread=thread)


async def _named(
    source: str, what: str, step: Awaitable[T], catch: tuple[type[Exception], ...] = (OSError, StoreUnavailable)
) -> T:
    """Await a start-up step and return what it gives; a failure it can cause becomes a
    StartupError naming ``source`` (anything else is a bug, and keeps its traceback)."""
    try:
        return await step
    except catch as exc:
        raise StartupError(source, f"{what} ({type(exc).__name__}: {cause_of(exc)})") from exc


def _name(hook: Callable[..., object]) -> str:
    return getattr(hook, "__qualname__", repr(hook))


# The name before the public API (docs/api.md); new code says Bot.
Parley = Bot
