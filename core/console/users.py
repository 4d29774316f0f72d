"""Users, roles and API tokens: ``/console/users`` for admins, ``/console/account`` for everyone's
own password and tokens. A new token's secret is in the one response that creates it, never
stored or shown again."""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web
from parley.core.console.accounts import AccountError
from parley.core.console.passwords import PasswordError
from parley.core.console.roles import Permission, Role
from parley.core.console.shell import Console, NavItem, Viewer

NAV = (
    NavItem("nav_users", "/console/users", Permission.MANAGE_USERS),
    NavItem("nav_account", "/console/account", Permission.VIEW_REPORTS),
)


class UsersSection:
    def __init__(self, console: Console) -> None:
        self.console = console

    def routes(self) -> list[web.RouteDef]:
        admin, own = Permission.MANAGE_USERS, Permission.VIEW_REPORTS
        p = self.console.page
        return [
            web.get("/console/users", p(admin, self.list)),
            web.post("/console/users", p(admin, self.add)),
            web.post("/console/users/{name}/role", p(admin, self.role)),
            web.post("/console/users/reset", p(admin, self.reset)),
            web.post("/console/users/{name}/remove", p(admin, self.remove)),
            web.get("/console/account", p(own, self.account)),
            web.post("/console/account/password", p(own, self.password)),
            web.post("/console/account/tokens", p(own, self.create_token)),
            web.post("/console/account/language", p(own, self.language)),
            web.post("/console/account/tokens/{id}/revoke", p(own, self.revoke_token)),
        ]

    # -- admins ------------------------------------------------------------------------------
    async def list(self, request: web.Request, viewer: Viewer, **shown) -> web.Response:
        users = await self.console.accounts.store.accounts()
        return self.console.render(request, viewer, "users.html", users=users, roles=list(Role), **shown)

    async def add(self, request: web.Request, viewer: Viewer) -> web.Response:
        form = await self.console.form(request)
        try:
            role = Role(str(form.get("role", "")))
            name = str(form.get("username", ""))
            await self.console.accounts.add(viewer.principal.name, name, role, str(form.get("password", "")))
        except (AccountError, PasswordError, ValueError) as exc:
            return await self.list(request, viewer, error=str(exc), status=422)
        return await self.list(request, viewer, notice="user_added")

    async def role(self, request: web.Request, viewer: Viewer) -> web.Response:
        form = await self.console.form(request)
        try:
            role = Role(str(form.get("role", "")))
            await self.console.accounts.set_role(viewer.principal.name, request.match_info["name"], role)
        except (AccountError, ValueError) as exc:
            return await self.list(request, viewer, error=str(exc), status=422)
        return await self.list(request, viewer, notice="role_changed")

    async def reset(self, request: web.Request, viewer: Viewer) -> web.Response:
        form = await self.console.form(request)
        try:
            await self.console.accounts.set_password(
                viewer.principal.name, str(form.get("username", "")), str(form.get("password", ""))
            )
        except (AccountError, PasswordError) as exc:
            return await self.list(request, viewer, error=str(exc), status=422)
        return await self.list(request, viewer, notice="password_changed")

    async def remove(self, request: web.Request, viewer: Viewer) -> web.Response:
        try:
            await self.console.accounts.remove(viewer.principal.name, request.match_info["name"])
        except AccountError as exc:
            return await self.list(request, viewer, error=str(exc), status=422)
        return await self.list(request, viewer, notice="user_removed")

    # -- everyone's own ----------------------------------------------------------------------
    async def account(self, request: web.Request, viewer: Viewer, status: int = 200, **shown) -> web.Response:
        tokens = await self.console.accounts.store.api_tokens(viewer.account.name)
        languages = self.console.renderer.languages()
        return self.console.render(
            request, viewer, "account.html", status=status, tokens=tokens, languages=languages, **shown
        )

    async def language(self, request: web.Request, viewer: Viewer) -> web.Response:
        code = str((await self.console.form(request)).get("language", ""))
        if code and code not in {c for c, _ in self.console.renderer.languages()}:
            return await self.account(request, viewer, status=422, error="not_found")
        name = viewer.account.name
        await self.console.accounts.set_language(name, name, code)
        # This very page is answered in the new language.
        now = replace(viewer, account=replace(viewer.account, language=code))
        return await self.account(request, now, notice="language_saved")

    async def password(self, request: web.Request, viewer: Viewer) -> web.StreamResponse:
        form = await self.console.form(request)
        name = viewer.account.name
        if await self.console.accounts.login(name, str(form.get("current", ""))) is None:
            return await self.account(request, viewer, status=422, error="wrong_password")
        try:
            await self.console.accounts.set_password(name, name, str(form.get("password", "")))
        except PasswordError as exc:
            return await self.account(request, viewer, status=422, error=str(exc))
        # The change ended every session of this user, this one too: sign in again.
        raise web.HTTPSeeOther("/console/login")

    async def create_token(self, request: web.Request, viewer: Viewer) -> web.Response:
        form = await self.console.form(request)
        name = viewer.account.name
        secret, token = await self.console.accounts.create_token(name, name, str(form.get("label", "")))
        return await self.account(request, viewer, new_token=secret, notice="token_created")

    async def revoke_token(self, request: web.Request, viewer: Viewer) -> web.Response:
        name = viewer.account.name
        await self.console.accounts.revoke_token(name, name, request.match_info["id"])
        return await self.account(request, viewer, notice="token_revoked")
