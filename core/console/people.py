"""People: search the index (name, handle, tag, locale, channel), a person's profile, tags and
consent, their conversations; tag and untag (any case), export and erase. Every change and every
export is in the audit log."""

from __future__ import annotations

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, NavItem, Viewer
from parley.core.http.replies import export_download
from parley.core.linking.channels import consent_of as channel_consent
from parley.core.privacy.audit import Action, BadReason, Operator, Via, clean_reason
from parley.core.privacy.subject import Busy, Subject, retag
from parley.core.schedule.people_search import PeopleQuery
from parley.core.schedule.store import ScheduleStore
from parley.core.storage.store import Store

NAV = (NavItem("nav_people", "/console/people", Permission.READ_PEOPLE),)
SHOWN = 50
MAX_FIELD = 200  # a query field; longer is not a search


class PeopleSection:
    def __init__(self, console: Console, store: Store, sched: ScheduleStore, subject: Subject) -> None:
        self.console = console
        self.store = store
        self.sched = sched
        self.subject = subject  # export and erase, each audited with the viewer and their reason

    def routes(self) -> list[web.RouteDef]:
        p, P = self.console.page, Permission
        return [
            web.get("/console/people", p(P.READ_PEOPLE, self.search)),
            web.get("/console/people/{person}", p(P.READ_PEOPLE, self.show)),
            web.post("/console/people/{person}/tags", p(P.EDIT_PEOPLE, self.tag)),
            web.post("/console/people/{person}/untag", p(P.EDIT_PEOPLE, self.untag)),
            web.get("/console/people/{person}/export", p(P.EXPORT_PEOPLE, self.export)),
            web.post("/console/people/{person}/erase", p(P.ERASE_PEOPLE, self.erase)),
        ]

    async def search(self, request: web.Request, viewer: Viewer, **shown) -> web.Response:
        q = {k: request.query.get(k, "")[:MAX_FIELD] for k in ("q", "tag", "locale", "channel")}
        query = PeopleQuery(q["q"], q["tag"], q["locale"], q["channel"])
        found = await self.sched.find_people(query, SHOWN)
        return self.console.render(
            request, viewer, "people.html", people=found, query=q, searched=not query.empty, shown=SHOWN, **shown
        )

    async def show(self, request: web.Request, viewer: Viewer, status: int = 200, **shown) -> web.Response:
        person = request.match_info["person"]
        entry = await self.sched.person(person)
        # A linked identity's profile and conversations are its person's (core/linking).
        owner = await self.store.person_of(person)
        held = await self.store.export_person(owner)
        if entry is None and not held.get("profile") and not held.get("conversations"):
            return self.console.render(request, viewer, "error.html", status=404, message="not_found")
        conversations = [
            {
                "id": cid,
                "turns": len(state.get("history", [])),
                "last": (state.get("history") or [{}])[-1].get("at", ""),
            }
            for cid, state in held.get("conversations", {}).items()
        ]
        profile = held.get("profile", {})
        identities = await self.store.identities(person)  # this page's identity first
        # Consent is per channel identity: one record (and one change form) for each.
        consents = []
        for identity in identities:
            indexed = entry if identity == person else await self.sched.person(identity)
            channel = identity.split(":", 1)[0]
            consents.append({"identity": identity, "channel": channel, **consent_of(indexed, profile, identity)})
        return self.console.render(
            request,
            viewer,
            "person.html",
            status=status,
            person=person,
            entry=entry,
            profile=profile,
            consents=consents,
            identities=identities,
            conversations=conversations,
            **shown,
        )

    async def tag(self, request: web.Request, viewer: Viewer) -> web.Response:
        return await self._retag(request, viewer, on=True)

    async def untag(self, request: web.Request, viewer: Viewer) -> web.Response:
        return await self._retag(request, viewer, on=False)

    async def _retag(self, request: web.Request, viewer: Viewer, on: bool) -> web.Response:
        person = request.match_info["person"]
        tag = str((await self.console.form(request)).get("tag", "")).strip()[:64]
        if not tag:
            return await self.show(request, viewer, status=422, error="tag_empty")
        await retag(self.store, self.sched, person, tag, on)
        action = Action.TAG if on else Action.UNTAG
        await self.subject.audit.record(Operator(viewer.principal.name, Via.CONSOLE), action, person, tag)
        return await self.show(request, viewer, notice="tagged" if on else "untagged")

    async def export(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        person = request.match_info["person"]
        try:
            by = Operator(viewer.principal.name, Via.CONSOLE, clean_reason(request.query.get("reason")))
        except BadReason:
            return await self.show(request, viewer, status=422, error="reason_bad")
        body = await self.subject.export(person, by)
        if body is None:
            return self.console.render(request, viewer, "error.html", status=404, message="not_found")
        return export_download(person, body)

    async def erase(self, request: web.Request, viewer: Viewer) -> web.Response:
        person = request.match_info["person"]
        try:
            reason = clean_reason(str((await self.console.form(request)).get("reason", "")))
        except BadReason:
            return await self.show(request, viewer, status=422, error="reason_bad")
        try:
            erased = await self.subject.erase(person, Operator(viewer.principal.name, Via.CONSOLE, reason))
        except Busy:
            return await self.show(request, viewer, status=409, error="erase_busy")
        if erased is None:
            return self.console.render(request, viewer, "error.html", status=404, message="not_found")
        return await self.search(request, viewer, notice="erased")


def consent_of(entry, profile: dict, identity: str) -> dict[str, object]:
    """Marketing consent on this identity's channel (True, False: opted out, None: never asked),
    its last change (when, how) and the changes before it, newest first."""
    record = channel_consent(profile, identity)
    value = entry.consent if entry is not None else record.get("marketing")
    history = [h for h in record.get("history", []) if isinstance(h, dict)]
    return {"value": value, "at": record.get("at", ""), "source": record.get("source", ""), "history": history[::-1]}
