"""``IdentityStore`` in memory (tests, ``memory://``): MemoryStore mixes it in."""

from __future__ import annotations

import copy
from typing import Any

from parley.core.storage.identities import ProfileConflict, Relink


class MemoryIdentities:
    _profiles: dict[str, dict[str, Any]]
    _links: dict[str, set[str]]  # person -> conversations filed under it

    def _init_identities(self) -> None:
        self._owner: dict[str, str] = {}  # identity -> person, linked identities only
        self._versions: dict[str, int] = {}  # person -> profile version

    def _people(self, identities: set[str]) -> dict[str, str]:
        return {i: self._owner[i] for i in identities if i in self._owner}

    def _check_versions(self, versions: dict[str, int] | None) -> None:
        for person, version in (versions or {}).items():
            if self._versions.get(person, 0) != version:
                raise ProfileConflict(person)

    def _put_profile(self, person: str, profile: dict[str, Any] | None) -> None:
        if profile is None:
            self._profiles.pop(person, None)
        else:
            self._profiles[person] = copy.deepcopy(profile)
        self._versions[person] = self._versions.get(person, 0) + 1

    async def person_of(self, identity: str) -> str:
        return self._owner.get(identity, identity)

    async def identities(self, person: str) -> list[str]:
        owner = self._owner.get(person, person)
        return [person, *sorted(i for i, p in self._owner.items() if p == owner and i != person)]

    async def versioned_profile(self, person: str) -> tuple[dict[str, Any], int]:
        return copy.deepcopy(self._profiles.get(person, {})), self._versions.get(person, 0)

    async def conversations(self, person: str) -> list[str]:
        return sorted(self._links.get(person, set()))

    async def relink(self, change: Relink) -> bool:
        if any(self._versions.get(p, 0) != v for p, v in change.expect.items()):
            return False
        if any(self._owner.get(i, i) != p for i, p in change.owners.items()):
            return False
        for identity, person in change.moves.items():
            if not person:
                self._owner.pop(identity, None)
            else:
                self._owner[identity] = person
        for person, profile in change.profiles.items():
            self._put_profile(person, profile)
        for conversation, (old, new) in change.conversations.items():
            self._links.get(old, set()).discard(conversation)
            self._links.setdefault(new, set()).add(conversation)
        return True
