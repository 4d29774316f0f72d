"""The ``ScheduleStore`` seam: due sends, leases with fencing tokens, campaigns, the people index.

Its own small protocol (not part of ``parley.core.storage.store.Store``) so the schedule can live in Redis while
conversation state lives elsewhere, and so one contract suite (tests/contract/
test_schedule_contract.py) covers memory, SQLite and Redis.

Send ids are deterministic (``c:{campaign}:{person}:{step}``, ``fu:{conversation}:{kind}:{anchor}``)
and inserted only if new, so re-planning after a crash creates nothing twice. A cancelled send
leaves a tombstone, so a later re-plan cannot bring it back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

from parley.core.kernel.messages import Address

if TYPE_CHECKING:  # people_search builds on PersonEntry, defined here
    from parley.core.schedule.people_search import PeopleQuery

# Outcomes a dispatcher acks with; reasons follow a colon ("skipped:quiet", "failed:rejected").
SENT, CANCELLED = "sent", "cancelled"
FINAL = ("sent", "skipped", "failed", "cancelled")  # heads of outcomes that end a send
MAX_CLAIM = 50  # sends per claim call: a bounded script never blocks Redis for long


@dataclass(frozen=True)
class Send:
    id: str
    due: float
    data: str = ""  # JSON for follow-ups and reminders; campaign sends carry nothing (memory)


@dataclass(frozen=True)
class Waiting:
    """A send not finished yet, and when it is due (None while a dispatcher holds it)."""

    id: str
    status: str  # "due" or "inflight" (``person_sends``: a finished send's outcome too)
    due: float | None


@dataclass(frozen=True)
class ScheduleStats:
    due_now: int  # waiting and due: a dispatcher should be on them
    scheduled: int  # waiting for a later time
    inflight: int  # claimed, not finished
    oldest_due: float | None  # the earliest due time of a waiting send (the schedule's lag)


@dataclass(frozen=True)
class Claimed:
    id: str
    due: float
    token: int
    data: str = ""


@dataclass(frozen=True)
class PersonEntry:
    """One row of the people index, kept from turns; a campaign's audience is chosen from it."""

    person: str
    address: Address
    locale: str = ""
    tz: str = ""
    tags: tuple[str, ...] = ()
    last_seen: float = 0.0  # 0: never wrote (Telegram cannot be reached first)
    consent: bool | None = None  # marketing consent: None = never asked
    name: str = ""
    fields: dict[str, str] = field(default_factory=dict)  # custom profile fields (audience filters)
    # The person this identity is linked to (core/linking), "" when it is not linked: a campaign
    # plans one send per person (its id), and the dispatcher picks the channel (best.py).
    owner: str = ""

    def to_json(self) -> str:
        # Field by field, not dataclasses.asdict: that deep-copies every value, and this runs on
        # a person's first message.
        body = {name: getattr(self, name) for name in _PERSON_FIELDS}
        body["address"] = self.address.model_dump(exclude_defaults=True)
        return _compact(body)

    @classmethod
    def from_json(cls, raw: str | bytes) -> PersonEntry:
        body = json.loads(raw)
        body["address"] = Address(**body["address"])
        body["tags"] = tuple(body.get("tags", ()))
        return cls(**body)


_PERSON_FIELDS = tuple(f.name for f in fields(PersonEntry))
# One encoder, not json.dumps(..., separators=...): that builds a JSONEncoder per call.
_compact = json.JSONEncoder(separators=(",", ":")).encode


@dataclass
class CampaignRecord:
    id: str
    spec: dict[str, Any]
    status: str = "draft"  # draft, running, paused, cancelled, done
    cursor: str = ""  # the last person planned (the planner resumes after it)
    planned_all: bool = False
    created_at: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> CampaignRecord:
        return cls(**json.loads(raw))


def campaign_of(send_id: str) -> str:
    """The campaign a send counts towards ("" for follow-ups and reminders)."""
    if send_id.startswith("c:"):
        return send_id.split(":", 2)[1]
    return ""


def campaign_send_id(campaign: str, person: str, step: int = 0) -> str:
    return f"c:{campaign}:{person}:{step}"


def person_of_send(send_id: str) -> str:
    """``c:{campaign}:{person}:{step}`` -> person (person ids contain colons themselves)."""
    return send_id.split(":", 2)[2].rsplit(":", 1)[0]


def followup_id(conversation: str, kind: str, anchor: int) -> str:
    return f"fu:{conversation}:{kind}:{anchor}"


def person_ranges(campaigns: Sequence[str], person: str, conversations: Sequence[str]) -> list[tuple[str, str]]:
    """The id ranges [low, high) holding every send that names a person: one per campaign for
    their campaign sends, one per conversation for its follow-ups and reminders."""
    return [(f"c:{c}:{person}:", f"c:{c}:{person};") for c in campaigns] + [
        (f"fu:{conv}:", f"fu:{conv};") for conv in conversations
    ]


ERASED = "skipped:erased"  # a waiting send whose person was erased
LIVE = ("due", "inflight")


