"""Handoff cases and lead records, kept in the store's key/value space (any process can act on a
desk click). The cards that show them are parley.core.handoff.card."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.turn import Turn
from parley.core.storage.store import KeyValueStore

TTL = 90 * 86400  # a case outlives its conversation's attention span; erased with the person


@dataclass
class Case:
    id: str
    kind: str  # "handoff" or "lead"
    address: dict[str, str]
    locale: str
    opened: float
    reason: str = ""
    status: str = "queued"  # queued -> active -> ended
    agent: str = ""
    agent_name: str = ""
    claimed: float = 0.0
    first_reply: float = 0.0
    csat: int = 0
    lead: dict[str, Any] = field(default_factory=dict)
    # Every identity of the customer when linked (core/linking), the one they last wrote on
    # first: the agent sees all their channels; replies go to the first.
    channels: list[str] = field(default_factory=list)
    # What the desk card shows, kept so the card can be redrawn in place as the case moves
    # (parley.core.handoff.card). Older stored cases lack them: the defaults draw a plainer card.
    name: str = ""
    contact: str = ""  # email / phone the customer gave: shown on the desk card only
    persona: str = ""
    summary: str = ""
    said: list[list[str]] = field(default_factory=list)  # [who, text], the last messages
    urgent: bool = False
    link: str = ""  # the conversation in the console
    hours: str = ""  # the desk's hours as they stood when the case opened
    trigger: str = ""  # the customer's message that opened a complaint case
    routed: str = ""  # the rep a lead was routed to (a Slack user id), mentioned on the card
    routed_why: str = ""  # the route that chose them: "locale es, group S0SALES"
    canned: list[list[str]] = field(default_factory=list)  # [name, title]: the persona's saved replies
    notes: int = 0  # internal notes in the card's thread
    closed_by: str = ""
    outcome: str = ""  # "resolved" or "returned"

    @classmethod
    def opening(cls, kind: str, turn: Turn, reason: str, lead: dict[str, Any] | None = None) -> Case:
        """A new case for the turn's conversation (handoffs and leads alike)."""
        case = cls(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            address=turn.address.model_dump(),
            locale=turn.pack.code,
            opened=turn.now.timestamp(),
            reason=reason,
            lead=lead or {},
        )
        # The person's profile lists their cases: export and erasure find every one of them.
        turn.profile.setdefault("cases", []).append(case.ref)
        return case

    def claim(self, user: str, name: str, now: float) -> bool:
        """Make the case ``user``'s; False if someone else holds it (the desk says so)."""
        if self.agent and self.agent != user:
            return False
        self.agent, self.agent_name, self.claimed, self.status = user, name, now, "active"
        return True

    @property
    def holder(self) -> str:
        return self.agent_name or self.agent

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def customer(self) -> Address:
        return Address.model_validate(self.address)


async def load(kv: KeyValueStore, ref: str) -> Case | None:
    raw = await kv.get(f"case:{ref}")
    return Case(**json.loads(raw)) if raw else None


async def save(kv: KeyValueStore, case: Case) -> None:
    await kv.put(f"case:{case.ref}", json.dumps(asdict(case)), ttl=TTL)


def in_thread(ref: str, text: str) -> Reply:
    """A message for the thread of the card ``ref``; the desk channel resolves ``desk_thread``."""
    return Reply(text=text, kind="system", meta={"desk_thread": ref})
