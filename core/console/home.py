"""The console's first page, and the audit log (admins)."""

from __future__ import annotations

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, NavItem, Viewer

NAV = (NavItem("nav_home", "/console", Permission.VIEW_REPORTS),)
AUDIT_NAV = (NavItem("nav_audit", "/console/audit", Permission.READ_AUDIT),)
PER_PAGE = 50


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
    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/console/audit", self.console.page(Permission.READ_AUDIT, self.audit))]

    async def audit(self, request: web.Request, viewer: Viewer) -> web.Response:
        try:
            page = max(1, min(int(request.query.get("page", "1")), 100_000))
        except ValueError:
            page = 1
        # One more than a page: is there a next one?
        entries = await self.console.accounts.store.audit_log(PER_PAGE + 1, (page - 1) * PER_PAGE)
        return self.console.render(
            request, viewer, "audit.html", entries=entries[:PER_PAGE], page=page, more=len(entries) > PER_PAGE
        )
