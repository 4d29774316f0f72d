"""The desk's events, applied to the customer's conversation as proactive turns (under its
lock): typed, so the desk matches them by class, not by a string in ``Reply.meta``.

Notices the desk books for later (claim timeout, booked follow-up) go through the scheduler's
store as a small dict (``booking``) and come back typed (``notice``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from parley.core.kernel.control import Control

KIND = "handoff"  # the scheduler kind of the desk's notices


@dataclass(frozen=True)
class HandoffEvent(Control):
    """Something at the desk (or the admin API) that changes the customer's conversation."""


@dataclass(frozen=True)
class Start(HandoffEvent):
    """Hand the conversation to the desk as if the customer had asked (the admin API)."""


@dataclass(frozen=True)
class Claimed(HandoffEvent):
    agent: str
    waited: float | None = None  # seconds from the handoff opening to this claim


@dataclass(frozen=True)
class AgentSaid(HandoffEvent):
    agent: str
    text: str
    waited: float | None = None  # the first human reply: seconds since the handoff opened
    claim_waited: float | None = None  # the reply also claimed the case: seconds since it opened


@dataclass(frozen=True)
class Canned(AgentSaid):
    """A saved reply the rep chose (``name``): its text is picked in the customer's turn, in
    their language; the card's thread is told what was sent (``case``, the card's ref)."""

    name: str = ""
    case: str = ""


@dataclass(frozen=True)
class Ended(HandoffEvent):
    case: str


@dataclass(frozen=True)
class Notice(HandoffEvent):
    """A notice the desk booked through the scheduler: nobody claimed the case in time, the
    follow-up the customer accepted is due, or the case has waited past an SLA step (``step``
    counts the reminders so far)."""

    event: Literal["timeout", "followup", "remind"]
    case: str
    step: int = 0

    def booking(self) -> dict[str, str]:
        return {"event": self.event, "case": self.case, "step": str(self.step)}


def notice(booked: Mapping[str, str]) -> Notice | None:
    """A booked notice back from the scheduler; None for one this version does not know."""
    event, case = booked.get("event") or booked.get("handoff"), booked.get("case", "")
    if event not in ("timeout", "followup", "remind"):
        return None
    step = booked.get("step", "0")
    return Notice(event, case, int(step) if step.isdigit() else 0)  # type: ignore[arg-type]
