"""The sales persona's qualification flow, offline: ask the persona's questions one at a time
(need, budget, timeline, contact), skipping what is known, then hand the lead on.

With an LLM configured the model fills ``state["lead"]`` through its capture_lead tool instead;
this flow is what the offline brain does, and what keeps working when the LLM is down.
"""

from __future__ import annotations

from parley.core.brains.escalation import upset
from parley.core.kernel.pipeline import Handler
from parley.core.kernel.turn import Turn
from parley.core.privacy.pii import EMAIL, PHONE


def valid(kind: str, text: str) -> bool:
    if kind == "email":
        return bool(EMAIL.search(text))
    if kind == "phone":
        return bool(PHONE.search(text))
    if kind == "contact":
        return bool(EMAIL.search(text) or PHONE.search(text))
    return bool(text.strip())


async def qualify(turn: Turn, call_next: Handler) -> None:
    questions = turn.persona.qualification
    inbound = turn.inbound
    lead = turn.state.get("lead") or {}
    if not questions or inbound is None or inbound.kind != "message" or lead.get("case"):
        return await call_next(turn)
    flow = turn.state.setdefault("qualify", {})
    asked = flow.get("asked")
    text = inbound.text.strip()
    # A question of their own, or a complaint ("it arrived damaged" is no answer to "what are you
    # looking for?"), goes to the brain: a complaint opens an urgent case there.
    if asked and not text.endswith("?") and upset(text, turn.pack) is None:
        question = next((q for q in questions if q.key == asked), None)
        if question is not None and valid(question.kind, text):
            lead[asked] = text[:500]
            turn.state["lead"] = lead
            flow.pop("asked")
        elif question is not None:
            turn.say(turn.persona.question(asked, turn.pack) or "", kind="system")  # ask again
            return
    else:
        await call_next(turn)  # a question of their own (or the first message): answer it first
        if (turn.state.get("handoff") or {}).get("status"):
            return  # they asked for a person: the desk takes it from here
    pending = [q for q in questions if q.required and not lead.get(q.key)]
    if pending:
        flow["asked"] = pending[0].key
        turn.say(turn.persona.question(pending[0].key, turn.pack) or "", kind="system")
    elif not lead.get("case"):
        turn.state["lead"] = lead
        turn.system("lead_thanks")
