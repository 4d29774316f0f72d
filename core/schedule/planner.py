"""The planner: turns a running campaign into sends, a chunk of people at a time.

Each send's ``due`` is the next opening of the campaign's window in the recipient's own time zone
(outside their locale's quiet hours), spread inside the window at the channel's rate so a million
sends do not all fall due at 10:00:00. Ids are deterministic and inserted only if new, and the
cursor is saved after the chunk: a planner killed mid-chunk re-plans it and creates nothing twice.
At most ``lookahead`` sends per campaign wait in the store, which bounds Redis memory.

It runs as a singleton: parley.app runs it under a store lease (``Parley.singleton``), so one
process plans while all of them dispatch. Two planners overlapping would still be safe (inserts
are if-new), just wasteful.
"""

from __future__ import annotations

import asyncio
import logging
import time as wall
from collections import Counter
from dataclasses import dataclass, field

from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock, as_datetime, system_clock
from parley.core.kernel.outage import Outage
from parley.core.schedule.audience import TARGETING, Out, exclusion
from parley.core.schedule.campaigns import (
    WHATSAPP,
    CampaignError,
    CampaignSpec,
    check_audience,
    check_spec,
    locale_of,
    parse_spec,
    render,
)
from parley.core.schedule.store import FINAL, CampaignRecord, PersonEntry, ScheduleStore, Send, campaign_send_id
from parley.core.schedule.timing import TimingError, hhmm, next_opening, zone
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.planner")


SHOWN = 50  # recipients and exclusions listed by person in a preview (the rest are counted)


@dataclass
class Preview:
    count: int = 0
    by_locale: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    whatsapp_locales: set[str] = field(default_factory=set)
    excluded: Counter[str] = field(default_factory=Counter)  # targeted, then left out: by reason
    untargeted: Counter[str] = field(default_factory=Counter)  # outside the filters: by filter
    recipients: list[dict] = field(default_factory=list)  # the first SHOWN, with their first send
    left_out: list[dict] = field(default_factory=list)  # the first SHOWN excluded, with the reason
    first_send: float | None = None
    last_first_send: float | None = None

    def as_json(self) -> dict:
        return {
            "count": self.count,
            "by_locale": dict(self.by_locale),
            "samples": self.samples,
            "excluded": dict(self.excluded),
            "untargeted": dict(self.untargeted),
            "recipients": self.recipients,
            "left_out": self.left_out,
            "first_send": iso(self.first_send),
            "last_first_send": iso(self.last_first_send),
        }


def iso(ts: float | None) -> str | None:
    return None if ts is None else as_datetime(ts).isoformat(timespec="seconds")


def _who(entry: PersonEntry, code: str) -> dict:
    return {"person": entry.person, "name": entry.name, "channel": entry.address.channel, "locale": code}


async def preview(
    sched: ScheduleStore, spec: CampaignSpec, catalog: LocaleCatalog, now: float, rates: dict[str, float] | None = None
) -> Preview:
    """Who would receive it and when each first send goes, who is left out and why, by locale
    with one sample rendering per locale (a dry run: it writes nothing)."""
    out = Preview()
    position = 0
    cursor = ""
    counted: set[str] = set()  # linked people already in: one message per person
    while page := await sched.people(cursor, 1000):
        cursor = page[-1].person
        for entry in page:
            if entry.owner and entry.owner in counted:
                continue
            code = locale_of(entry, catalog)
            reason = exclusion(spec.audience, spec.kind, entry, catalog, now)
            due = None
            if reason is None:
                rate = spec.rate or (rates or {}).get(entry.address.channel, 30.0)
                due = due_for(spec, entry, catalog, now, position / rate)
                reason = Out.NO_WINDOW if due is None else None
            if reason in TARGETING:
                out.untargeted[reason] += 1
                continue
            if reason is not None:
                out.excluded[reason] += 1
                if len(out.left_out) < SHOWN:
                    out.left_out.append(_who(entry, code) | {"reason": str(reason)})
                continue
            assert due is not None
            if entry.owner:
                counted.add(entry.owner)
            position += 1
            out.count += 1
            out.by_locale[code] += 1
            out.first_send = due if out.first_send is None else min(out.first_send, due)
            out.last_first_send = max(out.last_first_send or due, due)
            if len(out.recipients) < SHOWN:
                out.recipients.append(_who(entry, code) | {"first_send": iso(due)})
            if entry.address.channel == WHATSAPP:
                out.whatsapp_locales.add(code)
            if code not in out.samples:
                out.samples[code] = render(spec, entry, catalog).text
    return out


