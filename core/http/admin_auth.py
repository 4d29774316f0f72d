"""Who may call the admin API, and what they may do: a bearer token, either
``PARLEY_ADMIN_TOKEN`` (an admin) or a console user's API token (that user's role), checked
against the ``Permission`` the route names. Every change a call makes (any method but GET) that
succeeds is written to the audit log under the caller's name."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from parley.core.console.accounts import Accounts
from parley.core.console.roles import ADMIN_TOKEN, Permission, Principal
from parley.core.http.auth import bearer, same_token
from parley.core.http.replies import error

log = logging.getLogger("parley.admin")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PRINCIPAL = web.RequestKey("principal", Principal)  # the caller, for handlers that record who asked
AUDITED = web.RequestKey("audited", bool)  # set by a handler that wrote its own audit entry


def caller(request: web.Request) -> Principal:
    """The principal ``ApiAuth.guard`` let in (handlers behind the guard only)."""
    return request[PRINCIPAL]


class ApiAuth:
    def __init__(self, admin_token: str | None, accounts: Accounts | None) -> None:
        self.admin_token = admin_token
        self.accounts = accounts  # None: only PARLEY_ADMIN_TOKEN (no console users)

    async def principal(self, token: str) -> Principal | None:
        if self.admin_token and same_token(token, self.admin_token):
            return ADMIN_TOKEN
        return await self.accounts.principal(token) if self.accounts is not None else None

    def guard(self, handler: Handler, permission: Permission) -> Handler:
        async def check(request: web.Request) -> web.StreamResponse:
            given = bearer(request.headers.get("Authorization", ""))
            if given is None and not self.admin_token:
                # Nothing configured and nothing offered: say what would open it.
                return error(403, "admin API disabled: set PARLEY_ADMIN_TOKEN, or use a console user's API token")
            if given is None:
                log.info("admin: missing bearer token", extra={"path": request.path})
                return error(401, "bearer token required", {"WWW-Authenticate": 'Bearer realm="parley"'})
            who = await self.principal(given)
            if who is None:
                log.info("admin: wrong token", extra={"path": request.path})
                unset = "" if self.admin_token else " (PARLEY_ADMIN_TOKEN is not set: only users' API tokens work)"
                return error(403, "wrong token" + unset)
            if not who.can(permission):
                log.info("admin: %s may not %s", who.role, permission, extra={"path": request.path})
                return error(403, f"the {who.role} role may not {permission.value.replace('_', ' ')}")
            request[PRINCIPAL] = who
            response = await handler(request)
            audited = request.get(AUDITED, False)  # the handler wrote its own entry (privacy requests)
            if request.method != "GET" and response.status < 400 and self.accounts is not None and not audited:
                route = request.match_info.route.resource.canonical if request.match_info.route.resource else ""
                # A path naming a person stays out of the log (it names them by pseudonym only).
                target = route if "{person}" in route else request.path
                await self.accounts.record(who.name, f"api {request.method} {route}", target)
            return response

        return check
