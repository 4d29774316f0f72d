"""Campaign pages: the list, the editor (audience builder, message per locale with a live
preview per channel, the audience preview with exclusions and first send times), and a
campaign's page (start, pause, resume, cancel, a test send, live progress, results with a chart).

Everything a page does is what the admin API does (parley.core.schedule: planner, lifecycle,
trial), so the two never disagree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from parley.core.console.campaign_form import CHANNELS, CampaignForm
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, NavItem, Viewer
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock, as_datetime
from parley.core.kernel.control import Proactive
from parley.core.schedule.campaigns import CampaignError, parse_spec
from parley.core.schedule.lifecycle import MoveRefused, move, results
from parley.core.schedule.planner import create, preview
from parley.core.schedule.store import ScheduleStore
from parley.core.schedule.trial import Busy, recipient, send_test

log = logging.getLogger("parley.console")
NAV = (NavItem("nav_campaigns", "/console/campaigns", Permission.VIEW_REPORTS),)
SEE, RUN = Permission.VIEW_REPORTS, Permission.MANAGE_CAMPAIGNS


class CampaignsSection:
    def __init__(
        self,
        console: Console,
        sched: ScheduleStore,
        catalog: LocaleCatalog,
        clock: Clock,
        wake: Callable[[], None],
        proactive: Proactive | None,
    ) -> None:
        self.console = console
        self.sched = sched
        self.catalog = catalog
        self.clock = clock
        self.wake = wake
        self.proactive = proactive

    def routes(self) -> list[web.RouteDef]:
        p = self.console.page
        return [
            web.get("/console/campaigns", p(SEE, self.list)),
            web.get("/console/campaigns/new", p(RUN, self.new)),
            web.post("/console/campaigns/new", p(RUN, self.submit)),
            web.get("/console/campaigns/{id}", p(SEE, self.show)),
            web.get("/console/campaigns/{id}/results", p(SEE, self.results)),
            web.post("/console/campaigns/{id}/test", p(RUN, self.test)),
            web.post("/console/campaigns/{id}/{action:start|pause|resume|cancel}", p(RUN, self.act)),
        ]

    async def list(self, request: web.Request, viewer: Viewer) -> web.Response:
        rows = []
        for record in await self.sched.campaigns():
            rows.append({"record": record, "results": results(await self.sched.progress(record.id), record.status)})
        rows.sort(key=lambda r: -r["record"].created_at)
        return self.console.render(request, viewer, "campaigns.html", rows=rows)

    # -- the editor --------------------------------------------------------------------------
    def _editor(self, request: web.Request, viewer: Viewer, form: CampaignForm, status: int = 200, **shown: Any):
        shown = {"error": "", "seen": None, **shown}
        return self.console.render(
            request,
            viewer,
            "campaign_edit.html",
            status=status,
            form=form,
            codes=self.catalog.codes,
            channels=CHANNELS,
            **shown,
        )

    async def new(self, request: web.Request, viewer: Viewer) -> web.Response:
        tomorrow = as_datetime(self.clock() + 86400).date().isoformat()
        return self._editor(request, viewer, CampaignForm(starts_on=tomorrow, locales=[]))

    async def submit(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        raw = await self.console.form(request)
        form = CampaignForm.read(raw, list(self.catalog.codes))
        now = self.clock()
        try:
            body = form.spec()
            if raw.get("action") == "create":
                record, _ = await create(self.sched, body, self.catalog, now)
                await self.console.audit(viewer, "campaign.create", record.id)
                raise web.HTTPSeeOther(f"/console/campaigns/{record.id}")
            seen = await preview(self.sched, parse_spec(body), self.catalog, now)
        except (CampaignError, ValueError) as exc:
            return self._editor(request, viewer, form, status=422, error=str(exc))
        return self._editor(request, viewer, form, seen=seen.as_json())

    # -- one campaign ------------------------------------------------------------------------
    async def show(self, request: web.Request, viewer: Viewer, status: int = 200, **shown: Any) -> web.Response:
        record = await self.sched.campaign(request.match_info["id"])
        if record is None:
            return self.console.render(request, viewer, "error.html", status=404, message="not_found")
        shown_results = results(await self.sched.progress(record.id), record.status)
        shown = {"error": "", "tested": "", **shown}
        return self.console.render(
            request, viewer, "campaign.html", status=status, record=record, results=shown_results, **shown
        )

    async def results(self, request: web.Request, viewer: Viewer) -> web.Response:
        """The live progress the campaign page polls."""
        record = await self.sched.campaign(request.match_info["id"])
        if record is None:
            return web.json_response({"error": "no such campaign"}, status=404)
        shown = results(await self.sched.progress(record.id), record.status)
        return web.json_response({"status": record.status, "planned_all": record.planned_all, **shown})

    async def act(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        campaign, action = request.match_info["id"], request.match_info["action"]
        try:
            moved = await move(self.sched, campaign, action)
        except MoveRefused as exc:
            return await self.show(request, viewer, status=404 if exc.missing else 409, error=str(exc))
        self.wake()
        await self.console.audit(viewer, f"campaign.{action}", campaign)
        raise web.HTTPSeeOther(f"/console/campaigns/{moved.record.id}")

    async def test(self, request: web.Request, viewer: Viewer) -> web.Response:
        record = await self.sched.campaign(request.match_info["id"])
        if record is None:
            return self.console.render(request, viewer, "error.html", status=404, message="not_found")
        form = await self.console.form(request)
        entry = await recipient(self.sched, str(form.get("person", "")).strip())
        if entry is None or self.proactive is None:
            return await self.show(request, viewer, status=422, error="test_unknown_person")
        try:
            sent = await send_test(self.proactive, self.catalog, record, entry, self.clock())
        except Busy:
            return await self.show(request, viewer, status=409, error="test_busy")
        await self.console.audit(viewer, "campaign.test", record.id, entry.person)
        return await self.show(request, viewer, tested=sent.text)
