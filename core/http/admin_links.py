"""The admin API's linking routes: an operator lists, links and unlinks a person's identities,
always with a reason, which the audit log keeps with the person and the identity named by their
pseudonyms (core/linking/operator.py).

    GET    /api/people/{person}/identities
    POST   /api/people/{person}/identities              {"identity": "whatsapp:+49...", "reason": "..."}
    DELETE /api/people/{person}/identities/{identity}   {"reason": "..."}  (or ?reason=)

A person is named by any of their identities. Refusals are 409 with a reason code (``same``,
``linked_elsewhere``, ``not_linked``, ``busy``); a malformed identity or a missing reason is 400.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.http.admin_auth import AUDITED, caller
from parley.core.http.replies import error, json_body
from parley.core.linking.links import LinkRefused
from parley.core.linking.operator import IDENTITY, OperatorLinks, required_reason
from parley.core.privacy.audit import Operator, Via

log = logging.getLogger("parley.admin")
Guard = Callable[[Callable, Permission], Callable]
NO_REASON = "reason: required, 1-500 characters on one line (kept in the audit log)"


@dataclass
class LinkAPI:
    links: OperatorLinks

    def routes(self, g: Guard) -> list[web.RouteDef]:
        see, edit = Permission.READ_PEOPLE, Permission.EDIT_PEOPLE
        return [
            web.get("/api/people/{person}/identities", g(self.identities, see)),
            web.post("/api/people/{person}/identities", g(self.link, edit)),
            web.delete("/api/people/{person}/identities/{identity}", g(self.unlink, edit)),
        ]

    async def identities(self, request: web.Request) -> web.Response:
        store = self.links.store
        person = await store.person_of(request.match_info["person"])
        return web.json_response({"person": person, "identities": await store.identities(person) or [person]})

    async def link(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        body = body if isinstance(body, dict) else {}
        identity, reason = str(body.get("identity", "")), required_reason(body.get("reason"))
        if not IDENTITY.fullmatch(identity):
            return error(400, "identity: channel:id, like whatsapp:+4915100000001 (Address.person)")
        if reason is None:
            return error(400, NO_REASON)
        by = Operator(caller(request).name, Via.API, reason)
        try:
            linked = await self.links.link(request.match_info["person"], identity, by)
        except LinkRefused as refused:
            return error(409, refused.reason.value)
        request[AUDITED] = True
        log.info("identities linked by an operator", extra={"identities": len(linked.identities)})
        return web.json_response({"person": linked.person, "identities": list(linked.identities)})

    async def unlink(self, request: web.Request) -> web.Response:
        body = await json_body(request) if request.can_read_body else {}
        body = body if isinstance(body, dict) else {}
        reason = required_reason(body.get("reason", request.query.get("reason")))
        if reason is None:
            return error(400, NO_REASON)
        identity = request.match_info["identity"]
        by = Operator(caller(request).name, Via.API, reason)
        try:
            left = await self.links.unlink(request.match_info["person"], identity, by)
        except LinkRefused as refused:
            return error(409, refused.reason.value)
        request[AUDITED] = True
        return web.json_response({"person": left.person, "identities": list(left.identities), "unlinked": identity})
