"""Leads: every qualified lead, newest first, with its source and outcome; admins and agent
leads record the outcome (won with its value, lost, or open again) in place. The same service
as the admin API and ``bot.py leads`` (parley.core.handoff.outcome)."""

from __future__ import annotations

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, NavItem, Viewer
from parley.core.handoff.outcome import Decision, LeadOutcomes, OutcomeError
from parley.core.storage.leads import Outcome

NAV = (NavItem("nav_leads", "/console/leads", Permission.READ_LEADS),)
SHOWN = 50


class LeadsSection:
    def __init__(self, console: Console, outcomes: LeadOutcomes) -> None:
        self.console = console
        self.outcomes = outcomes

    def routes(self) -> list[web.RouteDef]:
        p = self.console.page
        return [
            web.get("/console/leads", p(Permission.READ_LEADS, self.list)),
            web.post("/console/leads/{id}/outcome", p(Permission.DECIDE_LEADS, self.decide)),
        ]

    async def list(self, request: web.Request, viewer: Viewer, status: int = 200, **shown) -> web.Response:
        raw = request.query.get("outcome", "")
        outcome = Outcome(raw) if raw in set(Outcome) else None
        try:
            before = max(0.0, float(request.query.get("before") or 0))
        except ValueError:
            before = 0.0
        rows = await self.outcomes.list(outcome, before, SHOWN)
        older = rows[-1].created if len(rows) == SHOWN else None
        return self.console.render(
            request,
            viewer,
            "leads.html",
            status=status,
            rows=rows,
            outcome=outcome.value if outcome else "",
            outcomes=[o.value for o in Outcome],
            older=older,
            currency=self.outcomes.currency,
            **shown,
        )

    async def decide(self, request: web.Request, viewer: Viewer) -> web.Response:
        lead_id = request.match_info["id"]
        form = await self.console.form(request)
        try:
            decision = Decision.parse(form.get("outcome", ""), form.get("value"), form.get("currency", ""))
            lead = await self.outcomes.decide(lead_id, decision, viewer.principal.name)
        except OutcomeError as exc:
            status = 404 if exc.key == "not_found" else 422
            return await self.list(request, viewer, status=status, error=exc.key)
        detail = lead.outcome + (f" {lead.value:.2f} {lead.currency}" if lead.value is not None else "")
        await self.console.audit(viewer, "lead.outcome", lead_id, detail)
        return await self.list(request, viewer, notice="outcome_saved", saved=lead_id)
