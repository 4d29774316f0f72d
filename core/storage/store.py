"""The ``Store`` seam: small protocols, one contract suite (tests/contract/test_store_contract.py).

Memory (tests), SQLite (the embedded default) and Redis (scale-out) implement the same calls.
The calls are shaped by the promise (docs/architecture.md), and by Redis: each is one round trip (or one
Lua script) on the hot path, so a turn costs accept + begin + commit + release.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.storage.accounts import AccountStore
from parley.core.storage.identities import IdentityStore
from parley.core.storage.leads import LeadStore
from parley.core.storage.privacy import PrivacyStore


class StoreUnavailable(RuntimeError):
    """The store did not answer: webhooks say 503 so the platform retries later."""


class StoreUnusable(StoreUnavailable):
    """The store cannot be used as configured (a read-only directory, a path that is not one):
    waiting will not help, so start-up stops at once instead of waiting ``PARLEY_STORE_WAIT``."""


class LockLost(RuntimeError):
    """Our lease on a conversation expired and someone else holds it: drop this turn's writes."""


@dataclass(frozen=True)
class InboxItem:
    """An accepted inbound event, kept until its turn commits (so a crash loses nothing)."""

    id: str  # "{channel}:{event_id}": the dedupe key
    conversation: str
    inbound: Inbound
    accepted_at: float
    seq: int = 0


@dataclass(frozen=True)
class OutboxItem:
    id: str  # deterministic: "{inbox id}:r{n}" for replies, the job id for proactive sends
    address: Address
    reply: Reply
    due_at: float
    attempts: int = 0
    token: int = 0  # the lease (fencing) token a claim hands out
    seq: int = 0
    max_attempts: int = 8


@dataclass(frozen=True)
class Batch:
    """What ``begin`` hands the holder of a conversation's lock."""

    token: int
    items: list[InboxItem]
    state: dict[str, Any]
    profiles: dict[str, dict[str, Any]]  # by person (core/storage/identities.py)
    people: dict[str, str] = field(default_factory=dict)  # identity -> person, for the items' identities
    versions: dict[str, int] = field(default_factory=dict)  # person -> the version of its profile read

    def person(self, identity: str) -> str:
        return self.people.get(identity, identity)


@dataclass(frozen=True)
class Sent:
    platform_id: str = ""
    # The platform (or page) drops a second send of this item's id (Channel.capabilities.
    # dedupes_resends): a crash before this record is written cannot show the reply twice, so a
    # store may write it with its next group of writes instead of at once.
    deduped: bool = False


@dataclass(frozen=True)
class Retry:
    at: float
    error: str
    counts: bool = True  # a throttle or an offline web chat is not a failed attempt


@dataclass(frozen=True)
class Failed:
    error: str


Outcome = Sent | Retry | Failed


@dataclass
class OutboxStats:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    oldest_due: float | None = None  # the earliest due time of a pending item (the outbox's lag)


class InboxStore(Protocol):
    async def accept(self, item: InboxItem, dedupe_ttl: float) -> bool:
        """Store the item unless its id was seen within ``dedupe_ttl``; True if new."""

    async def begin(
        self, conversation: str, lease: float, limit: int, now: float, reclaim: bool = False
    ) -> Batch | None:
        """Take the conversation's lock (None if held) and return its oldest pending items,
        its state and the profiles of the people in those items, loaded after the lock.

        With ``reclaim`` a lock held under this store's own owner is taken too: the caller
        knows it holds no lock on the conversation, so that one is an orphan (a ``begin``
        Redis ran after the caller had given up on its answer, a release lost in an outage),
        and waiting out its lease would freeze the conversation for it."""

    async def commit(
        self,
        conversation: str,
        token: int,
        done: str,
        state: dict[str, Any],
        profiles: dict[str, dict[str, Any]],
        outbox: list[OutboxItem],
        release: bool = False,
        lease: float = 0.0,
        versions: dict[str, int] | None = None,
    ) -> list[OutboxItem]:
        """Atomically: save state and profiles, queue replies, drop inbox item ``done`` and,
        with ``release``, free the lock (saves a round trip on the last turn of a batch).
        Raises LockLost if ``token`` no longer holds the lock (fencing). With ``versions``
        (person -> the version ``begin`` read), raises ProfileConflict and writes nothing if a
        profile changed meanwhile (another conversation of the same person committed first).

        With ``lease`` > 0 the store may hand replies straight to the caller: a due reply with
        nothing unfinished ahead of it for its address is stored already leased for ``lease``
        seconds and returned with its token, as ``claim`` would have, saving the claim's write.
        A store may return fewer (or none); what it does not return is queued as usual."""

    async def release(self, conversation: str, token: int) -> None: ...

    async def stale(self, accepted_before: float, limit: int) -> list[str]:
        """Conversations with inbox items accepted before the given time (crash recovery)."""


