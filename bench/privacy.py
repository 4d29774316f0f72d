"""Erasing one person, and the retention job, on SQLite and on Redis.

    .venv/bin/python -m bench.privacy --store sqlite --others 20000 --convs 20 --sends 20
    .venv/bin/python -m bench.privacy --store redis --others 20000

Seeds ``--others`` people (a profile, a conversation, an index entry, a campaign send and a
key/value record each), then one person with ``--convs`` conversations, ``--sends`` campaign
sends, follow-ups, cases and questions, and times:

- the complete erasure (``Subject.erase``: every store, the mentions scan, the FTS merge) beside
  the baseline measured in the same run, the erase this change replaced (``store.erase_person``
  and the people index entry: what ``DELETE /api/people`` did before), on a twin of the person;
- the retention job erasing ``--silent`` silent people in batches (people/s and records/s), and
  expiring ``--audit`` audit entries beside the baseline of one unbatched DELETE (SQLite).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path

from parley.core.config.settings import Retention
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.privacy.audit import Operator, Via
from parley.core.privacy.retention import RetentionJob
from parley.core.privacy.subject import Subject
from parley.core.schedule.store import CampaignRecord, PersonEntry, Send
from parley.core.storage.accounts import AuditEntry
from parley.core.storage.store import InboxItem, OutboxItem

DAY = 86400.0
NOW = 1_764_583_200.0
BY = Operator("bench", Via.CLI, "benchmark")


async def open_stores(kind: str, folder: Path, clock):
    if kind == "sqlite":
        from parley.core.analytics.sqlite import SQLiteAnalyticsStore
        from parley.core.schedule.sqlite import SQLiteScheduleStore
        from parley.core.storage.sqlite import SQLiteStore

        store = SQLiteStore(folder / "bench.db", clock)
        sched, analytics = (
            SQLiteScheduleStore(store.path, clock, share=store),
            SQLiteAnalyticsStore(store.path, share=store),
        )
    else:
        from parley.core.analytics.redis import RedisAnalyticsStore
        from parley.core.schedule.redis import RedisScheduleStore
        from parley.core.storage.redis import RedisStore

        ns, url = f"bench-privacy-{uuid.uuid4().hex[:6]}", "redis://127.0.0.1:6379/15"
        store = RedisStore(url, clock, prefix=ns)
        sched, analytics = RedisScheduleStore(url, namespace=ns), RedisAnalyticsStore(url, namespace=ns)
    for part in (store, sched, analytics):
        await part.open()
    return store, sched, analytics


async def talk(store, address: Address, event: str, now: float, state: dict, profile: dict) -> None:
    inbound = Inbound(address=address, event_id=event, text="hello")
    await store.accept(InboxItem(f"{address.channel}:{event}", address.conversation, inbound, now), DAY)
    batch = await store.begin(address.conversation, 30, 1, now)
    reply = OutboxItem(f"{address.channel}:{event}:r0", address, Reply(text="hi"), now)
    await store.commit(
        address.conversation, batch.token, batch.items[0].id, state, {address.person: profile}, [reply], release=True
    )


async def seed_person(store, sched, analytics, person: str, convs: int, sends: int, now: float, seen: float) -> None:
    for c in range(convs):
        address = Address(channel="sms", chat=person, user=person, thread=f"t{c}" if c else "")
        state = {"history": [{"role": "user", "text": f"I am {person}"}] * 5, "lead": {"case": f"{c}{person[-6:]}"}}
        await talk(
            store, address, f"{person}-{c}", now, state, {"name": f"Name {person}", "cases": [f"lead:{c}{person[-6:]}"]}
        )
        await store.put(f"case:lead:{c}{person[-6:]}", json.dumps({"opened": seen, "address": address.model_dump()}))
        await sched.add([Send(f"fu:{address.conversation}:followup:{c}", now + DAY, "{}")])
    address = Address(channel="sms", chat=person, user=person)
    await store.put(f"consent:{address.person}", json.dumps({"status": "opted_in"}))
    await sched.put_person(PersonEntry(address.person, address, "en", last_seen=seen, name=f"Name {person}"))
    await sched.add([Send(f"c:spring:{address.person}:{s}", now + DAY) for s in range(sends)])
    await analytics.add_questions("2025-12-01", {("en", f"Name {person} asks about a refund"): 1})


async def population(store, sched, analytics, others: int, now: float) -> None:
    await sched.put_campaign(CampaignRecord("spring", {"audience": {}}, "running"))
    started = time.perf_counter()
    for n in range(others):
        await seed_person(store, sched, analytics, f"+1555{n:07d}", 1, 1, now, now - DAY)
    print(f"seeded {others:,} people in {time.perf_counter() - started:.1f} s")


async def timed(coro) -> tuple[float, object]:
    started = time.perf_counter()
    result = await coro
    return time.perf_counter() - started, result


async def main(args: argparse.Namespace) -> None:
    clock = ManualClock(NOW)
    with tempfile.TemporaryDirectory() as folder:
        store, sched, analytics = await open_stores(args.store, Path(folder), clock)
        try:
            # The old audit entries first: a log is appended in time order (Redis keeps it so).
            for n in range(2 * args.audit):
                age = (500 if n < args.audit else 400) * DAY
                await store.audit(AuditEntry(NOW - age, "bench", "person.tag", f"person#{n}"))
            await population(store, sched, analytics, args.others, NOW)
            subject = Subject(store, sched, analytics, clock)
            print(
                f"\n== erase one person with {args.convs} conversations and {args.sends} campaign sends "
                f"({args.store}, {args.others:,} others) =="
            )
            rows = []
            for round_ in range(args.repeat):
                full, base = f"+1999{round_:07d}", f"+1888{round_:07d}"
                for p in (full, base):
                    await seed_person(store, sched, analytics, p, args.convs, args.sends, NOW, NOW)
                took, erased = await timed(subject.erase(f"sms:{full}", BY))
                old = (await timed(store.erase_person(f"sms:{base}")))[0]
                old += (await timed(sched.forget_person(f"sms:{base}")))[0]
                rows.append((took, old, erased.removed))
            rows.sort()
            took, old, removed = rows[len(rows) // 2]
            print(f"complete erase (every store, mentions scan):  {took * 1000:8.1f} ms p50, {removed} records")
            print(f"baseline, the erase before (profile, state,  {old * 1000:8.1f} ms p50")
            print("  outbox, inbox, index entry)")
            await retention(args, store, sched, analytics, clock)
        finally:
            if args.store == "redis":
                keys = [k async for k in store.r.scan_iter(match=store.p.replace("{", "[{]") + "*")]
                for start in range(0, len(keys), 1000):
                    await store.r.delete(*keys[start : start + 1000])
            for part in (analytics, sched, store):
                await part.close()


async def retention(args, store, sched, analytics, clock) -> None:
    print(f"\n== retention: {args.silent:,} silent people, {args.audit:,} old audit entries ({args.store}) ==")
    for n in range(args.silent):
        await seed_person(store, sched, analytics, f"+1777{n:07d}", 1, 1, NOW, NOW - 400 * DAY)
    job = RetentionJob(Retention(conversations_days=365, batch=200), Subject(store, sched, analytics, clock), clock)
    took, sweep = await timed(job.sweep())
    people = sweep.removed.get("people", 0)
    print(f"silent people erased whole, batches of 200:   {people / took:8.1f} people/s ({people:,} in {took:.2f} s)")
    job = RetentionJob(Retention(audit_days=450, batch=200), Subject(store, sched, analytics, clock), clock)
    took, sweep = await timed(job.sweep())
    n = sweep.removed.get("audit", 0)
    print(f"audit entries expired, batches of 200:        {n / took:8.0f} rows/s ({n:,} in {took:.3f} s)")
    if args.store == "sqlite":
        cutoff = NOW - 350 * DAY
        started = time.perf_counter()
        gone = await store._write(
            lambda db: db.execute("DELETE FROM audit WHERE json_extract(body, '$.at') < ?", (cutoff,)).rowcount
        )
        took = time.perf_counter() - started
        print(f"baseline, one unbatched DELETE:               {gone / took:8.0f} rows/s ({gone:,} in {took:.3f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", choices=["sqlite", "redis"], default="sqlite")
    parser.add_argument("--others", type=int, default=5000)
    parser.add_argument("--convs", type=int, default=20)
    parser.add_argument("--sends", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--silent", type=int, default=1000)
    parser.add_argument("--audit", type=int, default=20000)
    asyncio.run(main(parser.parse_args()))
