"""Signing in and out of the console.

The login form carries its own CSRF token (a cookie and a hidden field that must match: there is
no session yet to hold one), so another site cannot sign a browser in to an account of its
choosing. Attempts are counted before the password is checked, per client address and per user
name, so guessing is slow and a flood of attempts never buys a flood of Argon2 hashes.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from parley.core.console.sessions import COOKIE

if TYPE_CHECKING:
    from parley.core.console.shell import Console

log = logging.getLogger("parley.console")

LOGIN_COOKIE = "parley_console_login"


@dataclass(frozen=True)
class Throttle:
    per_address: int = 20
    per_user: int = 10
    window: float = 15 * 60.0


def safe_next(target: str) -> str:
    """Only a console path: ``next=//evil.example`` or ``next=https://...`` must not redirect away."""
    if target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console"


def login_routes(console: Console, throttle: Throttle = Throttle()) -> list[web.RouteDef]:
    async def show(request: web.Request, error: str = "", status: int = 200, username: str = "") -> web.Response:
        token = secrets.token_urlsafe(24)
        response = console.render(
            request,
            None,
            "login.html",
            status=status,
            csrf=token,
            error=error,
            next=safe_next(request.query.get("next", "/console")),
            username=username,
        )
        console.cookie(response, LOGIN_COOKIE, token, None)
        return response

    async def form(request: web.Request) -> web.Response:
        if COOKIE in request.cookies and await console.sessions.find(request.cookies[COOKIE]):
            raise web.HTTPSeeOther(safe_next(request.query.get("next", "/console")))
        return await show(request)

    async def submit(request: web.Request) -> web.StreamResponse:
        await console.check_post(request, request.cookies.get(LOGIN_COOKIE, ""))
        data = await console.form(request)
        name, password = str(data.get("username", "")).strip().lower()[:64], str(data.get("password", ""))
        address = request.remote or "unknown"
        by_address = await console.accounts.store.hits(f"login:ip:{address}", throttle.window)
        by_user = await console.accounts.store.hits(f"login:user:{name}", throttle.window)
        if by_address > throttle.per_address or by_user > throttle.per_user:
            log.info("console: login rate limited", extra={"status": 429})
            return await show(request, "login_throttled", status=429, username=name)
        account = await console.accounts.login(name, password)
        if account is None:
            log.info("console: login failed", extra={"status": 401})
            return await show(request, "login_failed", status=401, username=name)
        secret, _ = await console.sessions.open(account)
        await console.accounts.record(account.name, "session.login", account.name)
        response = web.HTTPSeeOther(safe_next(str(data.get("next", "/console"))))
        console.cookie(response, COOKIE, secret, console.sessions.ttl)
        response.del_cookie(LOGIN_COOKIE, path="/console")
        raise response

    async def logout(request: web.Request) -> web.StreamResponse:
        secret = request.cookies.get(COOKIE, "")
        found = await console.sessions.find(secret)
        if found is not None:
            session, account = found
            await console.check_post(request, session.csrf)
            await console.sessions.close(secret)
            await console.accounts.record(account.name, "session.logout", account.name)
        response = web.HTTPSeeOther("/console/login")
        response.del_cookie(COOKIE, path="/console")
        raise response

    return [
        web.get("/console/login", form),
        web.post("/console/login", submit),
        web.post("/console/logout", logout),
    ]
