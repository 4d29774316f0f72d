"""Leads: a qualified lead becomes a card in the desk channel (with Claim and a follow-up
button) and a signed JSON POST to the CRM webhook, both through the durable outbox.

A lead is ``state["lead"]``: a plain dict (name, company, need, budget, timeline, contact)
filled by the LLM's capture_lead tool or by the qualification flow (parley.core.handoff.qualify).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from parley.core.handoff import card, cases, notes
from parley.core.handoff.budget import read_budget
from parley.core.handoff.cases import Case
from parley.core.handoff.outcome import LeadOutcomes
from parley.core.handoff.routing import LeadRouting
from parley.core.handoff.score import score
from parley.core.handoff.timeline import read_timeline
from parley.core.http.metrics import Metrics
from parley.core.kernel.facts import Fact, Metric
from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.pipeline import Handler
from parley.core.kernel.turn import Turn
from parley.core.storage.store import KeyValueStore

# The lead card's "follow up" button (Scheduler.lead_followup): books a follow-up to the lead's
# conversation and says when, for the card's thread.
Followup = Callable[[Case, Turn], Awaitable[str]]
QUALIFIED = ("need",)  # what a lead needs at least (plus a way to reach the person)


def qualified(lead: dict) -> bool:
    return all(lead.get(k) for k in QUALIFIED) and bool(lead.get("contact") or lead.get("name"))


class Leads:
    def __init__(
        self,
        kv: KeyValueStore,
        metrics: Metrics,
        desk: Address | None,
        webhook: Address | None,
        followup: Followup | None = None,  # None without a scheduler
        transcripts: str = "",  # the console's transcript pages (Desk.transcripts)
        routing: LeadRouting | None = None,  # None: leads are not routed to a rep
        outcomes: LeadOutcomes | None = None,  # keeps each lead for its outcome (won, lost)
    ) -> None:
        self.kv = kv
        self.metrics = metrics
        self.desk = desk
        self.webhook = webhook
        self.followup = followup
        self.transcripts = transcripts
        self.routing = routing
        self.outcomes = outcomes

    async def __call__(self, turn: Turn, call_next: Handler) -> None:
        inbound = turn.inbound
        if inbound is not None and inbound.meta.get("desk_ref", "").startswith("lead:"):
            return await self._from_desk(turn, inbound.meta["desk_ref"])
        await call_next(turn)
        lead = turn.state.get("lead")
        if isinstance(lead, dict) and not lead.get("case") and qualified(lead):
            await self.capture(turn, lead)

    async def capture(self, turn: Turn, lead: dict) -> Case:
        source = turn.profile.get("attribution") or turn.profile.get("campaign") or turn.address.channel
        given = {
            k: str(v)[:500]
            for k, v in lead.items()
            if k in ("name", "company", "need", "budget", "timeline", "contact")
        }
        fields = card.lead_fields(given)  # "ana@..., Ana Ruiz from Hotel Sol" read into its parts
        if not fields.get("name"):
            fields["name"] = turn.inbound.user_name if turn.inbound else ""
        fields["source"] = str(source)
        extra = self._read(turn, fields)
        case = Case.opening("lead", turn, "qualified", lead=fields)
        case.persona = turn.persona.name
        if self.transcripts:
            case.link = self.transcripts + quote(turn.address.conversation, safe="")
        if self.routing is not None:
            routed = await self.routing.route(case.id, case.locale, _country(turn))
            if routed is not None:
                case.routed, case.routed_why = routed.user, routed.why
        await cases.save(self.kv, case)
        if self.outcomes is not None:
            await self.outcomes.opened(turn, case.id, str(source), fields.get("name", ""))
        lead["case"] = case.id
        self.metrics.leads.labels(turn.address.channel, str(source)[:40]).inc()
        turn.facts.append(Fact(Metric.LEADS, detail=str(source)))
        turn.tags["lead"] = case.id
        if self.desk is not None:
            turn.forward(self.desk, card.lead_card(case))
        if self.webhook is not None:
            payload = {
                "event": "lead.created",
                "lead_id": case.id,
                "channel": turn.address.channel,
                "locale": case.locale,
                "created_at": turn.now.isoformat(),
                **fields,
                **extra,
                "rep": case.routed,
            }
            turn.forward(
                self.webhook,
                Reply(text=json.dumps(payload, ensure_ascii=False), kind="system", meta={"event": "lead.created"}),
            )
        return case

    def _read(self, turn: Turn, fields: dict[str, str]) -> dict[str, object]:
        """Budget and timeline read from the free answers, and the persona's score: shown on the
        card beside the answers (``fields``, in place) and sent to the CRM as numbers (returned)."""
        today = turn.now.date()
        budget = read_budget(fields.get("budget", ""), turn.pack) if fields.get("budget") else None
        timeline = read_timeline(fields.get("timeline", ""), turn.pack, today) if fields.get("timeline") else None
        extra: dict[str, object] = {}
        if budget is not None:
            fields["budget_read"] = budget.text()
            extra |= {"budget_min": float(budget.low), "budget_max": float(budget.high), "currency": budget.currency}
        if timeline is not None:
            fields["timeline_read"] = timeline.text()
            extra["wanted_by"] = timeline.by.isoformat()
        rules = turn.persona.scoring
        if rules is not None:
            scored = score(fields, budget, timeline, rules, today)
            fields["score"] = scored.text()
            extra |= {"score": scored.points, "hot": scored.hot}
        return extra

    async def _from_desk(self, turn: Turn, ref: str) -> None:
        inbound = turn.inbound
        case = await cases.load(self.kv, ref)
        if case is None:
            turn.system("handoff_relay_closed")
            return
        rep = inbound.user_name or inbound.address.user
        if inbound.kind != "button" and (inbound.meta.get("desk_note") or notes.is_note(inbound.text)):
            await notes.add_note(self.kv, turn, case, rep, inbound.text, typed_here=not inbound.meta.get("desk_note"))
            if self.desk is not None:
                turn.forward(self.desk, card.redraw(case))
            return
        action = inbound.payload.rsplit(":", 1)[-1] if inbound.kind == "button" else ""
        if action == "claim":
            if not case.claim(inbound.address.user, rep, turn.now.timestamp()):
                turn.say(f"Already claimed by {case.holder}.", kind="system")
                return
            await cases.save(self.kv, case)
            turn.say(f"Lead claimed by {rep}.", kind="system")
            if self.desk is not None:
                turn.forward(self.desk, card.redraw(case))
        elif action == "followup":
            if self.followup is None:
                turn.say("Follow-ups are not available (no scheduler).", kind="system")
                return
            when = await self.followup(case, turn)
            turn.say(f"Follow-up scheduled for {when} by {rep}.", kind="system")


def _country(turn: Turn) -> str:
    """Where the lead is (ISO 3166): what the profile or the platform says (Twilio's FromCountry),
    else the region of their language's pack (pt-BR: BR); '' when nothing tells."""
    said = turn.profile.get("country") or (turn.inbound.meta.get("country", "") if turn.inbound else "")
    if said:
        return str(said).upper()
    _, _, region = turn.pack.code.partition("-")
    return region.upper() if len(region) == 2 else ""
