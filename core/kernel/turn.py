"""The typed ``Turn``: everything one pass through the pipeline reads and writes.

Besides reading and saying, a turn carries the calls the built-in features share with bot
authors' handlers: ``handoff`` (a person takes over), ``lead`` (the sales desk's lead) and
``followup`` (a message later, through the scheduler). Each only records the request; the
middleware that owns the feature acts on it once the inner pipeline has run (the desk opens the
case, the leads middleware files a qualified lead, the followups middleware books the send).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from parley.core.i18n.locales import LocalePack
from parley.core.i18n.personas import Persona
from parley.core.kernel.control import Control
from parley.core.kernel.facts import Fact
from parley.core.kernel.messages import Address, Button, Inbound, Reply

if TYPE_CHECKING:  # the Brain seam takes a Turn: a runtime import would be a cycle
    from parley.core.brains.brain import Answer

LEAD_FIELDS = ("name", "company", "need", "budget", "timeline", "contact")
FOLLOWUP_HORIZON = timedelta(days=90)
_KIND = re.compile(r"[a-z_]{1,32}")  # part of the send id, which ":" separates


@dataclass(frozen=True)
class Followup:
    """A message to send this conversation later (``Turn.followup``)."""

    at: datetime  # aware
    text: str
    kind: str = "followup"  # "followup" is cancelled when the person writes first; "reminder" is not


@dataclass
class Turn:
    address: Address
    now: datetime
    persona: Persona
    pack: LocalePack
    inbound: Inbound | None = None  # None for a proactive turn
    proactive: Reply | None = None  # what a scheduled job wants to say
    control: Control | None = None  # what a proactive turn is about (a desk event, a claimed send)
    state: dict[str, Any] = field(default_factory=dict)  # per conversation, saved after the turn
    profile: dict[str, Any] = field(default_factory=dict)  # per person, saved after the turn
    replies: list[Reply] = field(default_factory=list)
    # Messages for other addresses (a desk thread, a rep's DM), sent through the same durable
    # outbox and committed with the turn.
    forwards: list[tuple[Address, Reply]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # metrics labels, log fields: nothing reads them
    answer: Answer | None = None  # the brain's, once it answered (the feedback buttons read it)
    followups: list[Followup] = field(default_factory=list)  # booked after the turn (followups mw)
    facts: list[Fact] = field(default_factory=list)  # what it measured: counted once it commits
    # Who the profile belongs to: the identity itself (``address.person``) unless it was linked
    # to another person (core/storage/identities.py). Per-channel records (consent, reachability)
    # stay keyed by the identity.
    person: str = ""
    # Set by a turn that linked or unlinked its identity: the store already wrote the profiles
    # (atomically), so this turn commits its state and replies but no profile.
    relinked: bool = False

    @property
    def text(self) -> str:
        return self.inbound.text if self.inbound else ""

    @property
    def locale(self) -> str:
        return self.pack.code

    def say(
        self,
        text: str,
        buttons: tuple[Button, ...] = (),
        sources: tuple[str, ...] = (),
        kind: str = "answer",
    ) -> Reply:
        reply = Reply(text=text, buttons=buttons, sources=sources, kind=kind)  # type: ignore[arg-type]
        self.replies.append(reply)
        return reply

    def forward(self, address: Address, reply: Reply) -> None:
        self.forwards.append((address, reply))

    def system(self, key: str, buttons: tuple[Button, ...] = (), **values: Any) -> Reply:
        """Say one of the locale pack's system messages."""
        return self.say(self.pack.t(key, **values), buttons=buttons, kind="system")

    def t(self, key: str, **fields: Any) -> str:
        """The pack's message ``key`` in this person's language, with ``fields`` filled in."""
        return self.pack.t(key, **fields)

    def handoff(self, reason: str = "asked", *, announce: bool = True) -> None:
        """Ask for a person: the desk opens a case when this turn is answered (or says honestly
        that nobody is available). ``announce`` says the pack's ``handoff_started``."""
        self.state["handoff"] = {"status": "requested", "at": self.now.isoformat(), "reason": reason}
        if announce:
            self.system("handoff_started")

    def lead(self, **fields: str) -> dict[str, Any]:
        """Note what is known of a sales lead (name, company, need, budget, timeline, contact).
        A later call completes it and never erases a field; once it has a need and a way to
        reach the person, the desk gets a lead card (and the CRM webhook its JSON)."""
        unknown = set(fields) - set(LEAD_FIELDS)
        if unknown:
            raise ValueError(f"unknown lead fields: {', '.join(sorted(unknown))} (known: {', '.join(LEAD_FIELDS)})")
        known = self.state.get("lead") or {}
        lead = {**known, **{k: str(v) or known.get(k, "") for k, v in fields.items()}}
        lead["at"] = self.now.isoformat(timespec="seconds")
        self.state["lead"] = lead
        if lead.get("name"):
            self.profile.setdefault("name", lead["name"])
        if lead.get("company"):
            self.profile["company"] = lead["company"]
        return lead

    def followup(self, at: datetime, text: str, kind: str = "followup") -> Followup:
        """Say ``text`` to this conversation at ``at`` (aware, within 90 days), through the
        scheduler: quiet hours and consent are checked when it is due; kind "reminder" goes at
        the time asked and is not cancelled when the person writes first."""
        if at.tzinfo is None:
            raise ValueError("'at' needs a time zone (an aware datetime)")
        if not self.now < at <= self.now + FOLLOWUP_HORIZON:
            raise ValueError("'at' must be in the future and within 90 days")
        if not text.strip():
            raise ValueError("a follow-up needs a text")
        if not _KIND.fullmatch(kind):
            raise ValueError(f"kind {kind!r}: 1-32 lowercase letters and _")
        request = Followup(at, text, kind)
        self.followups.append(request)
        return request
