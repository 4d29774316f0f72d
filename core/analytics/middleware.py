"""The analytics middleware: counts the day's conversations and how many were handed to a
person, and answers that said "not sure" (with the question, redacted, for the knowledge-gap
report). The other facts come from where they happen (the desk, leads, the LLM brain).

It marks the conversation in its own state (``state["analytics"]``: the day it was counted, and
whether it was handed that day), committed with the turn, so a conversation is counted once a day
however many messages it has, and a turn re-run after a crash counts nothing twice.
"""

from __future__ import annotations

from parley.core.kernel.facts import Fact, Metric
from parley.core.kernel.pipeline import Handler
from parley.core.kernel.turn import Turn
from parley.core.privacy.pii import redact

NOT_SURE = "fallback"  # the intent both brains give an answer that does not know


async def analytics(turn: Turn, call_next: Handler) -> None:
    await call_next(turn)
    inbound = turn.inbound
    if inbound is not None and inbound.meta.get("desk_ref"):
        return  # an agent in the desk's thread, not a customer's conversation
    day = turn.now.date().isoformat()
    marks = turn.state.get("analytics") or {}
    if inbound is not None and marks.get("day") != day:
        marks = {"day": day}
        turn.facts.append(Fact(Metric.CONVERSATIONS))
    handed = any(f.metric is Metric.HANDOFFS for f in turn.facts)
    if handed and marks.get("day") == day and not marks.get("handed"):
        marks["handed"] = True
        turn.facts.append(Fact(Metric.HANDED))
    answer = turn.answer
    if inbound is not None and answer is not None:
        turn.facts.append(Fact(Metric.ANSWERS))
        if answer.intent == NOT_SURE and inbound.text.strip():
            # Redacted here, before it is stored anywhere: the report shows questions, not people.
            turn.facts.append(Fact(Metric.NOT_SURE, detail=redact(inbound.text.strip())[:300]))
    if marks:
        turn.state["analytics"] = marks