def campaign_range(campaign: str) -> tuple[str, str]:
    """Every send id of a campaign sorts inside [low, high): "c:x:" up to "c:x;" (";" follows ":")."""
    return f"c:{campaign}:", f"c:{campaign};"


def kind_of(send_id: str) -> str:
    if send_id.startswith("c:"):
        return "campaign"
    return send_id.rsplit(":", 2)[1]


class ScheduleStore(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...

    # -- sends -------------------------------------------------------------------------------
    async def add(self, sends: list[Send]) -> int:
        """Insert sends whose id was never seen (tombstones included); returns how many were
        new and counts them as "planned" for their campaign."""

    async def claim(self, limit: int, lease: float, now: float | None = None) -> list[Claimed]:
        """Lease at most ``limit`` due sends (expired leases first go back to due). Each claim
        hands out a fencing token larger than any before. ``now`` None: the store's own clock
        (Redis TIME, so processes with skewed clocks agree)."""

    async def ack(self, send_id: str, token: int, outcome: str) -> bool:
        """Finish a send ("sent", "skipped:why", "failed:why") if ``token`` still holds it."""

    async def ack_many(self, acks: list[tuple[str, int, str]]) -> int:
        """``ack`` for a batch of (send id, token, outcome) in one round trip; returns how many held."""

    async def reschedule(self, send_id: str, token: int, at: float) -> bool:
        """Put a held send back, due at ``at`` (quiet hours, a busy lock, a paused campaign)."""

    async def cancel(self, send_id: str) -> bool:
        """Remove a send and leave a tombstone; True if it was waiting or in flight."""

    async def status(self, send_id: str) -> str | None:
        """ "due", "inflight", an outcome, "cancelled", or None if unknown."""

    async def holds(self, send_id: str, token: int) -> bool:
        """True while ``token`` is the live lease on the send (checked under the conversation lock)."""

    async def stats(self, now: float) -> ScheduleStats:
        """How many sends wait (due now, later), are in flight, and the oldest due time."""

    async def due_at(self, send_id: str) -> float | None:
        """When a send waiting to be claimed is due; None while in flight, finished or unknown."""

    async def waiting(self, campaign: str, after: str, limit: int) -> list[Waiting]:
        """A campaign's sends not finished yet, in id order after ``after`` (a cursor)."""

    async def cancel_campaign(self, campaign: str) -> int:
        """Tombstone every waiting send of the campaign, counting each as "skipped:cancelled";
        returns how many (a cancelled campaign shows no pending sends)."""

    # -- campaigns ---------------------------------------------------------------------------
    async def put_campaign(self, record: CampaignRecord) -> None: ...
    async def campaign(self, campaign: str) -> CampaignRecord | None: ...
    async def campaigns(self) -> list[CampaignRecord]: ...
    async def count(self, campaign: str, what: str, n: int = 1) -> None:
        """Bump a campaign counter ("delivered", "replied", "converted", "failed:why")."""

    async def progress(self, campaign: str) -> dict[str, int]:
        """Counters: planned, sent, delivered, skipped:why, failed:why, replied..."""

    # -- people ------------------------------------------------------------------------------
    async def put_person(self, entry: PersonEntry) -> None: ...
    async def person(self, person: str) -> PersonEntry | None: ...
    async def people(self, after: str, limit: int) -> list[PersonEntry]:
        """The index in person order, after ``after`` (a cursor for chunked planning)."""

    async def forget_person(self, person: str, conversations: Sequence[str] = ()) -> int:
        """Erase the person from the schedule: their index entry and search rows, and every send
        that names them (their campaign sends, the follow-ups of ``conversations``), waiting,
        finished or a tombstone. Waiting campaign sends count as "skipped:erased". Returns the
        records removed."""

    async def forget_people(self, people: Sequence[tuple[str, Sequence[str]]]) -> list[int]:
        """``forget_person`` for each (person, their conversations), in one pass over the sends
        where the store can (Redis); the records removed for each."""

    async def person_sends(self, persons: Sequence[str], conversations: Sequence[str]) -> list[Waiting]:
        """Every send naming the people (their campaign sends, the follow-ups of
        ``conversations``) with its status ("due", "inflight", an outcome, "cancelled") and,
        while waiting, when it is due: what an export shows."""

    async def purge_index(self) -> None:
        """Make the people search's deletions final (erasure calls it once after its
        ``forget_person`` calls): SQLite's FTS5 keeps deleted words in its segments until it
        merges them; the others have nothing left to do."""

    async def inactive(self, before: float, limit: int) -> list[str]:
        """Up to ``limit`` people last seen before ``before`` (never-seen imports excluded),
        the longest silent first, from the last-seen index (retention)."""

    async def expire_sends(self, before: float, limit: int) -> int:
        """Remove at most ``limit`` finished sends (not tombstones) due before ``before``."""

    async def recent_people(self, limit: int) -> list[PersonEntry]:
        """The ``limit`` people seen most recently, newest first (from an index)."""

    async def find_people(self, query: PeopleQuery, limit: int) -> list[PersonEntry]:
        """Up to ``limit`` entries matching ``query`` (people_search.matches says what matches),
        answered from an index, never by reading every entry; an empty query lists people."""