async def create(
    sched: ScheduleStore, body: dict, catalog: LocaleCatalog, now: float
) -> tuple[CampaignRecord, Preview]:
    """Validate and store a new campaign (status draft); raises CampaignError with the reason."""
    spec = parse_spec(body)
    check_spec(spec, catalog, now)
    if await sched.campaign(spec.id) is not None:
        raise CampaignError(f"id: campaign {spec.id!r} already exists")
    seen = await preview(sched, spec, catalog, now)
    check_audience(spec, seen.by_locale, seen.whatsapp_locales, catalog)
    record = CampaignRecord(spec.id, spec.model_dump(mode="json"), "draft", created_at=now)
    await sched.put_campaign(record)
    return record, seen


def due_for(spec: CampaignSpec, entry: PersonEntry, catalog: LocaleCatalog, now: float, slot: float) -> float | None:
    """When this person's message should go: window opening in their zone, plus its slot."""
    head = catalog.get(locale_of(entry, catalog)).head
    try:
        tz = zone(entry.tz or spec.timezone)
    except TimingError:
        tz = zone(spec.timezone)  # a bad zone on one profile must not stop the campaign
    quiet = (hhmm(head.quiet_hours[0]), hhmm(head.quiet_hours[1]))
    opening = next_opening(max(now, spec.start_for(tz)), tz, spec.effective_window().window(), quiet, head.weekend)
    if opening is None:
        return None
    opens, closes = opening
    return opens + slot % max(1.0, closes - opens - 1)


class Planner:
    def __init__(
        self,
        sched: ScheduleStore,
        catalog: LocaleCatalog,
        clock: Clock = system_clock,
        rates: dict[str, float] | None = None,
        *,
        chunk: int = 500,
        lookahead: int = 20_000,
        idle: float = 1.0,
    ) -> None:
        self.sched = sched
        self.catalog = catalog
        self.clock = clock
        self.rates = rates or {}
        self.chunk = chunk
        self.lookahead = lookahead
        self.idle = idle
        self.outage = Outage(log, "planner")

    async def run(self) -> None:
        while True:
            try:
                planned = await self.step()
                self.outage.ok()
            except StoreUnavailable as exc:
                self.outage.failed(exc)  # one line per outage, not one per second
                planned = 0
            except Exception:
                log.exception("planner step failed")
                planned = 0
            await asyncio.sleep(0 if planned else self.idle)

    async def step(self) -> int:
        """Plan one chunk for each running campaign that needs one; returns chunks done."""
        done = 0
        for record in await self.sched.campaigns():
            if record.status == "running" and not record.planned_all:
                done += await self.plan_chunk(record) is not None
            elif record.status == "running" and not await self.waiting(record.id):
                fresh = await self.sched.campaign(record.id) or record
                fresh.status = "done" if fresh.status == "running" else fresh.status
                await self.sched.put_campaign(fresh)
        return done

    async def waiting(self, campaign: str) -> int:
        """Sends planned and not finished yet."""
        counts = await self.sched.progress(campaign)
        finished = sum(n for k, n in counts.items() if k.split(":")[0] in FINAL and not k.startswith("failed:outbox"))
        return counts.get("planned", 0) - finished

    async def plan_chunk(self, record: CampaignRecord, *, bounded: bool = True) -> int | None:
        """Plan the next chunk of people; the sends planned, or None when enough are waiting
        (``bounded``: the lookahead caps what waits; ``plan_all`` plans everything)."""
        if bounded and await self.waiting(record.id) >= self.lookahead:
            return None  # enough waiting already: plan more as these go out
        spec = CampaignSpec.model_validate(record.spec)
        page = await self.sched.people(record.cursor, self.chunk)
        now = self.clock()
        sends: list[Send] = []
        position = int(record.extra.get("position", 0))
        for entry in page:
            if exclusion(spec.audience, spec.kind, entry, self.catalog, now) is not None:
                continue
            rate = spec.rate or self.rates.get(entry.address.channel, 30.0)
            due = due_for(spec, entry, self.catalog, now, position / rate)
            if due is not None:
                # One send per person: a linked person's identities share its id, and the add
                # below inserts an id once (the dispatcher picks the channel, core/linking/best.py).
                sends.append(Send(campaign_send_id(spec.id, entry.owner or entry.person), due))
                position += 1
        if sends:
            await self.sched.add(sends)
        fresh = await self.sched.campaign(record.id) or record  # keep a status set meanwhile
        fresh.cursor = page[-1].person if page else fresh.cursor
        fresh.planned_all = not page
        fresh.extra["position"] = position
        await self.sched.put_campaign(fresh)
        return len(sends)


async def plan_all(planner: Planner, campaign: str) -> int:
    """Plan a whole campaign now (the CLI and the benchmark); returns the sends planned."""
    total = 0
    started = wall.perf_counter()
    while (record := await planner.sched.campaign(campaign)) and not record.planned_all:
        total += await planner.plan_chunk(record, bounded=False) or 0
    log.info("planned", extra={"campaign": campaign, "seconds": round(wall.perf_counter() - started, 2)})
    return total


__all__ = ["CampaignError", "Planner", "Preview", "create", "plan_all", "preview"]
