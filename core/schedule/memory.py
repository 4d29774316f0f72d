"""In-process schedule for tests and ``memory://``: the same semantics as SQLite and Redis."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from parley.core.schedule.people_search import PeopleQuery, matches
from parley.core.schedule.store import (
    CANCELLED,
    ERASED,
    LIVE,
    MAX_CLAIM,
    CampaignRecord,
    Claimed,
    PersonEntry,
    ScheduleStats,
    Send,
    Waiting,
    campaign_of,
    campaign_range,
    person_ranges,
)


class MemoryScheduleStore:
    def __init__(self, clock=time.time) -> None:
        self.clock = clock
        self._sends: dict[str, dict[str, Any]] = {}
        self._token = 0
        self._campaigns: dict[str, str] = {}
        self._counts: dict[str, Counter[str]] = {}
        self._people: dict[str, str] = {}

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def add(self, sends: list[Send]) -> int:
        new = 0
        for send in sends:
            if send.id in self._sends:
                continue
            self._sends[send.id] = {"status": "due", "due": send.due, "data": send.data, "token": 0, "lease": 0.0}
            new += 1
            if campaign_of(send.id):
                self._counts.setdefault(campaign_of(send.id), Counter())["planned"] += 1
        return new

    async def claim(self, limit: int, lease: float, now: float | None = None) -> list[Claimed]:
        now = self.clock() if now is None else now
        for row in self._sends.values():
            if row["status"] == "inflight" and row["lease"] <= now:
                row["status"] = "due"  # its holder died: due again, at its old time
        due = sorted(
            ((sid, r) for sid, r in self._sends.items() if r["status"] == "due" and r["due"] <= now),
            key=lambda p: p[1]["due"],
        )[: min(limit, MAX_CLAIM)]
        if not due:
            return []
        self._token += 1
        for _, row in due:
            row.update(status="inflight", token=self._token, lease=now + lease)
        return [Claimed(sid, r["due"], self._token, r["data"]) for sid, r in due]

    def _held(self, send_id: str, token: int) -> dict[str, Any] | None:
        row = self._sends.get(send_id)
        if row is None or row["status"] != "inflight" or row["token"] != token:
            return None
        return row

    async def ack(self, send_id: str, token: int, outcome: str) -> bool:
        row = self._held(send_id, token)
        if row is None:
            return False
        row.update(status=outcome, data="", token=0)
        if campaign_of(send_id):
            self._counts.setdefault(campaign_of(send_id), Counter())[outcome] += 1
        return True

    async def ack_many(self, acks: list[tuple[str, int, str]]) -> int:
        return sum([await self.ack(send_id, token, outcome) for send_id, token, outcome in acks])

    async def reschedule(self, send_id: str, token: int, at: float) -> bool:
        row = self._held(send_id, token)
        if row is None:
            return False
        row.update(status="due", due=at, token=0)
        return True

    async def cancel(self, send_id: str) -> bool:
        row = self._sends.get(send_id)
        live = row is not None and row["status"] in ("due", "inflight")
        self._sends[send_id] = {"status": CANCELLED, "due": 0.0, "data": "", "token": 0, "lease": 0.0}
        return live

    async def status(self, send_id: str) -> str | None:
        row = self._sends.get(send_id)
        return row["status"] if row else None

    async def holds(self, send_id: str, token: int) -> bool:
        return self._held(send_id, token) is not None

    async def stats(self, now: float) -> ScheduleStats:
        due = [r["due"] for r in self._sends.values() if r["status"] == "due"]
        inflight = sum(r["status"] == "inflight" for r in self._sends.values())
        now_due = sum(d <= now for d in due)
        return ScheduleStats(now_due, len(due) - now_due, inflight, min(due) if due else None)

    async def due_at(self, send_id: str) -> float | None:
        row = self._sends.get(send_id)
        return row["due"] if row and row["status"] == "due" else None

    async def waiting(self, campaign: str, after: str, limit: int) -> list[Waiting]:
        low, high = campaign_range(campaign)
        ids = sorted(
            sid
            for sid, row in self._sends.items()
            if low <= sid < high and sid > after and row["status"] in ("due", "inflight")
        )[:limit]
        rows = [(sid, self._sends[sid]) for sid in ids]
        return [Waiting(sid, r["status"], r["due"] if r["status"] == "due" else None) for sid, r in rows]

    async def cancel_campaign(self, campaign: str) -> int:
        live = [w.id for w in await self.waiting(campaign, "", len(self._sends))]
        for send_id in live:
            await self.cancel(send_id)
        if live:
            await self.count(campaign, "skipped:cancelled", len(live))
        return len(live)

    async def put_campaign(self, record: CampaignRecord) -> None:
        self._campaigns[record.id] = record.to_json()

    async def campaign(self, campaign: str) -> CampaignRecord | None:
        raw = self._campaigns.get(campaign)
        return CampaignRecord.from_json(raw) if raw else None

    async def campaigns(self) -> list[CampaignRecord]:
        return [CampaignRecord.from_json(raw) for _, raw in sorted(self._campaigns.items())]

    async def count(self, campaign: str, what: str, n: int = 1) -> None:
        self._counts.setdefault(campaign, Counter())[what] += n

    async def progress(self, campaign: str) -> dict[str, int]:
        return dict(self._counts.get(campaign, {}))

    async def put_person(self, entry: PersonEntry) -> None:
        self._people[entry.person] = entry.to_json()

    async def person(self, person: str) -> PersonEntry | None:
        raw = self._people.get(person)
        return PersonEntry.from_json(raw) if raw else None

    async def people(self, after: str, limit: int) -> list[PersonEntry]:
        keys = sorted(k for k in self._people if k > after)[:limit]
        return [PersonEntry.from_json(self._people[k]) for k in keys]

    async def forget_person(self, person: str, conversations: Sequence[str] = ()) -> int:
        removed = 1 if self._people.pop(person, None) is not None else 0
        for low, high in person_ranges(list(self._campaigns), person, conversations):
            for send_id in [sid for sid in self._sends if low <= sid < high]:
                if self._sends.pop(send_id)["status"] in LIVE and campaign_of(send_id):
                    await self.count(campaign_of(send_id), ERASED)
                removed += 1
        return removed

    async def forget_people(self, people: Sequence[tuple[str, Sequence[str]]]) -> list[int]:
        return [await self.forget_person(person, conversations) for person, conversations in people]

    async def person_sends(self, persons: Sequence[str], conversations: Sequence[str]) -> list[Waiting]:
        ranges = [r for p in persons for r in person_ranges(list(self._campaigns), p, conversations)]
        rows = sorted((sid, r) for sid, r in self._sends.items() if any(lo <= sid < hi for lo, hi in ranges))
        return [Waiting(sid, r["status"], r["due"] if r["status"] == "due" else None) for sid, r in rows]

    async def purge_index(self) -> None:
        pass

    async def inactive(self, before: float, limit: int) -> list[str]:
        entries = (PersonEntry.from_json(raw) for raw in self._people.values())
        silent = sorted((e.last_seen, e.person) for e in entries if 0 < e.last_seen < before)
        return [person for _, person in silent[:limit]]

    async def expire_sends(self, before: float, limit: int) -> int:
        done = [sid for sid, r in self._sends.items() if r["status"] not in (*LIVE, CANCELLED) and r["due"] < before]
        for send_id in done[:limit]:
            del self._sends[send_id]
        return len(done[:limit])

    async def recent_people(self, limit: int) -> list[PersonEntry]:
        entries = [PersonEntry.from_json(raw) for raw in self._people.values()]
        return sorted(entries, key=lambda e: e.last_seen, reverse=True)[:limit]

    async def find_people(self, query: PeopleQuery, limit: int) -> list[PersonEntry]:
        found = (PersonEntry.from_json(raw) for _, raw in sorted(self._people.items()))
        return list(itertools.islice((e for e in found if matches(e, query)), limit))
