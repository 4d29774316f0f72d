"""What a turn measured, for the analytics aggregates (parley.core.analytics).

Middlewares append ``Fact``s to ``Turn.facts`` while the turn runs; the engine hands the turn to
its ``on_commit`` hook only after the turn's commit succeeded, so a turn re-run after a lost lock
or a crash is counted once. Each fact adds ``value`` to its metric's sum and 1 to its count.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Metric(StrEnum):
    CONVERSATIONS = "conversations"  # a conversation with an inbound message that day
    HANDED = "handed"  # ...of which handed to a person that day (contained = the rest)
    HANDOFFS = "handoffs"  # handoffs opened
    CLAIM_SECONDS = "claim_seconds"  # handoff opened -> claimed
    FIRST_REPLY_SECONDS = "first_reply_seconds"  # handoff opened -> first human reply
    CSAT = "csat"  # 1-5 answers (sum; the count is the answers)
    LEADS = "leads"  # detail: the lead's source
    LEAD_WON = "lead_won"  # an outcome decided (+1) or undone (-1); detail: the lead's source
    LEAD_LOST = "lead_lost"
    LEAD_VALUE = "lead_value"  # a won lead's value in the analytics currency, in cents (detail: source)
    ANSWERS = "answers"  # answers from a brain
    NOT_SURE = "not_sure"  # answers that said "I don't know" (detail: the question, redacted)
    LLM_TOKENS = "llm_tokens"
    CONVERSIONS = "conversions"  # attributed to a campaign (detail: the campaign; value: cents)


@dataclass(frozen=True)
class Fact:
    metric: Metric
    value: float = 1.0
    detail: str = ""  # a bounded label: a lead source, a campaign id, a redacted question
