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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.http.admin_auth import AUDITED, caller
from parley.core.http.replies import error, json_body
from parley.core.linking.links import Linked, LinkRefused
from parley.core.linking.operator import IDENTITY, OperatorLinks, required_reason
from parley.core.privacy.audit import Operator, Via

log = logging.getLogger("parley.admin")
Guard = Callable[[Callable, Permission], Callable]
Change = Callable[[str, Operator], Awaitable[Linked]]  # (the person named in the path, the operator)
LINKED = "identities linked by an operator"
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
        body = await _fields(request)
        identity = str(body.get("identity", ""))
        if not IDENTITY.fullmatch(identity):
            return error(400, "identity: channel:id, like whatsapp:+4915100000001 (Address.person)")
        return await self._change(
            request, body.get("reason"), lambda person, by: self.links.link(person, identity, by), said=LINKED
        )

    async def unlink(self, request: web.Request) -> web.Response:
        body = await _fields(request)
        identity = request.match_info["identity"]
        reason = body.get("reason", request.query.get("reason"))
        return await self._change(
            request, reason, lambda person, by: self.links.unlink(person, identity, by), unlinked=identity
        )

    async def _change(
        self, request: web.Request, reason: object, change: Change, said: str = "", **more: str
    ) -> web.Response:
        """The steps a link and an unlink share: the reason checked, the change made in the
        caller's name (OperatorLinks writes the audit record), a refusal as 409 by its code."""
        kept = required_reason(reason)
        if kept is None:
            return error(400, NO_REASON)
        by = Operator(caller(request).name, Via.API, kept)
        try:
            done = await change(request.match_info["person"], by)
        except LinkRefused as refused:
            return error(409, refused.reason.value)
        request[AUDITED] = True
        if said:
            log.info(said, extra={"identities": len(done.identities)})
        return web.json_response({"person": done.person, "identities": list(done.identities), **more})


async def _fields(request: web.Request) -> dict[str, Any]:
    """The body's JSON object; {} without a body or for JSON that is not an object (the checks
    then say what is missing)."""
    body = await json_body(request) if request.can_read_body else {}
    return body if isinstance(body, dict) else {}
