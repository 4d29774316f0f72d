"""A claimed send as a proactive turn sees it, and how the turn ends without a message.

The dispatcher hands the turn a ``Scheduled`` (typed fields: the lease token the gate checks,
the send's kind and the policy it is checked against). The gate (parley.core.schedule.gate)
ends a send that must not go now by raising ``Defer``, ``Skip`` or ``Lost``: the turn commits
nothing and the dispatcher settles the send from the exception's type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from parley.core.kernel.control import Control


@dataclass(frozen=True)
class Scheduled(Control):
    send_id: str
    token: int  # the schedule lease's fencing token: the send is still ours while it holds
    due: float
    kind: str  # followup, reminder, handoff, marketing, transactional...
    anchor: float = 0.0  # when a follow-up was planned: a reply after it makes it moot
    tz: str = ""  # the person's time zone for quiet hours, when the booking knew it
    cap: int = 1  # marketing: at most this many ...
    cap_days: float = 7.0  # ... in this many days
    attribution_hours: float = 0.0  # a campaign's reply window
    campaign: str = ""
    booked: Mapping[str, str] = field(default_factory=dict)  # whoever booked it reads it back


class Unsent(Exception):
    """The send ends without a message; nothing of the turn is committed."""


class Defer(Unsent):
    """Not now (quiet hours): run it again at ``until``, never drop it."""

    def __init__(self, until: float) -> None:
        super().__init__(f"deferred until {until}")
        self.until = until


class Skip(Unsent):
    """Not at all: settled as ``skipped:<reason>`` (opted out, replied since, capped...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Lost(Unsent):
    """No longer ours (cancelled, or claimed again since): not ours to settle either."""
