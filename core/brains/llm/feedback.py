"""Thumbs up/down on LLM answers where the channel has buttons, recorded with the turn.

The buttons carry ``/feedback up <turn id>`` (the inbound event id of the answered message).
A vote lands in ``state["feedback"]`` keyed by that id (the last vote wins); thumbs down offers
a person at once, because a customer who says "that was wrong" should not have to ask twice.
"""

from __future__ import annotations

from collections.abc import Callable

from parley.core.brains.phrases import human_button
from parley.core.kernel.channel import Capabilities
from parley.core.kernel.messages import Address, Button
from parley.core.kernel.pipeline import Handler, Middleware
from parley.core.kernel.turn import Turn

KEEP = 50  # votes kept per conversation


def buttons(turn_id: str) -> tuple[Button, Button]:
    return (
        Button(title="👍", payload=f"/feedback up {turn_id}"),
        Button(title="👎", payload=f"/feedback down {turn_id}"),
    )


def feedback(capabilities: Callable[[Address], Capabilities | None], enabled: bool = True) -> Middleware:
    async def mw(turn: Turn, call_next: Handler) -> None:
        inbound = turn.inbound
        said = (inbound.payload if inbound.kind == "button" else inbound.text.strip()) if inbound else ""
        if said.startswith("/feedback "):
            parts = said.split()
            vote, turn_id = (parts + ["", ""])[1:3]
            if vote not in ("up", "down"):
                return await call_next(turn)
            votes = turn.state.setdefault("feedback", {})
            votes.pop(turn_id[:64], None)
            votes[turn_id[:64]] = {"vote": vote, "at": turn.now.isoformat(timespec="seconds")}
            for old in list(votes)[:-KEEP]:
                del votes[old]
            turn.tags["feedback"] = vote
            if vote == "up":
                turn.system("csat_thanks")
            else:
                turn.system("handoff_offer", buttons=(human_button(turn.pack),))
            return
        await call_next(turn)
        caps = capabilities(turn.address)
        if not (enabled and inbound and caps and caps.buttons and turn.replies):
            return
        answer = turn.answer
        if answer is not None and answer.brain == "llm" and answer.intent == "answer":
            last = turn.replies[-1]
            turn.replies[-1] = last.model_copy(update={"buttons": (*last.buttons, *buttons(inbound.event_id))})

    return mw