class OutboxStore(Protocol):
    async def enqueue(self, items: list[OutboxItem]) -> int:
        """Insert items whose id is new (never twice); returns how many were new."""

    async def claim(self, now: float, limit: int, lease: float) -> list[OutboxItem]:
        """Lease due items, at most one in flight per address and in order per address;
        expired leases are claimable again."""

    async def settle(self, item_id: str, token: int, outcome: Outcome, now: float) -> bool:
        """Record a send's outcome if ``token`` still holds the item; False otherwise."""

    async def outbox_stats(self) -> OutboxStats: ...


@dataclass(frozen=True)
class Settlement:
    """A send's outcome for ``settle``, handed over with the next claim (``SettlesWithClaim``)."""

    item_id: str
    token: int
    outcome: Outcome
    at: float  # when it was known: ``settle``'s ``now``


@runtime_checkable
class SettlesWithClaim(Protocol):
    """A store that records send outcomes in the same call that claims the next items (Redis:
    one round trip for both, where settle then claim cost two). The outbox uses it when offered."""

    async def settle_and_claim(
        self, settlements: list[Settlement], now: float, limit: int, lease: float
    ) -> tuple[list[bool], list[OutboxItem]]:
        """``settle`` each (in order; a flag per settlement, as ``settle`` returns), then ``claim``."""


@runtime_checkable
class AcceptsAndBegins(Protocol):
    """A store that can accept an event and begin its conversation in one call (Redis: one round
    trip instead of two). The engine uses it when it holds no turn of that conversation itself."""

    async def accept_begin(
        self, item: InboxItem, dedupe_ttl: float, lease: float, limit: int
    ) -> tuple[bool, Batch | None]:
        """``accept``; if the item is new, ``begin(..., reclaim=True)`` at the item's accepted_at.
        Returns (new, the batch or None: a duplicate, or the lock is held elsewhere)."""


class KeyValueStore(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def put(self, key: str, value: str, ttl: float | None = None) -> None: ...
    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Set only if absent (SET NX); True if set."""

    async def delete(self, key: str) -> None: ...


class PeopleStore(Protocol):
    async def profile(self, person: str) -> dict[str, Any]: ...
    async def save_profile(self, person: str, profile: dict[str, Any]) -> None: ...
    async def state(self, conversation: str) -> dict[str, Any]: ...
    async def export_person(self, person: str) -> dict[str, Any]:
        """Everything held about a person: profile, conversations, queued messages."""

    async def erase_person(self, person: str) -> int:
        """Delete everything held about a person; returns the number of records removed."""


class Recovery(Protocol):
    async def release_dead(self, dead: Callable[[str], bool], now: float) -> int:
        """Free the conversation locks and outbox leases whose recorded owner ``dead`` says is
        gone (core/kernel/liveness.py), so a restart resumes their work at once instead of after
        a lease; returns how many were freed. Safe when wrong: a freed lock or lease gets a new
        fencing token, so its old holder can no longer commit or settle."""


class Store(
    InboxStore,
    OutboxStore,
    KeyValueStore,
    PeopleStore,
    IdentityStore,
    AccountStore,
    LeadStore,
    PrivacyStore,
    Recovery,
    Protocol,
):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> None:
        """Raise StoreUnavailable when the store does not answer or cannot write (a disk that is
        full, a Redis refusing writes): /readyz and start-up ask here."""


def person_of(inbound: Inbound) -> str:
    return inbound.address.person
