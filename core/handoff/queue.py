"""The desk's queue: the open cases (handoffs, complaints, leads not yet closed), the longest
wait first, for ``/parley queue``, ``/parley mine`` and the App Home tab.

Cases live in the key/value space by ref, which cannot be listed; the queue is read the way the
console's live list is: the people seen most recently (the schedule store's index), their
conversations' open handoffs and leads. A person waiting for someone is recent by definition;
``SCANNED`` bounds the read.
"""

from __future__ import annotations

from dataclasses import dataclass

from parley.core.handoff import cases
from parley.core.handoff.cases import Case
from parley.core.kernel.messages import Reply
from parley.core.schedule.store import ScheduleStore
from parley.core.storage.store import Store

SCANNED = 500  # recent people read for the queue
SHOWN = 20  # cases listed in one answer


@dataclass(frozen=True)
class Waiting:
    case: Case
    minutes: int


class Queue:
    def __init__(self, store: Store, sched: ScheduleStore) -> None:
        self.store = store
        self.sched = sched

    async def open_cases(self, now: float, user: str = "") -> list[Waiting]:
        """Open cases, the longest wait first; only ``user``'s when given."""
        found: dict[str, Case] = {}
        for entry in await self.sched.recent_people(SCANNED):
            state = await self.store.state(entry.address.conversation)
            refs = [
                f"handoff:{(state.get('handoff') or {}).get('case', '')}",
                f"lead:{(state.get('lead') or {}).get('case', '')}",
            ]
            for ref in refs:
                if ref.endswith(":") or ref in found:
                    continue
                case = await cases.load(self.store, ref)
                if (
                    case is not None
                    and case.status != "ended"
                    and not case.outcome
                    and (not user or case.agent == user or (not case.agent and case.routed == user))
                ):
                    found[ref] = case
        ordered = sorted(found.values(), key=lambda c: (not c.urgent, c.opened))
        return [Waiting(c, max(0, int((now - c.opened) // 60))) for c in ordered]


def waited(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def line(w: Waiting, names: bool) -> str:
    case = w.case
    kind = "Lead" if case.kind == "lead" else ("Complaint (urgent)" if case.urgent else "Handoff")
    # Names are PII: shown where the desk's cards already show them, never on a Home tab.
    who = (case.name or case.lead.get("name", "") or "unknown") if names else "customer"
    holder = f"claimed by {case.holder}" if case.agent else "unclaimed"
    return (
        f"{kind} · {who} · {case.customer.channel}/{case.locale} · waiting {waited(w.minutes)} · {holder} · {case.id}"
    )


def listing(waiting: list[Waiting], title: str, names: bool = False) -> Reply:
    """The queue as the desk shows it (an ephemeral answer, the App Home tab)."""
    if not waiting:
        return Reply(text=f"{title}: nothing waiting.", kind="system")
    lines = [f"{title}: {len(waiting)} open, the longest wait first"]
    lines += [f"{n}. {line(w, names)}" for n, w in enumerate(waiting[:SHOWN], 1)]
    if len(waiting) > SHOWN:
        lines.append(f"... and {len(waiting) - SHOWN} more")
    return Reply(text="\n".join(lines), kind="system")
