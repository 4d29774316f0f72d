"""The admin API's lead routes: the leads list (newest first, by outcome) and a lead's outcome.

GET  /api/leads?outcome=won&before=<next>   {"leads": [...], "next": <before for the next page> | null}
GET  /api/leads/{id}
POST /api/leads/{id}/outcome                {"outcome": "won", "value": 1200, "currency": "EUR"}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.handoff.outcome import Decision, LeadOutcomes, OutcomeError, UnknownLead
from parley.core.http.admin_auth import PRINCIPAL
from parley.core.http.replies import error, json_body
from parley.core.storage.leads import Outcome

Guard = Callable[[Callable, Permission], Callable]
PAGE = 100


class LeadAPI:
    def __init__(self, outcomes: LeadOutcomes) -> None:
        self.outcomes = outcomes

    def routes(self, g: Guard) -> list[web.RouteDef]:
        return [
            web.get("/api/leads", g(self.list, Permission.READ_LEADS)),
            web.get("/api/leads/{id}", g(self.one, Permission.READ_LEADS)),
            web.post("/api/leads/{id}/outcome", g(self.decide, Permission.DECIDE_LEADS)),
        ]

    async def list(self, request: web.Request) -> web.Response:
        raw = request.query.get("outcome", "")
        try:
            outcome = Outcome(raw) if raw else None
            before = float(request.query.get("before") or 0)
        except ValueError:
            return error(400, "outcome: open, won or lost; before: the `next` of the previous page")
        rows = await self.outcomes.list(outcome, before, PAGE)
        more = rows[-1].created if len(rows) == PAGE else None
        return web.json_response({"leads": [asdict(x) for x in rows], "next": more})

    async def one(self, request: web.Request) -> web.Response:
        lead = await self.outcomes.store.lead(request.match_info["id"])
        return web.json_response(asdict(lead)) if lead else error(404, "no such lead")

    async def decide(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        if not isinstance(body, dict):
            return error(400, 'a JSON object: {"outcome": "won", "value": 1200, "currency": "EUR"}')
        try:
            decision = Decision.parse(body.get("outcome", ""), body.get("value"), body.get("currency", ""))
            lead = await self.outcomes.decide(request.match_info["id"], decision, request[PRINCIPAL].name)
        except UnknownLead:
            return error(404, "no such lead")
        except OutcomeError as exc:
            return error(422, str(exc))
        return web.json_response(asdict(lead))
