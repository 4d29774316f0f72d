"""The ``IdentityStore`` seam: which person each channel identity belongs to (docs/architecture.md,
"People and identities"). Part of ``Store``: memory, SQLite and Redis implement it, and one
contract suite (``parley.testing.contracts.identities``) covers all three.

An *identity* is what a channel knows a customer by (``Address.person``: ``whatsapp:+4930...``,
``webchat:3f2a...``). A *person* is who the business talks to. An identity nobody linked is its
own person (its id is the identity): nothing is stored for it, so linking costs nothing until
it is used. Linking maps an identity to another person's id; unlinking maps it back to itself.

Profiles carry a version that grows with every write. A turn commits a profile only if its
version is still the one it read (``ProfileConflict`` otherwise): two conversations of one
person, on two channels and two processes, never overwrite each other's changes, and a link
that merges two profiles never loses a turn's write (``Relink.expect``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
TRIES = 8  # compare-and-set rounds before giving up (each lost round means someone else wrote)


class ProfileConflict(RuntimeError):
    """A profile changed since it was read: nothing was written; read it again and redo."""


@dataclass(frozen=True)
class Relink:
    """One atomic change of who is who: written whole only if every expectation still holds.

    ``moves``: identity -> the person it belongs to from now on (``""``: unlinked, its own again).
    ``profiles``: person -> the new profile (``None`` deletes it), each written at version + 1.
    ``expect``: person -> the profile version this change was computed from.
    ``owners``: identity -> the person it must still belong to.
    ``conversations``: conversation -> (the person it was filed under, the one it is filed under
    now): whose record (export, erase) lists it.
    """

    moves: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    expect: dict[str, int] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    conversations: dict[str, tuple[str, str]] = field(default_factory=dict)


class IdentityStore(Protocol):
    async def person_of(self, identity: str) -> str:
        """The person an identity belongs to (the identity itself when it was never linked)."""

    async def identities(self, person: str) -> list[str]:
        """Every identity that is the same person as ``person``, ``person`` first, the rest
        sorted; ``[person]`` when nothing is linked to it. Export and erasure (core/privacy)
        go through this one call, so every linked identity is covered."""

    async def versioned_profile(self, person: str) -> tuple[dict[str, Any], int]:
        """The profile and its version (0: never written)."""

    async def conversations(self, person: str) -> list[str]:
        """The conversations filed under a person (the ones its turns committed), sorted."""

    async def relink(self, change: Relink) -> bool:
        """Apply ``change`` atomically if its expectations hold; False (nothing written) if not."""


async def compare_and_set(store: IdentityStore, attempt: Callable[[], Awaitable[tuple[Relink, T]]]) -> T:
    """Read, compute, write if nothing moved, else again: ``attempt`` reads what it needs (the
    profiles with their versions, in ``Relink.expect``) and returns the change with its result.
    A round that another writer beat (a turn committing the same profile) writes nothing and is
    computed again from what that writer left. Raises ProfileConflict after ``TRIES`` lost
    rounds; an exception from ``attempt`` (a refusal) ends it at once."""
    for _ in range(TRIES):
        change, result = await attempt()
        if await store.relink(change):
            return result
    raise ProfileConflict(f"the profile kept changing ({TRIES} rounds)")
