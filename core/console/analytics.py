"""The analytics page: containment, handoffs and waits, CSAT, leads, campaign conversions, LLM
cost, "not sure" answers and the ROI panel per day or week, filtered by channel, locale and
persona, with charts, the knowledge-gap report and a CSV download. Read from the aggregates
(parley.core.analytics), as the admin API's /api/analytics is."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web
from parley.core.analytics.gaps import group
from parley.core.analytics.report import Costs, report
from parley.core.analytics.store import AnalyticsStore
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, NavItem, Viewer
from parley.core.http.admin_analytics import GAP_QUESTIONS, BadQuery, csv_download, parse_query
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock, as_datetime

NAV = (NavItem("nav_analytics", "/console/analytics", Permission.VIEW_REPORTS),)
CHANNELS = ("web", "telegram", "slack", "sms", "whatsapp", "discord")


def presets(today: date, query: dict[str, str]) -> list[tuple[str, str]]:
    """(label, query string) of the ranges a team lead asks for first, keeping the filters:
    the last 7 days, last week (Monday to Sunday) and the last 30 days."""
    monday = today - timedelta(days=today.weekday() + 7)
    ranges = {
        "preset_last_7_days": (today - timedelta(days=6), today),
        "preset_last_week": (monday, monday + timedelta(days=6)),
        "preset_last_30_days": (today - timedelta(days=29), today),
    }
    kept = {k: v for k, v in query.items() if k in ("channel", "locale", "persona", "by")}
    return [(label, urlencode({**kept, "from": a, "to": b})) for label, (a, b) in ranges.items()]


class AnalyticsSection:
    def __init__(
        self,
        console: Console,
        store: AnalyticsStore,
        catalog: LocaleCatalog,
        personas: list[str],
        clock: Clock,
        costs: Costs,
    ) -> None:
        self.console = console
        self.store = store
        self.catalog = catalog
        self.personas = personas
        self.clock = clock
        self.costs = costs

    def routes(self) -> list[web.RouteDef]:
        p = self.console.page
        return [
            web.get("/console/analytics", p(Permission.VIEW_REPORTS, self.show)),
            web.get("/console/analytics.csv", p(Permission.VIEW_REPORTS, self.csv)),
        ]

    async def show(self, request: web.Request, viewer: Viewer) -> web.Response:
        try:
            q = parse_query(request.query, as_datetime(self.clock()).date())
        except BadQuery as exc:
            q = parse_query({}, as_datetime(self.clock()).date())
            error = str(exc)
        else:
            error = ""
        body = await report(self.store, q, self.costs)
        asked = await self.store.questions(q.first.isoformat(), q.last.isoformat(), GAP_QUESTIONS)
        gaps = [g.as_json() for g in group([a for a in asked if q.locale in ("*", a.locale)], limit=20)]
        return self.console.render(
            request,
            viewer,
            "analytics.html",
            status=400 if error else 200,
            error=error,
            q=q,
            report=body,
            gaps=gaps,
            channels=CHANNELS,
            codes=self.catalog.codes,
            personas=self.personas,
            query=request.query_string,
            presets=presets(as_datetime(self.clock()).date(), dict(request.query)),
        )

    async def csv(self, request: web.Request, viewer: Viewer) -> web.Response:
        try:
            q = parse_query(request.query, as_datetime(self.clock()).date())
        except BadQuery as exc:
            return web.Response(status=400, text=str(exc))
        return await csv_download(self.store, q, self.costs, request.query.get("table", ""))
