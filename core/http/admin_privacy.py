"""Privacy requests in the admin API: a person's export (one JSON download), their erasure, and
the audit log (``GET /api/audit`` with filters). Every export and erasure is recorded with the
caller and the reason they give (``?reason=`` or a JSON body's ``reason``); docs/privacy.md.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from dataclasses import asdict

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.http.admin_auth import AUDITED, Handler, caller
from parley.core.http.replies import error, export_download, json_body
from parley.core.kernel.door import BadInput
from parley.core.privacy.audit import AuditFilter, BadReason, Operator, Via, clean_reason, search
from parley.core.privacy.subject import Busy, Subject

log = logging.getLogger("parley.admin")

MAX_ID = 300  # a person id is "channel:handle"; longer is not one
MAX_PAGE = 500


def person_id(request: web.Request) -> str:
    """The path's person id, or BadInput (400) for one that cannot be an id."""
    person = request.match_info["person"]
    if len(person) > MAX_ID or ":" not in person or any(unicodedata.category(c)[0] == "C" for c in person):
        raise BadInput("bad_person", "not a person id (channel:handle, at most 300 characters)")
    return person


async def reason_of(request: web.Request) -> str:
    raw = request.query.get("reason")
    if raw is None and request.can_read_body:
        body = await json_body(request)
        raw = body.get("reason") if isinstance(body, dict) else None
    return clean_reason(raw)


class PrivacyAPI:
    def __init__(self, subject: Subject) -> None:
        self.subject = subject

    def routes(self, guard) -> list[web.RouteDef]:
        P = Permission
        return [
            web.get("/api/people/{person}", guard(self._refusing(self.export), P.EXPORT_PEOPLE)),
            web.delete("/api/people/{person}", guard(self._refusing(self.erase), P.ERASE_PEOPLE)),
            web.get("/api/audit", guard(self._refusing(self.audit), P.READ_AUDIT)),
        ]

    @staticmethod
    def _refusing(handler: Handler) -> Handler:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except BadReason as exc:
                log.info("admin: reason refused: %s", exc, extra={"path": request.path})
                return error(422, str(exc))
            except BadInput as exc:
                log.info("admin: %s", exc.reason, extra={"path": request.match_info.route.resource.canonical})
                return error(400, str(exc))

        return run

    async def _operator(self, request: web.Request) -> Operator:
        return Operator(caller(request).name, Via.API, await reason_of(request))

    async def export(self, request: web.Request) -> web.StreamResponse:
        person = person_id(request)
        body = await self.subject.export(person, await self._operator(request))
        if body is None:
            return error(404, "no data held about this person")
        return export_download(person, body)

    async def erase(self, request: web.Request) -> web.StreamResponse:
        person = person_id(request)
        try:
            erased = await self.subject.erase(person, await self._operator(request))
        except Busy:
            return error(409, "a conversation of this person is busy; try again")
        request[AUDITED] = True
        if erased is None:
            return error(404, "no data held about this person")
        log.info("person erased", extra={"removed": erased.removed})
        return web.json_response({"person": person, **asdict(erased)})

    async def audit(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        try:
            limit = int(q.get("limit", "100"))
            offset = int(q.get("offset", "0"))
            since, until = float(q.get("since", "0")), float(q.get("until", "inf"))
        except ValueError:
            return error(400, "limit and offset are whole numbers; since and until are Unix times")
        if not (0 < limit <= MAX_PAGE and 0 <= offset and not math.isnan(since) and not math.isnan(until)):
            return error(400, f"limit is 1 to {MAX_PAGE}, offset 0 or more")
        about = await self.subject.audit.pseudonyms.around(q["person"][:MAX_ID]) if q.get("person") else frozenset()
        target = q.get("target", "")[:MAX_ID]
        where = AuditFilter(q.get("actor", "")[:200], q.get("action", "")[:100], target, since, until, about)
        entries = await search(self.subject.store, where, limit, offset)
        return web.json_response({"entries": [asdict(e) for e in entries], "limit": limit, "offset": offset})
