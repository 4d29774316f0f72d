"""The admin API's consent route: an operator opts a person in or out of marketing on one of
their channels, with a reason the audit log keeps (core/privacy/consent.py).

    POST /api/people/{person}/consent   {"channel": "sms", "consent": "opt_out", "reason": "asked by phone"}

``channel`` is a channel name (``sms``, ``whatsapp``...) when the person has one identity there,
else the identity itself. Answers: 200 with the change; 404 when nothing is held about the person;
422 for a channel not theirs, a value other than ``opt_in``/``opt_out`` or a missing reason; 409
when their profile kept changing; 400 for a body that is not JSON or a path that is no person id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.http.admin_auth import AUDITED, caller
from parley.core.http.admin_privacy import person_id
from parley.core.http.replies import error, json_body
from parley.core.kernel.door import BadInput
from parley.core.privacy.audit import BadReason, Operator, Via, clean_reason
from parley.core.privacy.consent import ConsentChanges, ConsentRefused, Refused

log = logging.getLogger("parley.admin")
Guard = Callable[[Callable, Permission], Callable]
VALUES = {"opt_in": True, "opt_out": False}
STATUS = {
    Refused.UNKNOWN_PERSON: (404, "no data held about this person"),
    Refused.UNKNOWN_CHANNEL: (422, "channel: not one of this person's channels (GET .../identities lists them)"),
    Refused.AMBIGUOUS: (422, "channel: this person has several identities there; name the identity"),
    Refused.BUSY: (409, "this person's profile kept changing; try again"),
}


@dataclass
class ConsentAPI:
    changes: ConsentChanges

    def routes(self, g: Guard) -> list[web.RouteDef]:
        return [web.post("/api/people/{person}/consent", g(self.change, Permission.EDIT_PEOPLE))]

    async def change(self, request: web.Request) -> web.Response:
        try:
            person = person_id(request)
            body = await json_body(request)
        except BadInput as exc:
            return refuse(request, 400, str(exc))
        body = body if isinstance(body, dict) else {}
        channel, value = body.get("channel"), body.get("consent")
        if not isinstance(channel, str) or not 0 < len(channel) <= 300:
            return refuse(request, 422, "channel: required, a channel name (sms) or one of the person's identities")
        if value not in VALUES:
            return refuse(request, 422, "consent: opt_in or opt_out")
        try:
            reason = clean_reason(body.get("reason"))
        except BadReason as exc:
            return refuse(request, 422, f"reason: {exc}")
        if not reason:
            return refuse(request, 422, "reason: required (kept in the audit log)")
        by = Operator(caller(request).name, Via.API, reason)
        try:
            changed = await self.changes.change(person, channel, VALUES[value], by)
        except ConsentRefused as refused:
            return refuse(request, *STATUS[refused.reason])
        request[AUDITED] = True
        log.info("consent changed by an operator", extra={"channel": changed.identity.split(":", 1)[0]})
        return web.json_response(asdict(changed))


def refuse(request: web.Request, status: int, message: str) -> web.Response:
    log.info("admin: consent change refused (%s)", message.split(":", 1)[0], extra={"status": status})
    return error(status, message)
