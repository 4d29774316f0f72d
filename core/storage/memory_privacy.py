"""``PrivacyStore`` in memory (tests, ``memory://``): MemoryStore mixes it in."""

from __future__ import annotations

from typing import Any

from parley.core.privacy.mentions import Mentions
from parley.core.storage.accounts import AuditEntry
from parley.core.storage.privacy import Expiring, opened_at
from parley.core.storage.store import InboxItem


class MemoryPrivacy:
    _kv: dict[str, tuple[str, float | None]]
    _seen: dict[str, float]
    _inbox: dict[str, InboxItem]
    _outbox: dict[str, dict[str, Any]]
    _unfinished: dict[str, set[str]]
    _audit: list[AuditEntry]

    async def forget_mentions(self, mentions: Mentions) -> int:
        if mentions.pattern is None:
            return 0
        found = mentions.found
        kv = [k for k, (v, _) in self._kv.items() if found(k) or found(v)]
        seen = [k for k in self._seen if found(k)]
        inbox = [k for k, i in self._inbox.items() if found(i.inbound.model_dump_json())]
        outbox = [
            k
            for k, r in self._outbox.items()
            if found(r["item"].address.model_dump_json()) or found(r["item"].reply.model_dump_json())
        ]
        for key in kv:
            del self._kv[key]
        for key in seen:
            del self._seen[key]
        for key in inbox:
            del self._inbox[key]
        for key in outbox:
            self._unfinished.get(self._outbox.pop(key)["item"].address.conversation, set()).discard(key)
        for key in [k for k, ids in self._unfinished.items() if not ids and found(k)]:
            del self._unfinished[key]  # an address's empty queue still names it
        return len(kv) + len(seen) + len(inbox) + len(outbox)

    async def expire(self, what: Expiring, before: float, limit: int) -> int:
        if what is Expiring.AUDIT:
            old = [e for e in self._audit if e.at < before][:limit]
            self._audit = [e for e in self._audit if e not in old]
            return len(old)
        if what is Expiring.OUTBOX:
            done = [k for k, r in self._outbox.items() if r["status"] in ("sent", "failed") and r["updated"] < before]
            for key in done[:limit]:
                del self._outbox[key]
            return len(done[:limit])
        leads = [k for k, (v, _) in sorted(self._kv.items()) if k.startswith("case:lead:") and opened_at(v) < before]
        for key in leads[:limit]:
            del self._kv[key]
        return len(leads[:limit])
