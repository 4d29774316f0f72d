"""Link and unlink identities through the store's atomic ``relink`` (core/storage/identities.py).

Each is read, compute, compare-and-set (``compare_and_set``, core/storage/identities.py): a
turn that commits the same profile in between makes the relink fail, and it is computed again
from what that turn wrote (nothing lost). Linking never guesses: callers reach here only after the customer proved both identities (flow.py) or
an operator asked with a reason (core/http/admin_links.py).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from parley.core.linking.profiles import merge, split
from parley.core.storage.identities import ProfileConflict, Relink, compare_and_set
from parley.core.storage.store import Store


class Refusal(enum.Enum):
    SAME = "same"  # both are already the same person
    ELSEWHERE = "linked_elsewhere"  # each side already has other identities: unlink one first
    NOT_LINKED = "not_linked"  # unlink of an identity that is its own person
    BUSY = "busy"  # the profile kept changing: try again


class LinkRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Linked:
    person: str
    identities: tuple[str, ...]


def channel_of(identity: str) -> str:
    return identity.split(":", 1)[0]


async def _transcript(store: Store, person: str) -> list[dict]:
    """The transcript a person's conversations hold now, each entry tagged with its channel."""
    profile = await store.profile(person)
    if "history" in profile:
        return list(profile["history"])
    out: list[dict] = []
    for conversation in await store.conversations(person):
        for entry in (await store.state(conversation)).get("history", []):
            out.append({**entry, "via": entry.get("via") or channel_of(conversation)})
    return out


async def link(store: Store, first: str, second: str) -> Linked:
    """Make ``second`` the same person as ``first`` (or the other way round when only
    ``second`` already has company). Raises LinkRefused."""

    async def attempt() -> tuple[Relink, Linked]:
        person_a, person_b = await store.person_of(first), await store.person_of(second)
        if person_a == person_b:
            raise LinkRefused(Refusal.SAME)
        group_a, group_b = await store.identities(person_a), await store.identities(person_b)
        if len(group_a) > 1 and len(group_b) > 1:
            raise LinkRefused(Refusal.ELSEWHERE)
        if len(group_b) > 1:  # the single one joins the group
            (person_a, group_a), (person_b, group_b) = (person_b, group_b), (person_a, group_a)
        joining = person_b  # an identity on its own: its person id is itself
        keep, v_keep = await store.versioned_profile(person_a)
        join, v_join = await store.versioned_profile(person_b)
        transcript = await _transcript(store, person_a) + await _transcript(store, person_b)
        merged = merge(keep, person_a, join, joining, transcript)
        everyone = sorted({*group_a, person_a, joining})
        merged["identities"] = everyone
        moved = {c: (person_b, person_a) for c in await store.conversations(person_b)}
        change = Relink(
            moves={person_a: person_a, joining: person_a},
            profiles={person_a: merged, person_b: None},
            expect={person_a: v_keep, person_b: v_join},
            owners={person_a: person_a, joining: person_b},
            conversations=moved,
        )
        return change, Linked(person_a, tuple(everyone))

    return await _retried(store, attempt)


async def unlink(store: Store, identity: str) -> Linked:
    """Give ``identity`` back its own profile; the person keeps the rest (profiles.split).
    Returns what remains of the person. Raises LinkRefused."""

    async def attempt() -> tuple[Relink, Linked]:
        person = await store.person_of(identity)
        group = await store.identities(person)
        if len(group) < 2 or identity not in group:
            raise LinkRefused(Refusal.NOT_LINKED)
        rest = [i for i in group if i != identity]
        profile, version = await store.versioned_profile(person)
        kept, left = split(profile, identity, channel_of(identity))
        kept["identities"] = rest
        if len(rest) == 1:
            del kept["identities"]  # one identity left: nothing linked any more
        # The person's id is one of its identities: when that one leaves, the rest move to the
        # next one's id, with their profile and conversations.
        target = person if person != identity else rest[0]
        moves = {identity: ""} | {i: ("" if len(rest) == 1 else target) for i in rest}
        conversations = {}
        for conversation in await store.conversations(person):
            same_channel = [i for i in rest if channel_of(i) == channel_of(identity)]
            mine = conversation.startswith(f"{identity}:") or (
                channel_of(conversation) == channel_of(identity) and not same_channel
            )
            owner = identity if mine else target
            if owner != person:
                conversations[conversation] = (person, owner)
        change = Relink(
            moves=moves,
            profiles={identity: left, target: kept},
            expect={person: version},
            owners={i: person for i in group},
            conversations=conversations,
        )
        return change, Linked(target, tuple(rest))

    return await _retried(store, attempt)


async def _retried(store: Store, attempt: Callable[[], Awaitable[tuple[Relink, Linked]]]) -> Linked:
    try:
        return await compare_and_set(store, attempt)
    except ProfileConflict:
        raise LinkRefused(Refusal.BUSY) from None
