"""``IdentityStore`` on Redis: RedisStore mixes it in. Keys (under the store's hash tag):
``ident:<identity>`` -> person for a linked identity, ``idents:<person>`` the set of its
identities, ``pver:<person>`` its profile's version (moved on by every profile write; COMMIT and
RELINK in redis_lua.py compare it)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from parley.core.storage.identities import Relink
from parley.core.storage.redis_client import AnyRedis


class RedisIdentities:
    r: AnyRedis  # one server or a cluster (redis_client.py)
    p: str
    _up: Callable[[Awaitable[Any]], Awaitable[Any]]
    _relink: Callable[..., Awaitable[Any]]

    async def person_of(self, identity: str) -> str:
        return await self._up(self.r.get(f"{self.p}ident:{identity}")) or identity

    async def identities(self, person: str) -> list[str]:
        owner = await self.person_of(person)
        members = await self._up(self.r.smembers(f"{self.p}idents:{owner}"))
        return [person, *sorted(i for i in members if i != person)]

    async def versioned_profile(self, person: str) -> tuple[dict[str, Any], int]:
        body, version = await self._up(self.r.mget(f"{self.p}profile:{person}", f"{self.p}pver:{person}"))
        return json.loads(body or "{}"), int(version or 0)

    async def conversations(self, person: str) -> list[str]:
        return sorted(await self._up(self.r.smembers(f"{self.p}links:{person}")))

    async def relink(self, change: Relink) -> bool:
        body = {
            "moves": [[i, p] for i, p in change.moves.items()],
            "profiles": [[p, None if v is None else json.dumps(v)] for p, v in change.profiles.items()],
            "expect": [[p, v] for p, v in change.expect.items()],
            "owners": [[i, p] for i, p in change.owners.items()],
            "conversations": [[c, old, new] for c, (old, new) in change.conversations.items()],
        }
        return bool(await self._up(self._relink(args=[self.p, json.dumps(body)])))
