"""The person page's changes that need a reason: link another identity to the person, unlink
one, opt them in or out of marketing on one channel. Each goes through the same code as the
admin API (core/linking/operator.py, core/privacy/consent.py), so it is audited the same way
(by pseudonym, with the viewer's name, ``via: console`` and the reason), and each answers on the
person page: a notice, or the refusal's message with 409 or 422 and nothing changed.
"""

from __future__ import annotations

from aiohttp import web
from parley.core.console.people import PeopleSection
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, Viewer
from parley.core.linking.links import LinkRefused, Refusal
from parley.core.linking.operator import IDENTITY, OperatorLinks, required_reason
from parley.core.privacy.audit import Operator, Via
from parley.core.privacy.consent import ConsentChanges, ConsentRefused, Refused

LINK_REFUSED = {
    Refusal.SAME: "identity_same",
    Refusal.ELSEWHERE: "identity_elsewhere",
    Refusal.NOT_LINKED: "identity_not_linked",
    Refusal.BUSY: "identity_busy",
}
CONSENT_REFUSED = {
    Refused.UNKNOWN_CHANNEL: "consent_channel_bad",
    Refused.AMBIGUOUS: "consent_channel_bad",
    Refused.BUSY: "identity_busy",
}
VALUES = {"opt_in": True, "opt_out": False}


class PersonChanges:
    def __init__(self, console: Console, people: PeopleSection, links: OperatorLinks, consent: ConsentChanges) -> None:
        self.console = console
        self.people = people  # renders the person page after each change
        self.links = links
        self.consent = consent

    def routes(self) -> list[web.RouteDef]:
        p, edit = self.console.page, Permission.EDIT_PEOPLE
        return [
            web.post("/console/people/{person}/link", p(edit, self.link)),
            web.post("/console/people/{person}/unlink", p(edit, self.unlink)),
            web.post("/console/people/{person}/consent", p(edit, self.change_consent)),
        ]

    async def _operator(self, request: web.Request, viewer: Viewer) -> tuple[dict[str, str], Operator | None]:
        form = {k: str(v) for k, v in (await self.console.form(request)).items()}
        reason = required_reason(form.get("reason"))
        return form, None if reason is None else Operator(viewer.principal.name, Via.CONSOLE, reason)

    async def link(self, request: web.Request, viewer: Viewer) -> web.Response:
        form, by = await self._operator(request, viewer)
        identity = form.get("identity", "").strip()
        if not IDENTITY.fullmatch(identity):
            return await self.people.show(request, viewer, status=422, error="identity_bad")
        if by is None:
            return await self.people.show(request, viewer, status=422, error="reason_required")
        try:
            await self.links.link(request.match_info["person"], identity, by)
        except LinkRefused as refused:
            return await self.people.show(request, viewer, status=409, error=LINK_REFUSED[refused.reason])
        return await self.people.show(request, viewer, notice="identity_linked")

    async def unlink(self, request: web.Request, viewer: Viewer) -> web.Response:
        form, by = await self._operator(request, viewer)
        if by is None:
            return await self.people.show(request, viewer, status=422, error="reason_required")
        try:
            await self.links.unlink(request.match_info["person"], form.get("identity", ""), by)
        except LinkRefused as refused:
            return await self.people.show(request, viewer, status=409, error=LINK_REFUSED[refused.reason])
        return await self.people.show(request, viewer, notice="identity_unlinked")

    async def change_consent(self, request: web.Request, viewer: Viewer) -> web.Response:
        form, by = await self._operator(request, viewer)
        value = VALUES.get(form.get("consent", ""))
        if value is None:
            return await self.people.show(request, viewer, status=422, error="consent_value_bad")
        if by is None:
            return await self.people.show(request, viewer, status=422, error="reason_required")
        try:
            await self.consent.change(request.match_info["person"], form.get("identity", ""), value, by)
        except ConsentRefused as refused:
            if refused.reason is Refused.UNKNOWN_PERSON:
                return self.console.render(request, viewer, "error.html", status=404, message="not_found")
            status = 409 if refused.reason is Refused.BUSY else 422
            return await self.people.show(request, viewer, status=status, error=CONSENT_REFUSED[refused.reason])
        return await self.people.show(request, viewer, notice="consent_changed")
