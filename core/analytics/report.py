"""What the analytics page and API show, computed from aggregate rows (never from conversations):
per day or ISO week, containment, handoffs and waits, CSAT, leads by source, campaign
conversions, LLM tokens and cost, "not sure" answers, and the ROI panel."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from typing import Literal

from parley.core.analytics.store import ALL, AnalyticsStore, Row
from parley.core.kernel.facts import Metric

MAX_DAYS = 400  # a report spans at most this many days (a year and a bit)


@dataclass(frozen=True)
class Query:
    first: date
    last: date
    channel: str = ALL
    locale: str = ALL
    persona: str = ALL
    by: Literal["day", "week"] = "day"


@dataclass(frozen=True)
class Costs:
    human_cost: float = 4.0  # what one conversation handled by a person costs
    per_1k_tokens: float = 0.002  # the model's price per thousand tokens
    currency: str = "USD"


@dataclass
class Period:
    start: str
    conversations: int = 0
    contained: int = 0
    containment: float = 0.0  # contained / conversations
    handoffs: int = 0
    claim_minutes: float | None = None  # average
    first_reply_minutes: float | None = None
    csat: float | None = None  # average 1-5
    csat_answers: int = 0
    leads: int = 0
    leads_won: int = 0  # outcomes decided in the period (a changed decision counts where it stands)
    leads_lost: int = 0
    won_value: float = 0.0  # won leads' value, in the analytics currency
    answers: int = 0
    not_sure: int = 0
    llm_tokens: int = 0
    llm_cost: float = 0.0
    conversions: int = 0
    conversion_value: float = 0.0


def period_of(day: str, by: str) -> str:
    if by == "day":
        return day
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()  # the week's Monday


def fill(rows: list[Row], start: str, costs: Costs) -> Period:
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        sums[r.metric] += r.value
        counts[r.metric] += r.n
    p = Period(start)
    p.conversations = int(sums[Metric.CONVERSATIONS])
    p.contained = max(0, p.conversations - int(sums[Metric.HANDED]))
    p.containment = round(p.contained / p.conversations, 4) if p.conversations else 0.0
    p.handoffs = int(sums[Metric.HANDOFFS])
    if counts[Metric.CLAIM_SECONDS]:
        p.claim_minutes = round(sums[Metric.CLAIM_SECONDS] / counts[Metric.CLAIM_SECONDS] / 60, 2)
    if counts[Metric.FIRST_REPLY_SECONDS]:
        p.first_reply_minutes = round(sums[Metric.FIRST_REPLY_SECONDS] / counts[Metric.FIRST_REPLY_SECONDS] / 60, 2)
    p.csat_answers = counts[Metric.CSAT]
    if p.csat_answers:
        p.csat = round(sums[Metric.CSAT] / p.csat_answers, 2)
    p.leads = int(sums[Metric.LEADS])
    p.leads_won = int(sums[Metric.LEAD_WON])
    p.leads_lost = int(sums[Metric.LEAD_LOST])
    p.won_value = round(sums[Metric.LEAD_VALUE] / 100, 2)
    p.answers = int(sums[Metric.ANSWERS])
    p.not_sure = int(sums[Metric.NOT_SURE])
    p.llm_tokens = int(sums[Metric.LLM_TOKENS])
    p.llm_cost = round(p.llm_tokens / 1000 * costs.per_1k_tokens, 4)
    p.conversions = counts[Metric.CONVERSIONS]
    p.conversion_value = round(sums[Metric.CONVERSIONS] / 100, 2)
    return p


async def report(store: AnalyticsStore, q: Query, costs: Costs) -> dict:
    rows = await store.rows(q.first.isoformat(), q.last.isoformat(), q.channel, q.locale, q.persona)
    by_period: dict[str, list[Row]] = defaultdict(list)
    day = q.first
    while day <= q.last:  # every period appears, empty ones as zeros: a chart without holes
        by_period.setdefault(period_of(day.isoformat(), q.by), [])
        day += timedelta(days=1)
    leads: dict[str, int] = defaultdict(int)
    outcomes: dict[str, dict[str, float]] = defaultdict(lambda: dict.fromkeys(OUTCOME_COLUMNS, 0))
    conversions: dict[str, int] = defaultdict(int)
    for r in rows:
        by_period[period_of(r.day, q.by)].append(r)
        if r.metric == Metric.LEADS:
            leads[r.detail or "-"] += int(r.value)
        if r.metric in OUTCOME_COLUMNS.values():
            outcomes[r.detail or "-"][OUTCOME_KEY[r.metric]] += r.value
        elif r.metric == Metric.CONVERSIONS:
            conversions[r.detail or "-"] += r.n
    series = [fill(rs, start, costs) for start, rs in sorted(by_period.items())]
    total = fill(rows, q.first.isoformat(), costs)
    saved = round(total.contained * costs.human_cost, 2)
    return {
        "query": {
            "from": q.first.isoformat(),
            "to": q.last.isoformat(),
            "channel": q.channel,
            "locale": q.locale,
            "persona": q.persona,
            "by": q.by,
        },
        "series": [asdict(p) for p in series],
        "totals": asdict(total),
        "leads_by_source": dict(sorted(leads.items(), key=lambda kv: -kv[1])),
        "leads_by_outcome": by_outcome(outcomes),
        "conversions_by_campaign": dict(sorted(conversions.items(), key=lambda kv: -kv[1])),
        "roi": {
            "won_value": total.won_value,
            "contained": total.contained,
            "cost_per_human_conversation": costs.human_cost,
            "saved": saved,
            "llm_cost": total.llm_cost,
            "net": round(saved - total.llm_cost, 2),
            "currency": costs.currency,
        },
    }


# leads_by_outcome's columns per source, and the metric each is summed from.
OUTCOME_COLUMNS = {
    "leads": Metric.LEADS,
    "won": Metric.LEAD_WON,
    "lost": Metric.LEAD_LOST,
    "won_value": Metric.LEAD_VALUE,
}
OUTCOME_KEY = {metric: column for column, metric in OUTCOME_COLUMNS.items()}


def by_outcome(outcomes: dict[str, dict[str, float]]) -> list[dict]:
    """Per source, most leads first: leads filed, won, lost, still open (filed minus decided, at
    least 0: a lead filed before the period may be decided in it) and the won value."""
    rows = []
    for source, n in outcomes.items():
        leads, won, lost = int(n["leads"]), int(n["won"]), int(n["lost"])
        value = round(n["won_value"] / 100, 2)
        rows.append(
            {
                "source": source,
                "leads": leads,
                "won": won,
                "lost": lost,
                "open": max(0, leads - won - lost),
                "won_value": value,
            }
        )
    return sorted(rows, key=lambda r: (-r["leads"], -r["won"], r["source"]))


def as_csv(body: dict) -> str:
    out = io.StringIO()
    names = [f.name for f in fields(Period)]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for row in body["series"]:
        writer.writerow({k: "" if row[k] is None else row[k] for k in names})
    return out.getvalue()


def leads_csv(body: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=["source", "leads", "won", "lost", "open", "won_value"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(body["leads_by_outcome"])
    return out.getvalue()
