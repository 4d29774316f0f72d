"""A lead's outcome (open, won, lost, with what a won deal is worth): one small typed service
that the console, the admin API, ``bot.py leads`` and later the desk all call.

Every lead the leads middleware files is kept as a ``LeadRecord`` (the store's ``LeadStore``
seam). Deciding an outcome replaces the record (who decided it, when) and counts it in the
analytics: ``LEAD_WON`` / ``LEAD_LOST`` by source, and the won value in the analytics currency.
Changing a decision counts the old one out on the day of the change, so any report spanning
both days shows the lead once, as it stands.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from parley.core.analytics.store import ALL
from parley.core.kernel.clock import Clock
from parley.core.kernel.facts import Fact, Metric
from parley.core.kernel.turn import Turn
from parley.core.storage.leads import LeadRecord, LeadStore, Outcome

Record = Callable[[tuple[str, str, str], list[Fact], float], None]  # Recorder.record
CURRENCY = re.compile(r"[A-Z]{3}")
MAX_VALUE = 1e12


def number(text: str) -> float:
    """A typed amount: "1200", "99.90", "99,90", "1,200", "1.200,50", "1 200"."""
    s = re.sub(r"[\s'\u00a0\u202f]", "", text)
    if "," in s and "." in s:  # the last one is the decimal point
        s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+", s):
        s = s.replace(",", "")
    else:
        s = s.replace(",", ".")
    return float(s)


class OutcomeError(ValueError):
    """A refused outcome, with what to fix: the message for the API and the CLI, ``key`` for
    the console's words (locale packs, [console])."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


class UnknownLead(OutcomeError):
    def __init__(self, lead_id: str) -> None:
        super().__init__(f"no lead {lead_id!r}", "not_found")


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    value: float | None = None  # only for WON
    currency: str = ""

    @classmethod
    def parse(cls, outcome: object, value: object = None, currency: object = "") -> Decision:
        """From a form, a JSON body or the command line; raises OutcomeError with what to fix."""
        try:
            state = Outcome(str(outcome).strip().lower())
        except ValueError:
            raise OutcomeError("outcome must be open, won or lost", "outcome_bad") from None
        amount: float | None = None
        if value not in (None, "") and state is Outcome.WON:
            try:
                amount = number(value) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise OutcomeError("value must be a number, like 1200 or 99.90", "value_bad") from None
            if not math.isfinite(amount) or not 0 <= amount <= MAX_VALUE:
                raise OutcomeError("value must be between 0 and 1,000,000,000,000", "value_bad")
        code = str(currency or "").strip().upper()
        if code and not CURRENCY.fullmatch(code):
            raise OutcomeError("currency must be a three-letter code, like USD or EUR", "currency_bad")
        return cls(state, round(amount, 2) if amount is not None else None, code)


class LeadOutcomes:
    def __init__(self, store: LeadStore, clock: Clock, currency: str, record: Record | None = None) -> None:
        self.store = store
        self.clock = clock
        self.currency = currency.upper()  # the analytics currency: won values in it are summed
        self.record = record

    async def opened(self, turn: Turn, case_id: str, source: str, name: str) -> LeadRecord:
        """Keep a lead the leads middleware just filed (open until someone decides)."""
        address = turn.address
        lead = LeadRecord(
            case_id,
            address.person,
            address.conversation,
            source,
            address.channel,
            turn.pack.code,
            turn.persona.id,
            name[:200],
            turn.now.timestamp(),
        )
        await self.store.put_lead(lead)
        return lead

    async def decide(self, lead_id: str, decision: Decision, by: str) -> LeadRecord:
        old = await self.store.lead(lead_id)
        if old is None:
            raise UnknownLead(lead_id)
        currency = decision.currency or old.currency or self.currency
        value = decision.value if decision.outcome is Outcome.WON else None
        new = old.decided(decision.outcome, value, currency if value is not None else "", by, self.clock())
        await self.store.put_lead(new)
        if self.record is not None and (old.outcome, old.value, old.currency) != (new.outcome, new.value, new.currency):
            self.record((old.channel, old.locale or ALL, old.persona or ALL), self._facts(old, new), new.set_at)
        return new

    def _facts(self, old: LeadRecord, new: LeadRecord) -> list[Fact]:
        return [*self._counted(old, -1), *self._counted(new, +1)]

    def _counted(self, lead: LeadRecord, sign: int) -> list[Fact]:
        metric = {Outcome.WON: Metric.LEAD_WON, Outcome.LOST: Metric.LEAD_LOST}.get(lead.state)
        if metric is None:
            return []
        facts = [Fact(metric, sign, lead.source)]
        if lead.state is Outcome.WON and lead.value is not None and lead.currency == self.currency:
            facts.append(Fact(Metric.LEAD_VALUE, sign * round(lead.value * 100), lead.source))
        return facts

    async def list(self, outcome: Outcome | None, before: float = 0.0, limit: int = 50) -> list[LeadRecord]:
        return await self.store.leads(outcome, before, limit)
