"""The console's shell: sign-in, sessions, CSRF, roles and the page layout every section shares.

A section (a class built with the ``Console``, giving its ``routes()``; its nav entries are
handed to the Console by build.py) writes handlers as
``async def handler(request, viewer) -> web.StreamResponse`` and mounts them with
``console.page(permission, handler)``: the shell signs the viewer in (or sends them to the
login page), refuses a role without the permission (403), checks the CSRF token and the Origin
of every POST, and ``console.render(request, viewer, "x.html", ...)`` lays the page out in
base.html with the nav the viewer's role may see.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy
from parley.core.console.accounts import Accounts
from parley.core.console.render import Renderer
from parley.core.console.roles import Permission, Principal
from parley.core.console.sessions import COOKIE, Session, Sessions
from parley.core.kernel.door import BadInput
from parley.core.storage.accounts import Account

log = logging.getLogger("parley.console")

STATIC = Path(__file__).parent / "static"
MAX_FORM = 1024 * 1024  # a page's form or a CSV upload (the server refuses bigger bodies too)


@dataclass(frozen=True)
class Viewer:
    """The signed-in user a page is rendered for."""

    principal: Principal
    session: Session
    account: Account

    def can(self, permission: Permission) -> bool:
        return self.principal.can(permission)


@dataclass(frozen=True)
class NavItem:
    label: str  # a key of the packs' [console] table
    href: str
    permission: Permission


PageHandler = Callable[[web.Request, Viewer], Awaitable[web.StreamResponse]]


class Section(Protocol):
    def routes(self) -> list[web.RouteDef]: ...


class Console:
    def __init__(
        self,
        accounts: Accounts,
        sessions: Sessions,
        renderer: Renderer,
        *,
        secure_cookies: bool,
        public_origin: str = "",
        nav: Sequence[NavItem] = (),
    ) -> None:
        self.accounts = accounts
        self.sessions = sessions
        self.renderer = renderer
        self.secure = secure_cookies
        self.public_origin = public_origin
        self.nav = tuple(nav)

    def routes(self) -> list[web.RouteDef]:
        """The shell's own: static files, sign-in and sign-out (sections add theirs)."""
        from parley.core.console.login import login_routes

        return [web.static("/console/static", STATIC, append_version=False), *login_routes(self)]

    # -- what sections use -------------------------------------------------------------------
    def page(self, permission: Permission, handler: PageHandler) -> Callable[[web.Request], Awaitable[Any]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            found = await self.sessions.find(request.cookies.get(COOKIE, ""))
            if found is None:
                if request.method == "GET":
                    raise web.HTTPSeeOther(f"/console/login?next={request.rel_url.path_qs}")
                return self.refuse(request, 401, "session_expired")
            session, account = found
            viewer = Viewer(session.principal(account), session, account)
            if request.method != "GET":
                await self.check_post(request, session.csrf)
            if not viewer.can(permission):
                log.info("console: %s may not %s", viewer.principal.role, permission, extra={"path": request.path})
                return self.render(request, viewer, "error.html", status=403, message="forbidden")
            return await handler(request, viewer)

        return guarded

    def render(self, request: web.Request, viewer: Viewer | None, template: str, status: int = 200, **context: Any):
        nav = [item for item in self.nav if viewer is not None and viewer.can(item.permission)]
        csrf = viewer.session.csrf if viewer else context.pop("csrf", "")
        return self.renderer.page(
            request, template, status, viewer=viewer, nav=nav, csrf=csrf, path=request.path, **context
        )

    def refuse(self, request: web.Request, status: int, message: str) -> web.Response:
        return self.renderer.page(request, "error.html", status, viewer=None, nav=[], csrf="", path="", message=message)

    async def form(self, request: web.Request) -> MultiDictProxy[Any]:
        """The POST's fields (read once; aiohttp keeps them). A body that is not a form (a broken
        multipart, bytes that are not text) is refused at the door: 400 and one log line."""
        try:
            return await request.post()
        except (ValueError, AssertionError, LookupError, HttpProcessingError) as exc:  # aiohttp's parsers
            raise BadInput("malformed_form", f"malformed form: {type(exc).__name__}") from None

    async def audit(self, viewer: Viewer, action: str, target: str = "", detail: str = "") -> None:
        await self.accounts.record(viewer.principal.name, action, target, detail)

    # -- CSRF --------------------------------------------------------------------------------
    async def check_post(self, request: web.Request, expected: str) -> None:
        """A change must come from a console page: a same-origin request carrying the session's
        CSRF token (a form field, or a header for scripts). Refused with 403 otherwise."""
        if request.content_length is not None and request.content_length > MAX_FORM:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_FORM, actual_size=request.content_length)
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.origins(request):
            log.info("console: cross-origin post refused", extra={"path": request.path})
            raise web.HTTPForbidden(text="cross-origin request refused")
        given = request.headers.get("X-CSRF-Token") or str((await self.form(request)).get("csrf", ""))
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.info("console: CSRF token missing or wrong", extra={"path": request.path})
            raise web.HTTPForbidden(text="CSRF token missing or wrong: reload the page and try again")

    def origins(self, request: web.Request) -> set[str]:
        own = f"{request.scheme}://{request.host}"
        public = urlsplit(self.public_origin)
        return {own, f"{public.scheme}://{public.netloc}"} if public.netloc else {own}

    def cookie(self, response: web.StreamResponse, name: str, value: str, max_age: float | None) -> None:
        response.set_cookie(
            name,
            value,
            max_age=int(max_age) if max_age is not None else None,
            path="/console",
            httponly=True,
            secure=self.secure,
            samesite="Lax",
        )
