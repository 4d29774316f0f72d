"""The admin API's analytics routes: the report (JSON or CSV) and the knowledge-gap report.

Query: ``from`` and ``to`` (YYYY-MM-DD, UTC days, inclusive; default the last 7 days),
``channel``, ``locale``, ``persona`` (default: all), ``by`` (``day`` or ``week``). Bad values get
400 with what to fix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta

from aiohttp import web
from parley.core.analytics.gaps import group
from parley.core.analytics.report import MAX_DAYS, Costs, Query, as_csv, leads_csv, report
from parley.core.analytics.store import ALL, AnalyticsStore
from parley.core.console.roles import Permission
from parley.core.http.replies import error
from parley.core.kernel.clock import Clock, as_datetime

Guard = Callable[[Callable, Permission], Callable]  # ApiAuth.guard: a handler and what it needs
Queried = Callable[[web.Request, Query], Awaitable[web.Response]]  # a route once its query parsed
GAP_QUESTIONS = 2000  # the most asked unanswered questions the grouping looks at


class BadQuery(ValueError):
    pass


def parse_query(params, today: date) -> Query:
    try:
        last = date.fromisoformat(params.get("to") or today.isoformat())
        first = date.fromisoformat(params.get("from") or (last - timedelta(days=6)).isoformat())
    except ValueError:
        raise BadQuery("from/to: use dates like 2026-03-01") from None
    if first > last or (last - first).days >= MAX_DAYS:
        raise BadQuery(f"from/to: from must not be after to, and the span at most {MAX_DAYS} days")
    by = params.get("by") or "day"
    if by not in ("day", "week"):
        raise BadQuery("by: day or week")
    dims = {}
    for name in ("channel", "locale", "persona"):
        value = params.get(name) or ALL
        if len(value) > 40 or any(c in value for c in "|:"):
            raise BadQuery(f"{name}: not a {name} name")
        dims[name] = value
    return Query(first, last, by=by, **dims)


async def csv_download(store: AnalyticsStore, q: Query, costs: Costs, table: str = "") -> web.Response:
    """The report's series (or, with ``table=leads``, leads by source and outcome) as a CSV file
    download (the admin API and the console page)."""
    leads = table == "leads"
    name = f"parley-{'leads' if leads else 'analytics'}-{q.first}-{q.last}.csv"
    body = await report(store, q, costs)
    return web.Response(
        text=leads_csv(body) if leads else as_csv(body),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@dataclass
class AnalyticsAPI:
    store: AnalyticsStore
    clock: Clock
    costs: Costs

    def routes(self, g: Guard) -> list[web.RouteDef]:
        see = Permission.VIEW_REPORTS
        return [
            web.get("/api/analytics", g(self._queried(self.show), see)),
            web.get("/api/analytics.csv", g(self._queried(self.csv), see)),
            web.get("/api/analytics/gaps", g(self._queried(self.gaps), see)),
        ]

    def _queried(self, handler: Queried) -> Callable[[web.Request], Awaitable[web.Response]]:
        """``handler`` given the query its request's parameters name; a bad one is 400."""

        async def handle(request: web.Request) -> web.Response:
            try:
                q = parse_query(request.query, as_datetime(self.clock()).date())
            except BadQuery as exc:
                return error(400, str(exc))
            return await handler(request, q)

        return handle

    async def show(self, request: web.Request, q: Query) -> web.Response:
        return web.json_response(await report(self.store, q, self.costs))

    async def csv(self, request: web.Request, q: Query) -> web.Response:
        return await csv_download(self.store, q, self.costs, request.query.get("table", ""))

    async def gaps(self, request: web.Request, q: Query) -> web.Response:
        asked = await self.store.questions(q.first.isoformat(), q.last.isoformat(), GAP_QUESTIONS)
        if q.locale != ALL:
            asked = [a for a in asked if a.locale == q.locale]
        return web.json_response({"gaps": [g.as_json() for g in group(asked)]})
