"""Handoff cases and lead records, kept in the store's key/value space (any process can act on a
desk click), and the desk cards that show them."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from parley.core.kernel.messages import Address, Button, Reply
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

    @classmethod
    def opening(cls, kind: str, turn: Turn, reason: str, lead: dict[str, Any] | None = None) -> Case:
        """A new case for the turn's conversation (handoffs and leads alike)."""
        return cls(
            id=uuid.uuid4().hex[:12],
            kind=kind,
            address=turn.address.model_dump(),
            locale=turn.pack.code,
            opened=turn.now.timestamp(),
            reason=reason,
            lead=lead or {},
        )

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


def handoff_card(case: Case, history: list[dict[str, str]], summary: str = "", link: str = "") -> Reply:
    who = case.customer
    lines = [f"Handoff requested ({case.reason or 'asked'}): {who.channel} customer, locale {case.locale}"]
    recent = [h for h in history if h.get("role") in ("user", "bot")][-6:]
    if summary:
        lines.append(f"Summary: {summary}")
    elif recent:
        lines.append("Last messages:")
        lines += [f"{'Customer' if h['role'] == 'user' else 'Bot'}: {h['text'][:300]}" for h in recent]
    if link:
        lines.append(f"Transcript in the console: {link}")
    lines.append("Reply in this thread to answer the customer.")
    buttons = (
        Button(title="Claim", payload=f"{case.ref}:claim"),
        Button(title="Resolve", payload=f"{case.ref}:resolve"),
        Button(title="Return to bot", payload=f"{case.ref}:return"),
    )
    return Reply(text="\n".join(lines), buttons=buttons, kind="system", meta={"desk_ref": case.ref})


def lead_card(case: Case) -> Reply:
    lead = case.lead
    fields = ("name", "company", "need", "budget", "timeline", "contact")
    lines = [f"New lead from {case.customer.channel} ({case.locale})"]
    lines += [f"{f.capitalize()}: {lead[f]}" for f in fields if lead.get(f)]
    if lead.get("source"):
        lines.append(f"Source: {lead['source']}")
    buttons = (
        Button(title="Claim", payload=f"{case.ref}:claim"),
        Button(title="Follow up tomorrow", payload=f"{case.ref}:followup"),
    )
    return Reply(text="\n".join(lines), buttons=buttons, kind="system", meta={"desk_ref": case.ref})


def in_thread(ref: str, text: str) -> Reply:
    """A message for the thread of the card ``ref``; the desk channel resolves ``desk_thread``."""
    return Reply(text=text, kind="system", meta={"desk_thread": ref})
