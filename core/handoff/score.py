"""A lead's score from its persona's rules (``[scoring]`` in the persona file, validated at load:
parley.core.i18n.personas.LeadScoring), with the reasons, so a rep sees why a lead is hot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from parley.core.handoff.budget import Budget
from parley.core.handoff.timeline import Timeline
from parley.core.i18n.personas import LeadScoring


@dataclass(frozen=True)
class Score:
    points: int  # 0-100
    hot: bool
    why: tuple[str, ...]  # "budget 10,000 EUR +25", "contact +20"

    def text(self) -> str:
        reasons = ", ".join(self.why) or "nothing scored yet"
        return f"{self.points}/100{' · hot' if self.hot else ''} ({reasons})"


def score(
    lead: dict[str, str], budget: Budget | None, timeline: Timeline | None, rules: LeadScoring, today: date
) -> Score:
    why: list[str] = []
    points = 0
    for key in ("contact", "company", "name"):
        earned = getattr(rules, key)
        if earned and lead.get(key):
            points += earned
            why.append(f"{key} +{earned}")
    if budget is not None:
        bands = rules.budget.get(budget.currency) or rules.budget.get("*") or []
        reached = [b for b in bands if budget.amount >= b.at_least]
        if reached:
            points += reached[-1].points
            why.append(f"budget {budget.text()} +{reached[-1].points}")
    if timeline is not None:
        days = timeline.days(today)
        band = next((s for s in rules.timeline if days <= s.within_days), None)
        if band is not None:
            points += band.points
            why.append(f"wanted {timeline.label} +{band.points}")
    points = min(points, 100)
    return Score(points, points >= rules.hot, tuple(why))
