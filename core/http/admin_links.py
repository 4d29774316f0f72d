"""The admin API's linking routes: an operator lists, links and unlinks a person's identities,
always with a reason, which the operator audit log keeps (core/linking/audit.py).

    GET    /api/people/{person}/identities
    POST   /api/people/{person}/identities              {"identity": "whatsapp:+49...", "reason": "..."}
    DELETE /api/people/{person}/identities/{identity}   {"reason": "..."}  (or ?reason=)

A person is named by any of their identities. Refusals are 409 with a reason code (``same``,
``linked_elsewhere``, ``not_linked``, ``busy``); a malformed identity or a missing reason is 400.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.http.admin_auth import caller
from parley.core.http.replies import error, json_body
from parley.core.linking.audit import Action, Audit, OperatorAction
from parley.core.linking.links import LinkRefused, link, unlink
from parley.core.storage.store import Store

log = logging.getLogger("parley.admin")
Guard = Callable[[Callable, Permission], Callable]
IDENTITY = re.compile(r"[a-z][a-z0-9_]{0,31}:[^\s:][^\s]{0,254}")  # channel:id, as Address.person
REASON_CHARS = 500


@dataclass
class LinkAPI:
    store: Store
    audit: Audit

    def routes(self, g: Guard) -> list[web.RouteDef]:
        see, edit = Permission.READ_PEOPLE, Permission.EDIT_PEOPLE
        return [
            web.get("/api/people/{person}/identities", g(self.identities, see)),
            web.post("/api/people/{person}/identities", g(self.link, edit)),
            web.delete("/api/people/{person}/identities/{identity}", g(self.unlink, edit)),
        ]

    async def identities(self, request: web.Request) -> web.Response:
        person = await self.store.person_of(request.match_info["person"])
        return web.json_response({"person": person, "identities": await self.store.identities(person) or [person]})

    async def link(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        body = body if isinstance(body, dict) else {}
        identity, reason = str(body.get("identity", "")), _reason(body.get("reason"))
        if not IDENTITY.fullmatch(identity):
            return error(400, "identity: channel:id, like whatsapp:+4915100000001 (Address.person)")
        if reason is None:
            return error(400, f"reason: required, 1-{REASON_CHARS} characters (kept in the audit log)")
        person = request.match_info["person"]
        try:
            linked = await link(self.store, person, identity)
        except LinkRefused as refused:
            return error(409, refused.reason.value)
        await self.audit.record(OperatorAction(caller(request).name, Action.LINK, linked.person, identity, reason))
        log.info("identities linked by an operator", extra={"identities": len(linked.identities)})
        return web.json_response({"person": linked.person, "identities": list(linked.identities)})

    async def unlink(self, request: web.Request) -> web.Response:
        body = await json_body(request) if request.can_read_body else {}
        body = body if isinstance(body, dict) else {}
        reason = _reason(body.get("reason", request.query.get("reason")))
        if reason is None:
            return error(400, f"reason: required, 1-{REASON_CHARS} characters (kept in the audit log)")
        identity = request.match_info["identity"]
        person = await self.store.person_of(request.match_info["person"])
        if await self.store.person_of(identity) != person:
            return error(409, "not_linked")
        try:
            left = await unlink(self.store, identity)
        except LinkRefused as refused:
            return error(409, refused.reason.value)
        await self.audit.record(OperatorAction(caller(request).name, Action.UNLINK, person, identity, reason))
        return web.json_response({"person": left.person, "identities": list(left.identities), "unlinked": identity})


def _reason(value: object) -> str | None:
    text = str(value or "").strip()
    return text if 0 < len(text) <= REASON_CHARS else None
