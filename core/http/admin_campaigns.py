"""The admin API's campaign routes: list (with results), create, preview (who, who not and why,
first send times), show, start/pause/resume/cancel, a campaign's waiting sends, a test send to
yourself, and one send's status with its due time. Guarded by parley.core.http.admin."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.http.replies import error, json_body
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock
from parley.core.kernel.control import Proactive
from parley.core.kernel.messages import Address
from parley.core.linking.best import recorded
from parley.core.schedule.campaigns import CampaignError, parse_spec
from parley.core.schedule.lifecycle import MoveRefused, move, results
from parley.core.schedule.planner import create, iso, preview
from parley.core.schedule.store import ScheduleStore
from parley.core.schedule.trial import Busy, recipient, send_test
from parley.core.storage.store import KeyValueStore

log = logging.getLogger("parley.admin")
Guard = Callable[[Callable, Permission], Callable]  # ApiAuth.guard: a handler and what it needs
PAGE = 200  # waiting sends per page


@dataclass
class CampaignAPI:
    sched: ScheduleStore
    catalog: LocaleCatalog
    clock: Clock
    wake: Callable[[], None]
    proactive: Proactive | None = None  # the engine: a test send goes through the pipeline
    kv: KeyValueStore | None = None  # where the dispatcher records each send's channel choice

    def routes(self, g: Guard) -> list[web.RouteDef]:
        see, run = Permission.VIEW_REPORTS, Permission.MANAGE_CAMPAIGNS
        return [
            web.get("/api/campaigns", g(self.list_campaigns, see)),
            web.post("/api/campaigns", g(self.create_campaign, run)),
            web.post("/api/campaigns/preview", g(self.preview_campaign, run)),
            web.get("/api/campaigns/{id}", g(self.show_campaign, see)),
            web.get("/api/campaigns/{id}/sends", g(self.waiting_sends, see)),
            web.post("/api/campaigns/{id}/test", g(self.test_send, run)),
            web.post("/api/campaigns/{id}/{action:start|pause|resume|cancel}", g(self.move_campaign, run)),
            web.get("/api/sends/{id}", g(self.show_send, see)),
            web.delete("/api/sends/{id}", g(self.cancel_send, run)),
        ]

    async def list_campaigns(self, request: web.Request) -> web.Response:
        out = []
        for r in await self.sched.campaigns():
            shown = results(await self.sched.progress(r.id), r.status)
            shown.pop("timeline")
            out.append({"id": r.id, "status": r.status, "name": r.spec.get("name", ""), "results": shown})
        return web.json_response(out)

    async def create_campaign(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        try:
            record, seen = await create(self.sched, body, self.catalog, self.clock())
        except CampaignError as exc:
            log.info("campaign refused: %s", exc)
            return error(422, str(exc))
        return web.json_response({"id": record.id, "status": record.status, "audience": seen.as_json()}, status=201)

    async def preview_campaign(self, request: web.Request) -> web.Response:
        try:
            spec = parse_spec(await json_body(request))
        except CampaignError as exc:
            return error(422, str(exc))
        return web.json_response((await preview(self.sched, spec, self.catalog, self.clock())).as_json())

    async def show_campaign(self, request: web.Request) -> web.Response:
        record = await self.sched.campaign(request.match_info["id"])
        if record is None:
            return error(404, "no such campaign")
        shown = results(await self.sched.progress(record.id), record.status)
        # "progress" is the older name of the same figures: kept for existing callers.
        return web.json_response(
            {"id": record.id, "status": record.status, "spec": record.spec, "results": shown, "progress": shown}
        )

    async def move_campaign(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        try:
            moved = await move(self.sched, request.match_info["id"], action)
        except MoveRefused as exc:
            return error(404 if exc.missing else 409, "no such campaign" if exc.missing else str(exc))
        self.wake()
        log.info("campaign %s: %s", moved.record.id, moved.record.status)
        return web.json_response(
            {"id": moved.record.id, "status": moved.record.status, "cancelled_sends": moved.cancelled_sends}
        )

    async def waiting_sends(self, request: web.Request) -> web.Response:
        campaign = request.match_info["id"]
        if await self.sched.campaign(campaign) is None:
            return error(404, "no such campaign")
        after = request.query.get("after", "")
        rows = await self.sched.waiting(campaign, after, PAGE)
        sends = [{"id": w.id, "status": w.status, "due": iso(w.due), **await self._route(w.id)} for w in rows]
        return web.json_response({"sends": sends, "next": rows[-1].id if len(rows) == PAGE else None})

    async def test_send(self, request: web.Request) -> web.Response:
        """Send it now to one person (yourself): a person id the bot knows, or an address."""
        record = await self.sched.campaign(request.match_info["id"])
        if record is None:
            return error(404, "no such campaign")
        if self.proactive is None:
            return error(409, "test sends need a running bot")
        body = await json_body(request)
        body = body if isinstance(body, dict) else {}
        raw = body.get("address")
        address = None
        if isinstance(raw, dict) and isinstance(raw.get("channel"), str) and isinstance(raw.get("chat"), str):
            address = Address(channel=raw["channel"], chat=raw["chat"], user=str(raw.get("user") or raw["chat"]))
        person = body.get("person") if isinstance(body.get("person"), str) else ""
        locale = body.get("locale") if isinstance(body.get("locale"), str) else ""
        entry = await recipient(self.sched, person, address, locale, str(body.get("name") or ""))
        if entry is None:
            return error(422, "give person (a person id the bot knows) or address {channel, chat}")
        try:
            sent = await send_test(self.proactive, self.catalog, record, entry, self.clock())
        except Busy:
            return error(409, "conversation busy, try again")
        return web.json_response({"sent": sent.send_id, "text": sent.text, "locale": sent.locale})

    async def show_send(self, request: web.Request) -> web.Response:
        send_id = request.match_info["id"]
        status = await self.sched.status(send_id)
        if status is None:
            return error(404, "no such send")
        due = await self.sched.due_at(send_id) if status == "due" else None
        body = {"id": send_id, "status": status, "due": iso(due), "due_epoch": due, **await self._route(send_id)}
        return web.json_response(body)

    async def _route(self, send_id: str) -> dict:
        """The channel a campaign send to a linked person went to, and why (core/linking/best.py)."""
        choice = await recorded(self.kv, send_id) if self.kv is not None else None
        return {"route": choice} if choice else {}

    async def cancel_send(self, request: web.Request) -> web.Response:
        live = await self.sched.cancel(request.match_info["id"])
        return web.json_response({"id": request.match_info["id"], "cancelled": live})
