"""Everything held about a person, gathered from every store through their identities (the one
store call that lists every address that is them), and what identifies them in free text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from parley.core.privacy.mentions import Mentions
from parley.core.schedule.store import PersonEntry, ScheduleStore
from parley.core.storage.store import Store

PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{6,}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Held:
    person: str
    identities: list[str]
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries: dict[str, PersonEntry] = field(default_factory=dict)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> state
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)  # "handoff:abc" -> the case
    consent: dict[str, Any] = field(default_factory=dict)  # identity -> the channel's record

    @property
    def anything(self) -> bool:
        return bool(any(self.profiles.values()) or self.entries or self.conversations or self.consent)

    def case_refs(self) -> set[str]:
        """Cases named by the profiles (every case opened since 0.9) and by the conversations'
        state (the open handoff, the lead, CSAT answers: older cases too)."""
        refs = {str(r) for p in self.profiles.values() for r in p.get("cases", ())}
        for state in self.conversations.values():
            for kind, key in (("handoff", "handoff"), ("lead", "lead"), ("handoff", "csat")):
                value = state.get(key)
                if isinstance(value, dict) and value.get("case"):
                    refs.add(f"{kind}:{value['case']}")
            refs |= {f"handoff:{s['case']}" for s in state.get("csat_scores", ()) if isinstance(s, dict)}
        return refs

    def mentions(self) -> Mentions:
        needles: set[str] = {*self.identities, *self.conversations, *self.cases}
        names: set[str] = set()
        texts: list[object] = []
        for entry in self.entries.values():
            texts += [entry.address.chat, entry.address.user, *entry.fields.values()]
            names.add(entry.name)
        for profile in self.profiles.values():
            texts += [profile.get(k) for k in ("email", "phone", "contact")]
            texts += list((profile.get("fields") or {}).values())
            names.add(str(profile.get("name", "")))
        for state in self.conversations.values():
            lead = state.get("lead")
            if isinstance(lead, dict):
                texts.append(lead.get("contact"))
                names.add(str(lead.get("name", "")))
        for case in self.cases.values():
            texts += [case.get("contact"), *(case.get("lead") or {}).values()]
            names.add(str(case.get("name", "")))
        for identity in self.identities:
            texts.append(identity.split(":", 1)[-1])  # an SMS or WhatsApp identity is a phone number
        for text in texts:
            for part in re.split(r"[,;\s]+(?=[+\w])", str(text or "")):
                part = part.strip().removeprefix("whatsapp:")
                if PHONE.match(part) or EMAIL.match(part):
                    needles.add(part)
        return Mentions.of(needles, names - {""})


async def gather(store: Store, sched: ScheduleStore, person: str) -> Held:
    held = Held(person, await store.identities(person))
    for identity in held.identities:
        held.profiles[identity] = await store.profile(identity)
        if (entry := await sched.person(identity)) is not None:
            held.entries[identity] = entry
        if raw := await store.get(f"consent:{identity}"):
            held.consent[identity] = _json(raw)
        for conv in await store.conversations(identity):
            held.conversations[conv] = await store.state(conv)
    for ref in sorted(held.case_refs()):
        # Read as stored (parley.core.handoff.cases keeps them as JSON): older shapes included.
        if raw := await store.get(f"case:{ref}"):
            held.cases[ref] = _json(raw)
    return held


def _json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
