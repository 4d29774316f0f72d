"""``python bot.py leads list|show|set``: leads and their outcome from the command line, on the
store ``PARLEY_STORE_URL`` names, through the same service as the console and the admin API.
Outcomes set here are audited as made by ``cli`` and counted in the analytics at once."""

from __future__ import annotations

import sys
from dataclasses import asdict

from parley.core.analytics.recorder import Recorder
from parley.core.analytics.store import AnalyticsStore
from parley.core.console.render import isotime
from parley.core.handoff.outcome import Decision, LeadOutcomes, OutcomeError
from parley.core.kernel.clock import system_clock
from parley.core.storage.accounts import AuditEntry
from parley.core.storage.leads import LeadRecord, Outcome
from parley.core.storage.store import Store

ACTOR = "cli"


def line(lead: LeadRecord) -> str:
    worth = f" {lead.value:.2f} {lead.currency}" if lead.value is not None else ""
    by = f" (by {lead.set_by}, {isotime(lead.set_at)})" if lead.set_by else ""
    name = lead.name or "-"
    return f"{lead.id}\t{isotime(lead.created)}\t{lead.source}\t{lead.channel}\t{name}\t{lead.outcome}{worth}{by}"


async def leads_cli(
    store: Store,
    analytics: AnalyticsStore,
    currency: str,
    action: str,
    target: str,
    outcome: str,
    value: str | None,
    lead_currency: str,
) -> int:
    """Run one action on an opened ``store``; 0 on success, 2 with a message on stderr."""
    recorder = Recorder(analytics, system_clock)
    outcomes = LeadOutcomes(store, system_clock, currency, recorder.record)
    try:
        if action == "list":
            for lead in await outcomes.list(Outcome(target) if target else None, 0, 200):
                print(line(lead))
            return 0
        if not target:
            raise OutcomeError(f"leads {action} needs a lead id (see: leads list)", "not_found")
        if action == "show":
            lead = await store.lead(target)
            if lead is None:
                raise OutcomeError(f"no lead {target!r}", "not_found")
            for key, held in asdict(lead).items():
                print(f"{key}: {held}")
            return 0
        lead = await outcomes.decide(target, Decision.parse(outcome, value, lead_currency), ACTOR)
        await store.audit(AuditEntry(system_clock(), ACTOR, "lead.outcome", lead.id, lead.outcome))
        await recorder.flush()  # counted before the command exits
        print(line(lead))
    except OutcomeError as exc:
        print(f"parley: leads {action}: {exc}", file=sys.stderr)
        return 2
    except ValueError:
        print(f"parley: leads {action}: {target!r} is not open, won or lost", file=sys.stderr)
        return 2
    return 0
