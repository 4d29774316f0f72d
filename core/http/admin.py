"""The admin API under ``/api/``: campaigns, scheduled sends, people (export, erase), conversations.

Every call needs ``Authorization: Bearer <PARLEY_ADMIN_TOKEN>`` (compared in constant time); with
no token configured every call is refused (403), so a fresh install never exposes people's data.
``GET /api/openapi.json`` describes every route and needs no token (parley.core.http.admin_openapi).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from parley.core.http.admin_openapi import describe
from parley.core.http.auth import bearer, same_token
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock
from parley.core.kernel.door import parse_json
from parley.core.schedule.campaigns import CampaignError, parse_spec
from parley.core.schedule.planner import create, preview
from parley.core.schedule.store import FINAL, ScheduleStore
from parley.core.storage.store import Store

log = logging.getLogger("parley.admin")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MOVES = {  # action -> (statuses it applies to, status after)
    "start": (("draft", "paused"), "running"),
    "pause": (("running",), "paused"),
    "resume": (("paused",), "running"),
    "cancel": (("draft", "running", "paused"), "cancelled"),
}


@dataclass
class Admin:
    token: str | None
    store: Store
    sched: ScheduleStore
    catalog: LocaleCatalog
    clock: Clock
    wake: Callable[[], None] = lambda: None  # the dispatcher: a send or campaign changed
    # Desk.start: hand a conversation to the desk (None: the route answers 409).
    start_handoff: Callable[[str], Awaitable[bool]] | None = None

    def routes(self) -> list[web.RouteDef]:
        g = self.guarded
        return [
            web.get("/api/openapi.json", self.openapi),
            web.get("/api/campaigns", g(self.list_campaigns)),
            web.post("/api/campaigns", g(self.create_campaign)),
            web.post("/api/campaigns/preview", g(self.preview_campaign)),
            web.get("/api/campaigns/{id}", g(self.show_campaign)),
            web.post("/api/campaigns/{id}/{action:start|pause|resume|cancel}", g(self.move_campaign)),
            web.get("/api/sends/{id}", g(self.show_send)),
            web.delete("/api/sends/{id}", g(self.cancel_send)),
            web.get("/api/people/{person}", g(self.export_person)),
            web.delete("/api/people/{person}", g(self.erase_person)),
            web.post("/api/people/{person}/conversions", g(self.conversion)),
            web.get("/api/conversations/{id}", g(self.conversation)),
            web.post("/api/conversations/{id}/handoff", g(self.handoff)),
        ]

    def guarded(self, handler: Handler) -> Handler:
        async def check(request: web.Request) -> web.StreamResponse:
            if not self.token:
                return _error(403, "admin API disabled: set PARLEY_ADMIN_TOKEN")
            given = bearer(request.headers.get("Authorization", ""))
            if given is None:
                log.info("admin: missing bearer token", extra={"path": request.path})
                return _error(401, "bearer token required", {"WWW-Authenticate": 'Bearer realm="parley"'})
            if not same_token(given, self.token):
                log.info("admin: wrong token", extra={"path": request.path})
                return _error(403, "wrong token")
            return await handler(request)

        return check

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(describe())

    # -- campaigns ---------------------------------------------------------------------------
    async def list_campaigns(self, request: web.Request) -> web.Response:
        records = await self.sched.campaigns()
        return web.json_response([{"id": r.id, "status": r.status, "name": r.spec.get("name", "")} for r in records])

    async def create_campaign(self, request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            record, seen = await create(self.sched, body, self.catalog, self.clock())
        except CampaignError as exc:
            log.info("campaign refused: %s", exc)
            return _error(422, str(exc))
        return web.json_response({"id": record.id, "status": record.status, "audience": seen.as_json()}, status=201)

    async def preview_campaign(self, request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            spec = parse_spec(body)
        except CampaignError as exc:
            return _error(422, str(exc))
        return web.json_response((await preview(self.sched, spec, self.catalog, self.clock())).as_json())

    async def show_campaign(self, request: web.Request) -> web.Response:
        record = await self.sched.campaign(request.match_info["id"])
        if record is None:
            return _error(404, "no such campaign")
        counts = await self.sched.progress(record.id)
        return web.json_response(
            {"id": record.id, "status": record.status, "spec": record.spec, "progress": progress(counts)}
        )

    async def move_campaign(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        record = await self.sched.campaign(request.match_info["id"])
        if record is None:
            return _error(404, "no such campaign")
        allowed, after = MOVES[action]
        if record.status not in allowed:
            return _error(409, f"cannot {action} a campaign that is {record.status}")
        record.status = after
        await self.sched.put_campaign(record)
        self.wake()
        log.info("campaign %s: %s", record.id, after)
        return web.json_response({"id": record.id, "status": record.status})

    # -- sends, people, conversations --------------------------------------------------------
    async def show_send(self, request: web.Request) -> web.Response:
        status = await self.sched.status(request.match_info["id"])
        if status is None:
            return _error(404, "no such send")
        return web.json_response({"id": request.match_info["id"], "status": status})

    async def cancel_send(self, request: web.Request) -> web.Response:
        live = await self.sched.cancel(request.match_info["id"])
        return web.json_response({"id": request.match_info["id"], "cancelled": live})

    async def export_person(self, request: web.Request) -> web.Response:
        person = request.match_info["person"]
        body = await self.store.export_person(person)
        entry = await self.sched.person(person)
        body["index"] = json.loads(entry.to_json()) if entry else None
        if not body.get("profile") and not body.get("conversations") and entry is None:
            return _error(404, "no data held about this person")
        return web.json_response(body)

    async def erase_person(self, request: web.Request) -> web.Response:
        person = request.match_info["person"]
        removed = await self.store.erase_person(person) + await self.sched.forget_person(person)
        log.info("person erased", extra={"removed": removed})
        return web.json_response({"person": person, "removed": removed})

    async def conversion(self, request: web.Request) -> web.Response:
        """A conversion (an order, a booking) attributed to the person's last campaign message
        when it falls inside that campaign's attribution window."""
        person = request.match_info["person"]
        body = await _json(request)
        value = body.get("value", 0) if isinstance(body, dict) else 0
        last = (await self.store.profile(person)).get("last_campaign")
        if not last or self.clock() > last.get("until", 0) or not isinstance(value, int | float):
            return web.json_response({"attributed": None})
        await self.sched.count(last["id"], "converted")
        await self.sched.count(last["id"], "value_cents", int(round(value * 100)))
        return web.json_response({"attributed": last["id"]})

    async def conversation(self, request: web.Request) -> web.Response:
        state = await self.store.state(request.match_info["id"])
        if not state:
            return _error(404, "no such conversation")
        return web.json_response({"id": request.match_info["id"], "state": state})

    async def handoff(self, request: web.Request) -> web.Response:
        """Hand a conversation to the desk, as if the customer had asked for a person."""
        conversation = request.match_info["id"]
        if self.start_handoff is None:
            return _error(409, "handoff is not available")
        if conversation.count(":") != 2 or not await self.store.state(conversation):
            return _error(404, "no such conversation")
        if not await self.start_handoff(conversation):
            return _error(409, "conversation busy, try again")
        state = await self.store.state(conversation)
        return web.json_response({"id": conversation, "handoff": state.get("handoff", {})})


def progress(counts: dict[str, int]) -> dict[str, Any]:
    """planned, sent, delivered, skipped and failed by reason, pending, replies, conversions."""
    out: dict[str, Any] = {"planned": 0, "sent": 0, "delivered": 0, "skipped": {}, "failed": {}, "pending": 0}
    finished = 0
    for key, n in counts.items():
        head, _, reason = key.partition(":")
        if head in ("skipped", "failed"):
            out[head][reason] = out[head].get(reason, 0) + n
        else:
            out[key] = out.get(key, 0) + n
        if head in FINAL and not (head == "failed" and reason.startswith("outbox")):
            finished += n
    out["pending"] = max(0, out["planned"] - finished)
    return out


async def _json(request: web.Request) -> Any:
    # parse_json raises BadInput (bounded, valid Unicode): the server answers 400 with one line.
    return parse_json(await request.read())


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)
