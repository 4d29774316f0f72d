"""Where a proactive turn's messages go for a linked person (Engine's ``route``): a follow-up, a
reminder, a desk notice or an agent's answer reaches the channel the customer last wrote on (or
the one they pinned with ``/link here``), never one they opted out on. A campaign send already
went through the best-channel choice (best.py) and goes where it was planned."""

from __future__ import annotations

from parley.core.kernel.messages import Address
from parley.core.kernel.turn import Turn
from parley.core.linking.channels import consent_of, reply_address
from parley.core.schedule.sends import Scheduled


def route(turn: Turn) -> Address:
    control = turn.control
    if isinstance(control, Scheduled) and control.campaign:
        return turn.address
    target = reply_address(turn.profile, turn.address)
    if target != turn.address and consent_of(turn.profile, target.person).get("marketing") is False:
        return turn.address  # they said STOP there
    return target
