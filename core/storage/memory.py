"""In-process store for tests and ``memory://``: same semantics as SQLite, nothing durable."""

from __future__ import annotations

import copy
import itertools
import time
from typing import Any

from parley.core.storage.memory_accounts import MemoryAccounts
from parley.core.storage.memory_identities import MemoryIdentities
from parley.core.storage.memory_leads import MemoryLeads
from parley.core.storage.memory_privacy import MemoryPrivacy
from parley.core.storage.store import Batch, Failed, InboxItem, LockLost, OutboxItem, OutboxStats, Outcome, Retry, Sent


class MemoryStore(MemoryAccounts, MemoryLeads, MemoryIdentities, MemoryPrivacy):
    def __init__(self, clock=time.time, owner: str = "") -> None:
        self.clock = clock
        self.owner = owner  # recorded on every lock and lease this store takes (liveness.py)
        self._seq = itertools.count(1)
        self._tokens = itertools.count(1)
        self._seen: dict[str, float] = {}
        self._inbox: dict[str, InboxItem] = {}
        self._locks: dict[str, tuple[int, float, str]] = {}  # conversation -> (token, until, owner)
        self._state: dict[str, dict[str, Any]] = {}
        self._profiles: dict[str, dict[str, Any]] = {}
        self._links: dict[str, set[str]] = {}
        self._outbox: dict[str, dict[str, Any]] = {}
        self._unfinished: dict[str, set[str]] = {}  # address -> ids pending or sending
        self._kv: dict[str, tuple[str, float | None]] = {}
        self._init_accounts()
        self._init_leads()
        self._init_identities()

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def ping(self) -> None:
        pass

    # -- inbox -------------------------------------------------------------------------------
    async def accept(self, item: InboxItem, dedupe_ttl: float) -> bool:
        now = self.clock()
        if self._seen.get(item.id, 0) > now:
            return False
        self._seen[item.id] = now + dedupe_ttl
        self._inbox[item.id] = InboxItem(item.id, item.conversation, item.inbound, item.accepted_at, next(self._seq))
        return True

    async def begin(self, conversation, lease, limit, now, reclaim=False) -> Batch | None:
        held = self._locks.get(conversation)
        if held and held[1] > now and not (reclaim and self.owner and held[2] == self.owner):
            return None
        token = next(self._tokens)
        self._locks[conversation] = (token, now + lease, self.owner)
        items = sorted((i for i in self._inbox.values() if i.conversation == conversation), key=lambda i: i.seq)[:limit]
        people = self._people({i.inbound.address.person for i in items})
        persons = {people.get(i.inbound.address.person, i.inbound.address.person) for i in items}
        return Batch(
            token,
            items,
            copy.deepcopy(self._state.get(conversation, {})),
            {p: copy.deepcopy(self._profiles.get(p, {})) for p in persons},
            people,
            {p: self._versions.get(p, 0) for p in persons},
        )

    async def commit(self, conversation, token, done, state, profiles, outbox, release=False, lease=0.0, versions=None):
        held = self._locks.get(conversation)
        if not held or held[0] != token or held[1] <= self.clock():
            raise LockLost(conversation)
        self._check_versions(versions)
        self._state[conversation] = copy.deepcopy(state)
        for person, profile in profiles.items():
            self._put_profile(person, profile)
            self._links.setdefault(person, set()).add(conversation)
        now = self.clock()
        leased = []
        if lease > 0 and outbox and outbox[0].due_at <= now:
            first = outbox[0]  # the first reply goes at once if nothing of its address is unfinished
            if first.id not in self._outbox and not self._unfinished.get(first.address.conversation):
                await self.enqueue([first])
                leased = [self._lease_row(self._outbox[first.id], now, lease)]
        await self.enqueue(outbox)
        self._inbox.pop(done, None)
        if release:
            del self._locks[conversation]
        return leased

    async def release(self, conversation: str, token: int) -> None:
        held = self._locks.get(conversation)
        if held and held[0] == token:
            del self._locks[conversation]

    async def stale(self, accepted_before: float, limit: int) -> list[str]:
        convs: list[str] = []
        for item in sorted(self._inbox.values(), key=lambda i: i.seq):
            if item.accepted_at < accepted_before and item.conversation not in convs:
                convs.append(item.conversation)
        return convs[:limit]

    # -- outbox ------------------------------------------------------------------------------
    async def enqueue(self, items: list[OutboxItem]) -> int:
        new = 0
        for item in items:
            if item.id in self._outbox:
                continue
            new += 1
            self._unfinished.setdefault(item.address.conversation, set()).add(item.id)
            self._outbox[item.id] = {
                "item": item,
                "seq": next(self._seq),
                "status": "pending",
                "due": item.due_at,
                "attempts": item.attempts,
                "token": 0,
                "lease": 0.0,
                "owner": "",
                "error": "",
                "platform_id": "",
                "updated": item.due_at,
            }
        return new

    async def claim(self, now: float, limit: int, lease: float) -> list[OutboxItem]:
        rows = sorted(
            (r for r in self._outbox.values() if r["status"] in ("pending", "sending")),
            key=lambda r: r["seq"],
        )
        blocked: set[str] = set()
        out: list[OutboxItem] = []
        for row in rows:
            key = row["item"].address.conversation
            if key in blocked:
                continue
            blocked.add(key)  # only the oldest unfinished item per address may go
            claimable = (row["status"] == "pending" and row["due"] <= now) or (
                row["status"] == "sending" and row["lease"] <= now
            )
            if not claimable or len(out) >= limit:
                continue
            out.append(self._lease_row(row, now, lease))
        return out

    def _lease_row(self, row: dict[str, Any], now: float, lease: float) -> OutboxItem:
        token = next(self._tokens)
        row.update(status="sending", token=token, lease=now + lease, owner=self.owner)
        item: OutboxItem = row["item"]
        return OutboxItem(
            item.id, item.address, item.reply, row["due"], row["attempts"], token, row["seq"], item.max_attempts
        )

    async def settle(self, item_id: str, token: int, outcome: Outcome, now: float) -> bool:
        row = self._outbox.get(item_id)
        if not row or row["token"] != token or row["status"] != "sending":
            return False
        row["updated"] = now  # what retention measures a finished record's age by
        if not isinstance(outcome, Retry):  # sent or failed: finished
            self._unfinished.get(row["item"].address.conversation, set()).discard(item_id)
        if isinstance(outcome, Sent):
            row.update(status="sent", platform_id=outcome.platform_id)
        elif isinstance(outcome, Retry):
            attempts = row["attempts"] + (1 if outcome.counts else 0)
            row.update(status="pending", due=outcome.at, attempts=attempts, error=outcome.error)
        elif isinstance(outcome, Failed):
            row.update(status="failed", error=outcome.error)
        return True

    async def release_dead(self, dead, now: float) -> int:
        freed = [c for c, (_, until, owner) in self._locks.items() if until > now and owner and dead(owner)]
        for conversation in freed:
            del self._locks[conversation]
        rows = [r for r in self._outbox.values() if r["status"] == "sending" and r["lease"] > now]
        leases = [r for r in rows if r["owner"] and dead(r["owner"])]
        for row in leases:
            row["lease"] = now  # claimable now; the next claim hands out a new token
        return len(freed) + len(leases)

    async def outbox_stats(self) -> OutboxStats:
        stats = OutboxStats()
        for row in self._outbox.values():
            setattr(stats, row["status"], getattr(stats, row["status"]) + 1)
            if row["status"] == "failed":
                stats.errors[row["error"]] = stats.errors.get(row["error"], 0) + 1
            if row["status"] == "pending":
                stats.oldest_due = min(stats.oldest_due or row["due"], row["due"])
        return stats

    # -- key/value ---------------------------------------------------------------------------
    async def get(self, key: str) -> str | None:
        value = self._kv.get(key)
        if value is None or (value[1] is not None and value[1] <= self.clock()):
            return None
        return value[0]

    async def put(self, key: str, value: str, ttl: float | None = None) -> None:
        self._kv[key] = (value, self.clock() + ttl if ttl else None)

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        if await self.get(key) is not None:
            return False
        await self.put(key, value, ttl)
        return True

    async def delete(self, key: str) -> None:
        self._kv.pop(key, None)

    # -- people ------------------------------------------------------------------------------
    async def profile(self, person: str) -> dict[str, Any]:
        return copy.deepcopy(self._profiles.get(person, {}))

    async def save_profile(self, person: str, profile: dict[str, Any]) -> None:
        self._put_profile(person, profile)

    async def state(self, conversation: str) -> dict[str, Any]:
        return copy.deepcopy(self._state.get(conversation, {}))

    async def export_person(self, person: str) -> dict[str, Any]:
        convs = sorted(self._links.get(person, set()))
        return {
            "person": person,
            "profile": copy.deepcopy(self._profiles.get(person, {})),
            "conversations": {c: copy.deepcopy(self._state.get(c, {})) for c in convs},
            "outbox": [
                {"id": r["item"].id, "text": r["item"].reply.text, "status": r["status"]}
                for r in self._outbox.values()
                if r["item"].address.person == person
            ],
        }

    async def erase_person(self, person: str) -> int:
        removed = 0
        if self._profiles.pop(person, None) is not None:
            removed += 1
        for identity in [i for i, p in self._owner.items() if person in (i, p)]:
            del self._owner[identity]  # its identities are their own again
        self._versions.pop(person, None)  # nothing keeps their id (erase waits for their turns)
        for conv in self._links.pop(person, set()):
            if self._state.pop(conv, None) is not None:
                removed += 1
        for key in [k for k, r in self._outbox.items() if r["item"].address.person == person]:
            self._unfinished.get(self._outbox.pop(key)["item"].address.conversation, set()).discard(key)
            removed += 1
        for key in [k for k, i in self._inbox.items() if i.inbound.address.person == person]:
            del self._inbox[key]
            removed += 1
        return removed
