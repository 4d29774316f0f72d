"""A data subject's rights, in one place for the admin API, the console and the command line:
everything held about a person as one document (export), and erasing all of it from every store
(erase). Both go through every identity of the person (``PrivacyStore.identities``), and both are
written to the audit log under the operator who asked, with their reason.

Erasure holds each of the person's conversations' locks while it works: a turn in flight
finishes (and commits) first, and no turn can write them back until the erasure is done. A new
message that arrives afterwards is a new conversation with someone who wrote again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from parley.core.analytics.store import AnalyticsStore
from parley.core.linking.channels import consent_of
from parley.core.privacy.audit import Action, Audit, Operator
from parley.core.privacy.held import Held, gather
from parley.core.privacy.mentions import Mentions
from parley.core.schedule.people_search import with_tag, without_tag
from parley.core.schedule.store import PersonEntry, ScheduleStore
from parley.core.storage.store import Store

T = TypeVar("T")
LEASE = 60.0  # seconds an erasure may hold a conversation (it takes milliseconds)
QUESTION_DAYS = 800  # how long the analytics keep unanswered questions (RedisAnalyticsStore.keep)


PARALLEL = 8  # calls in flight at once: enough for SQLite's group commit, within a Redis pool


async def bounded(calls: Iterable[Awaitable[T]], return_exceptions: bool = False) -> list[T]:
    """``asyncio.gather`` with at most ``PARALLEL`` of ``calls`` running at a time."""
    gate = asyncio.Semaphore(PARALLEL)

    async def one(call: Awaitable[T]) -> T:
        async with gate:
            return await call

    return await asyncio.gather(*(one(c) for c in calls), return_exceptions=return_exceptions)


class Busy(RuntimeError):
    """A conversation of the person stayed locked longer than the wait: try again."""


@dataclass(frozen=True)
class Erased:
    removed: int
    identities: int
    conversations: int


class Subject:
    def __init__(
        self,
        store: Store,
        sched: ScheduleStore,
        analytics: AnalyticsStore | None,
        clock,
        wait: float = 10.0,
    ) -> None:
        self.store = store
        self.sched = sched
        self.analytics = analytics
        self.clock = clock
        self.wait = wait  # seconds to wait for a turn in flight before answering Busy
        self.audit = Audit(store, clock)

    async def held(self, person: str) -> Held | None:
        held = await gather(self.store, self.sched, person)
        return held if held.anything else None

    async def export(self, person: str, by: Operator) -> dict[str, Any] | None:
        """Everything held about the person as one JSON document; None when nothing is."""
        held = await self.held(person)
        if held is None:
            await self.audit.record(by, Action.EXPORT, person, "nothing held")
            return None
        mentions = held.mentions()
        sends = await self.sched.person_sends(held.identities, list(held.conversations))
        questions = []
        if self.analytics is not None:
            now = datetime.fromtimestamp(self.clock(), UTC)
            first = (now - timedelta(days=QUESTION_DAYS)).date().isoformat()
            asked = await self.analytics.questions(first, now.date().isoformat(), 100_000)
            questions = [{"text": q.text, "locale": q.locale, "times": q.n} for q in asked if mentions.in_text(q.text)]
        outbox = {i: (await self.store.export_person(i))["outbox"] for i in held.identities}
        # Marketing consent is per identity, in the person's profile (core/linking/channels.py).
        profile = await self.store.profile(await self.store.person_of(person))
        await self.audit.record(by, Action.EXPORT, person)
        return {
            "person": person,
            "exported_at": datetime.fromtimestamp(self.clock(), UTC).isoformat(),
            "identities": held.identities,
            "profiles": held.profiles,
            "index": {i: _plain(e) for i, e in held.entries.items()},
            "consent": {
                i: {"marketing": consent_of(profile, i), "channel": held.consent.get(i)} for i in held.identities
            },
            "conversations": held.conversations,
            "cases": held.cases,
            # The sales pipeline's records (LeadStore: source, outcome, value); the desk's lead
            # cards are under "cases".
            "leads": [json.loads(r.to_json()) for i in held.identities for r in await self.store.person_leads(i)],
            "feedback": [
                {"conversation": conv, **score}
                for conv, state in held.conversations.items()
                for score in state.get("csat_scores", ())
                if isinstance(score, dict)
            ],
            "sends": [{"id": w.id, "status": w.status, "due": w.due} for w in sends],
            "outbox": outbox,
            "unanswered_questions": questions,
        }

    async def erase(self, person: str, by: Operator) -> Erased | None:
        """Remove or anonymise everything held about the person, in every store; None when
        nothing is held (so an unknown id answers the same as an erased one: 404)."""
        return (await self.erase_many([person], by))[0]

    async def erase_many(self, people: list[str], by: Operator) -> list[Erased | None]:
        """``erase`` for several people at once (retention's batches): the scans for what only
        mentions them, the search index's merge and the campaigns' lists are done once for all.
        Busy if any of their conversations stays busy (then nothing is erased)."""
        # Concurrently wherever the calls are independent: SQLite's group commit then writes
        # a batch of them in one transaction instead of one each.
        helds = list(await bounded(self.held(person) for person in people))
        found = [h for h in helds if h is not None]
        await asyncio.gather(
            *(
                self.audit.record(by, Action.ERASE, p, "nothing held")
                for p, h in zip(people, helds, strict=True)
                if h is None
            )
        )  # recorded all the same: "nothing held" is an answer
        if not found:
            return [None] * len(people)
        mentions = Mentions.of(
            [n for h in found for n in h.mentions().needles], [n for h in found for n in h.mentions().names]
        )
        tokens = await self._lock(sorted({c for h in found for c in h.conversations}))
        try:
            own = dict(zip([h.person for h in found], await bounded(self._own(h) for h in found), strict=True))
            pairs = [(i, sorted(h.conversations)) for h in found for i in h.identities]
            whose = {i: h.person for h in found for i in h.identities}
            for (identity, _), n in zip(pairs, await self.sched.forget_people(pairs), strict=True):
                own[whose[identity]] += n
            shared = await self.store.forget_mentions(mentions)
            shared += await self._scrub_campaigns({i for h in found for i in h.identities})
            if self.analytics is not None:
                shared += await self.analytics.forget_questions(mentions)
            await self.sched.purge_index()
        finally:
            await asyncio.gather(*(self.store.release(conv, token) for conv, token in tokens.items()))
        out: list[Erased | None] = []
        for held in helds:
            # What only mentioned them is theirs when one person is erased; shared in a batch.
            removed = own[held.person] + (shared if len(found) == 1 else 0) if held else 0
            out.append(Erased(removed, len(held.identities), len(held.conversations)) if held else None)
        await asyncio.gather(
            *(
                self.audit.record(by, Action.ERASE, h.person, f"{e.removed} records")
                for h, e in zip(helds, out, strict=True)
                if h and e
            )
        )
        return out

    async def _own(self, held: Held) -> int:
        """What the store keys by the person's identities: their records and their leads."""
        removed = 0
        for identity in held.identities:
            removed += await self.store.erase_person(identity) + await self.store.forget_leads(identity)
        return removed

    async def _lock(self, conversations: list[str]) -> dict[str, int]:
        """Take every conversation's lock, waiting for a turn in flight to commit; Busy after
        ``wait`` seconds (and every lock taken is let go). A lock is only ever tried, never
        waited on while holding another's turn, so two erasures cannot deadlock."""
        deadline = asyncio.get_running_loop().time() + self.wait
        taken = await bounded((self._take(conv, deadline) for conv in conversations), return_exceptions=True)
        tokens = {conv: t for conv, t in zip(conversations, taken, strict=True) if isinstance(t, int)}
        failed = next((t for t in taken if isinstance(t, BaseException)), None)
        if failed is not None:
            await asyncio.gather(*(self.store.release(conv, token) for conv, token in tokens.items()))
            raise failed
        return tokens

    async def _take(self, conversation: str, deadline: float) -> int:
        while (batch := await self.store.begin(conversation, LEASE, 1, self.clock())) is None:
            if asyncio.get_running_loop().time() >= deadline:
                raise Busy(f"conversation {conversation} is busy")
            await asyncio.sleep(0.05)
        return batch.token

    async def _scrub_campaigns(self, identities: set[str]) -> int:
        """Take the person out of every campaign's imported list and planning cursor."""
        removed = 0
        for record in await self.sched.campaigns():
            audience = record.spec.get("audience") or {}
            listed = [p for p in audience.get("persons", ()) if p not in identities]
            if len(listed) == len(audience.get("persons", ())) and record.cursor not in identities:
                continue
            if "persons" in audience:
                removed += len(audience["persons"]) - len(listed)
                record.spec["audience"] = {**audience, "persons": listed}
            if record.cursor in identities:
                # Anything sorting just before it: planning resumes where it was (re-planning a
                # send that exists creates nothing).
                record.cursor = record.cursor[:-1]
            await self.sched.put_campaign(record)
        return removed


def _plain(entry: PersonEntry) -> dict[str, Any]:
    return json.loads(entry.to_json())


async def retag(store: Store, sched: ScheduleStore, person: str, tag: str, on: bool) -> tuple[str, ...]:
    """Tag or untag a person, case-insensitively, in their profile (what the next turn indexes)
    and in the index (what audiences and searches read now). Returns the tags after."""
    profile = await store.profile(person)
    entry = await sched.person(person)
    # Someone imported who never wrote has tags in the index only.
    before = tuple(str(t) for t in profile["tags"]) if "tags" in profile else (entry.tags if entry else ())
    after = with_tag(before, tag) if on else without_tag(before, tag)
    if profile:
        profile["tags"] = list(after)
        await store.save_profile(person, profile)
    if entry is not None:
        await sched.put_person(replace(entry, tags=after))
    return after
