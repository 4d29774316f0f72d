"""The admin API under ``/api/``: campaigns, scheduled sends, people (export, erase: admin_privacy.py),
the audit log, conversations.

Every call needs ``Authorization: Bearer <token>``: ``PARLEY_ADMIN_TOKEN`` (an admin) or a console
user's API token (their role); each route names the ``Permission`` it needs (admin_auth.py).
With neither configured every call is refused (403), so a fresh install never exposes people's data.
``GET /api/openapi.json`` describes every route and needs no token (parley.core.http.admin_openapi).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from parley.core.analytics.store import ALL
from parley.core.console.roles import Permission
from parley.core.http.admin_analytics import AnalyticsAPI
from parley.core.http.admin_auth import ApiAuth
from parley.core.http.admin_campaigns import CampaignAPI
from parley.core.http.admin_consent import ConsentAPI
from parley.core.http.admin_leads import LeadAPI
from parley.core.http.admin_links import LinkAPI
from parley.core.http.admin_openapi import describe
from parley.core.http.admin_privacy import PrivacyAPI
from parley.core.http.replies import error, json_body
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock
from parley.core.kernel.control import Proactive
from parley.core.kernel.facts import Fact, Metric
from parley.core.privacy.subject import Subject
from parley.core.schedule.lifecycle import bump
from parley.core.schedule.store import ScheduleStore
from parley.core.storage.store import Store

log = logging.getLogger("parley.admin")


@dataclass
class Admin:
    auth: ApiAuth
    store: Store
    sched: ScheduleStore
    catalog: LocaleCatalog
    clock: Clock
    wake: Callable[[], None] = lambda: None  # the dispatcher: a send or campaign changed
    # Desk.start: hand a conversation to the desk (None: the route answers 409).
    start_handoff: Callable[[str], Awaitable[bool]] | None = None
    proactive: Proactive | None = None  # the engine: campaign test sends
    analytics: AnalyticsAPI | None = None  # the analytics report and knowledge gaps
    # The analytics recorder: a conversion posted here is counted beside the turns' facts.
    record: Callable[[tuple[str, str, str], list[Fact], float], None] | None = None
    leads: LeadAPI | None = None  # the leads list and their outcomes
    links: LinkAPI | None = None  # an operator links and unlinks a person's identities
    consent: ConsentAPI | None = None  # an operator opts a person in or out on one channel
    subject: Subject | None = None  # privacy requests (None: one over the store and schedule alone)

    def __post_init__(self) -> None:
        self.campaigns = CampaignAPI(self.sched, self.catalog, self.clock, self.wake, self.proactive, self.store)
        self.privacy = PrivacyAPI(self.subject or Subject(self.store, self.sched, None, self.clock))

    def routes(self) -> list[web.RouteDef]:
        g, P = self.auth.guard, Permission
        return [
            web.get("/api/openapi.json", self.openapi),
            *self.campaigns.routes(g),
            *(self.analytics.routes(g) if self.analytics is not None else []),
            *(self.leads.routes(g) if self.leads is not None else []),
            *(self.links.routes(g) if self.links is not None else []),
            *(self.consent.routes(g) if self.consent is not None else []),
            *self.privacy.routes(g),
            web.post("/api/people/{person}/conversions", g(self.conversion, P.RECORD_CONVERSIONS)),
            web.get("/api/conversations/{id}", g(self.conversation, P.READ_CONVERSATIONS)),
            web.post("/api/conversations/{id}/handoff", g(self.handoff, P.HANDOFF)),
        ]

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(describe())

    # -- sends, people, conversations --------------------------------------------------------
    async def conversion(self, request: web.Request) -> web.Response:
        """A conversion (an order, a booking) attributed to the person's last campaign message
        when it falls inside that campaign's attribution window."""
        person = request.match_info["person"]
        body = await json_body(request)
        value = body.get("value", 0) if isinstance(body, dict) else 0
        last = (await self.store.profile(person)).get("last_campaign")
        if not last or self.clock() > last.get("until", 0) or not isinstance(value, int | float):
            return web.json_response({"attributed": None})
        cents = int(round(value * 100))
        await bump(self.sched, last["id"], "converted", self.clock())
        await self.sched.count(last["id"], "value_cents", cents)
        if self.record is not None:
            entry = await self.sched.person(person)
            where = (entry.address.channel, entry.locale or ALL, ALL) if entry else (person.split(":")[0], ALL, ALL)
            self.record(where, [Fact(Metric.CONVERSIONS, cents, last["id"])], self.clock())
        return web.json_response({"attributed": last["id"]})

    async def conversation(self, request: web.Request) -> web.Response:
        state = await self.store.state(request.match_info["id"])
        if not state:
            return error(404, "no such conversation")
        return web.json_response({"id": request.match_info["id"], "state": state})

    async def handoff(self, request: web.Request) -> web.Response:
        """Hand a conversation to the desk, as if the customer had asked for a person."""
        conversation = request.match_info["id"]
        if self.start_handoff is None:
            return error(409, "handoff is not available")
        if conversation.count(":") != 2 or not await self.store.state(conversation):
            return error(404, "no such conversation")
        if not await self.start_handoff(conversation):
            return error(409, "conversation busy, try again")
        state = await self.store.state(conversation)
        return web.json_response({"id": conversation, "handoff": state.get("handoff", {})})
