"""The console's first page, and the audit log (admins)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, NavItem, Viewer
from parley.core.privacy.audit import AuditFilter, Pseudonyms, search

NAV = (NavItem("nav_home", "/console", Permission.VIEW_REPORTS),)
AUDIT_NAV = (NavItem("nav_audit", "/console/audit", Permission.READ_AUDIT),)
PER_PAGE = 50
MAX_FIELD = 200


class HomeSection:
    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/console", self.console.page(Permission.VIEW_REPORTS, self.home)),
            web.get("/console/", self.console.page(Permission.VIEW_REPORTS, self.home)),
        ]

    async def home(self, request: web.Request, viewer: Viewer) -> web.Response:
        return self.console.render(request, viewer, "home.html")


class AuditSection:
    """The audit log, filtered by who, what (an action or its prefix: "person.") and the person
    an entry is about (asked by id, matched by pseudonym: parley.core.privacy.audit)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.store = console.accounts.store

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/console/audit", self.console.page(Permission.READ_AUDIT, self.audit))]

    async def audit(self, request: web.Request, viewer: Viewer) -> web.Response:
        q = request.query
        try:
            page = max(1, min(int(q.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        shown = {k: q.get(k, "").strip()[:MAX_FIELD] for k in ("actor", "action", "person")}
        about = await Pseudonyms(self.store).around(shown["person"]) if shown["person"] else frozenset()
        where = AuditFilter(shown["actor"], shown["action"], about=about)
        # One more than a page: is there a next one?
        entries = await search(self.store, where, PER_PAGE + 1, (page - 1) * PER_PAGE)
        return self.console.render(
            request,
            viewer,
            "audit.html",
            entries=entries[:PER_PAGE],
            page=page,
            more=len(entries) > PER_PAGE,
            query=shown,
            paging=urlencode({k: v for k, v in shown.items() if v}),
        )
