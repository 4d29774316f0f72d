"""Campaign benchmark: 100,000 sends to a no-op channel.

Prints, in one run: planning rate (SQLite, Redis); dispatch rate of the schedule engine alone
(claim + ack: SQLite, Redis with one and with two processes) beside a bare-Redis baseline
(ZPOPMIN 100 at a time, no leases); the whole path per process (claim, proactive turn through the
pipeline, outbox, no-op channel); Redis memory per pending send; the slowest Redis call.

    .venv/bin/python bench/campaign.py [--redis redis://127.0.0.1:6379/9] [--n 100000] [--pipeline-n 20000]

It uses (and empties) the given Redis database.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parley.core.config.settings import shipped  # noqa: E402
from parley.core.i18n.locales import LocaleCatalog  # noqa: E402
from parley.core.kernel.messages import Address  # noqa: E402
from parley.core.schedule.planner import Planner, create, plan_all  # noqa: E402
from parley.core.schedule.redis import RedisScheduleStore  # noqa: E402
from parley.core.schedule.sqlite import SQLiteScheduleStore  # noqa: E402
from parley.core.schedule.store import MAX_CLAIM, PersonEntry, Send, campaign_send_id  # noqa: E402

from bench.common import pct  # noqa: E402

SPEC = {
    "id": "bench",
    "kind": "transactional",
    "messages": {"en": "Hello {name}"},
    "window": {"days": ["any"], "start": "00:00", "end": "23:59"},
    "timezone": "Etc/GMT-12",
    "rate": 1e9,  # no spreading: every send due at once, to measure raw rates
}


def people(n: int) -> list[PersonEntry]:
    out = []
    for i in range(n):
        address = Address(channel="noop", chat=f"c{i}", user=f"u{i:06d}")
        out.append(PersonEntry(address.person, address, "en", "", (), time.time(), True, f"P{i}"))
    return out


async def fill_people(sched, n: int) -> None:
    if isinstance(sched, RedisScheduleStore):
        pipe = sched.redis.pipeline(transaction=False)
        for k, entry in enumerate(people(n), 1):
            pipe.set(sched.person_key + entry.person, entry.to_json())
            pipe.zadd(sched.people_key, {entry.person: 0})
            if k % 2000 == 0:
                await pipe.execute()
        await pipe.execute()
    else:
        rows = [(e.person, e.to_json()) for e in people(n)]
        await sched._write(
            lambda db: db.executemany("INSERT OR REPLACE INTO sched_people(person, body) VALUES (?, ?)", rows)
        )


async def planning(sched, n: int) -> float:
    catalog = LocaleCatalog.load(shipped("locales"))
    await fill_people(sched, n)
    record, _ = await create(sched, dict(SPEC), catalog, time.time())
    record.status = "running"
    await sched.put_campaign(record)
    planner = Planner(sched, catalog, chunk=2000)
    started = time.perf_counter()
    planned = await plan_all(planner, "bench")
    assert planned == n, planned
    return n / (time.perf_counter() - started)


SLOWEST = [0.0]  # the slowest single call seen by drain (client round trip)
CALLS: list[float] = []  # every claim/ack round trip of the one-process Redis drain


async def drain(sched, stop_after: int) -> int:
    """Claim and ack (one batch call) until nothing is due; returns sends done."""
    done = 0
    while done < stop_after:
        t0 = time.perf_counter()
        batch = await sched.claim(MAX_CLAIM, 60)
        t1 = time.perf_counter()
        if not batch:
            break
        await sched.ack_many([(c.id, c.token, "sent") for c in batch])
        SLOWEST[0] = max(SLOWEST[0], t1 - t0, time.perf_counter() - t1)
        CALLS.extend((t1 - t0, time.perf_counter() - t1))
        done += len(batch)
    return done


def drain_process(url: str, queue) -> None:
    async def main() -> None:
        sched = RedisScheduleStore(url)
        await sched.open()
        started = time.perf_counter()
        done = await drain(sched, 1 << 62)
        queue.put((done, time.perf_counter() - started))
        await sched.close()

    asyncio.run(main())


async def refill(sched, n: int, tag: str) -> None:
    now = time.time() - 1
    for start in range(0, n, 5000):
        await sched.add(
            [Send(campaign_send_id(tag, f"noop:u{i:06d}"), now) for i in range(start, min(n, start + 5000))]
        )


async def wipe(sched: RedisScheduleStore) -> None:
    await sched.redis.flushdb()


async def baseline(url: str, n: int) -> float:
    """Bare Redis: ZADD then ZPOPMIN 100 at a time (no leases, no fencing): the ceiling."""
    sched = RedisScheduleStore(url)
    await sched.open()
    r = sched.redis
    pipe = r.pipeline(transaction=False)
    for i in range(n):
        pipe.zadd("bare", {f"c:bare:noop:u{i:06d}:0": 1})
    await pipe.execute()
    started = time.perf_counter()
    while await r.zpopmin("bare", 100):
        pass
    rate = n / (time.perf_counter() - started)
    await sched.close()
    return rate


async def memory_per_send(sched: RedisScheduleStore, n: int) -> tuple[float, float]:
    await wipe(sched)
    before = int((await sched.redis.info("memory"))["used_memory"])
    await refill(sched, n, "mem")
    after = int((await sched.redis.info("memory"))["used_memory"])
    usage = await sched.redis.memory_usage(sched.due, samples=0)
    return usage / n, (after - before) / n


async def pipeline_rate(kind: str, url: str, n: int) -> float:
    """The whole path in one process: claim, proactive turn, outbox, a no-op channel."""
    from parley.core.config.settings import Settings

    from parley.app import Bot
    from parley.testing.fakes.recording import RecordingChannel

    tmp = Path(tempfile.mkdtemp())
    settings = Settings(
        _env_file=None,
        store_url=f"sqlite:///{tmp / 'p.db'}",
        http={"host": "127.0.0.1", "port": 0},
        scheduler={"store_url": url if kind == "redis" else "", "followup_hours": 0},
    )
    # Built with the bot: the outbox must never find the channel missing.
    app = Bot(settings, channels=[functools.partial(RecordingChannel, name="noop")])
    sched = app.scheduler.sched
    await sched.open()
    if isinstance(sched, RedisScheduleStore):
        await wipe(sched)
    await fill_people(sched, n)
    record, _ = await create(sched, dict(SPEC, id="pipe"), app.locales, time.time())
    record.status = "running"
    await sched.put_campaign(record)
    await plan_all(Planner(sched, app.locales, chunk=2000), "pipe")
    await sched.close()
    async with app:
        channel = app.channels["noop"]
        started = time.perf_counter()
        while len(channel.sent) < n:
            await asyncio.sleep(0.05)
        rate = n / (time.perf_counter() - started)
    return rate


async def latency_histogram(sched: RedisScheduleStore) -> dict[int, int]:
    """Redis's own EVALSHA latency histogram (cumulative calls per bucket upper bound, in µs)."""
    raw = await sched.redis.execute_command("LATENCY", "HISTOGRAM", "evalsha")
    return {int(k): int(v) for k, v in raw.get("evalsha", {}).get("histogram_usec", {}).items()}


def histogram_delta(before: dict[int, int], after: dict[int, int]) -> str:
    """Calls per latency bucket during the run (other clients of the server count too)."""
    out, prev_b, prev_a = [], 0, 0
    for bucket in sorted(after):
        cum_b, cum_a = before.get(bucket, prev_b), after[bucket]
        n = (cum_a - prev_a) - (cum_b - prev_b)
        if n:
            out.append(f"<={bucket}µs: {n}")
        prev_b, prev_a = cum_b, cum_a
    return ", ".join(out)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--pipeline-n", type=int, default=20_000)
    args = parser.parse_args()
    n = args.n
    print(f"campaign benchmark: {n} sends, no-op channel")

    tmp = Path(tempfile.mkdtemp())
    lite = SQLiteScheduleStore(tmp / "bench.db")
    await lite.open()
    print(f"  planning, SQLite:                {await planning(lite, n):>10,.0f} sends/s")
    started = time.perf_counter()
    done = await drain(lite, n)
    print(f"  dispatch (claim+ack), SQLite:    {done / (time.perf_counter() - started):>10,.0f} sends/s, 1 process")
    await lite.close()

    red = RedisScheduleStore(args.redis)
    await red.open()
    await wipe(red)
    hist_before = await latency_histogram(red)
    print(f"  planning, Redis:                 {await planning(red, n):>10,.0f} sends/s")
    SLOWEST[0] = 0.0
    started = time.perf_counter()
    done = await drain(red, n)
    slowest = SLOWEST[0]
    print(f"  dispatch (claim+ack), Redis:     {done / (time.perf_counter() - started):>10,.0f} sends/s, 1 process")
    await refill(red, n, "two")
    queue: multiprocessing.Queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=drain_process, args=(args.redis, queue)) for _ in range(2)]
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    wall = time.perf_counter() - started
    for p in procs:
        p.join()
    total = sum(d for d, _ in results)
    per = ", ".join(f"{d / s:,.0f}/s" for d, s in results)
    print(f"  dispatch (claim+ack), Redis:     {total / wall:>10,.0f} sends/s, 2 processes together ({per} each)")
    print(f"  baseline, bare Redis ZPOPMIN:    {await baseline(args.redis, n):>10,.0f} sends/s (no leases, no fencing)")
    per_zset, per_info = await memory_per_send(red, n)
    print(
        f"  Redis memory per pending send:   {per_zset:>10,.0f} bytes (MEMORY USAGE of due), {per_info:,.0f} (INFO delta)"
    )
    p50, p99 = pct(CALLS, 50) * 1000, pct(CALLS, 99) * 1000
    print(
        f"  slowest single Redis call:       {slowest * 1000:>10,.2f} ms client round trip "
        f"(one claim or ack of up to {MAX_CLAIM}; p50 {p50:.2f} ms, p99 {p99:.2f} ms)"
    )
    delta = histogram_delta(hist_before, await latency_histogram(red))
    print(f"  server-side EVALSHA latency during the run (LATENCY HISTOGRAM, all clients): {delta}")
    await wipe(red)
    await red.close()

    pn = args.pipeline_n
    print(f"whole path (claim, proactive turn, outbox, no-op channel), {pn} sends, 1 process:")
    print(f"  SQLite store + SQLite schedule:  {await pipeline_rate('sqlite', args.redis, pn):>10,.0f} sends/s")
    print(f"  SQLite store + Redis schedule:   {await pipeline_rate('redis', args.redis, pn):>10,.0f} sends/s")
    red = RedisScheduleStore(args.redis)
    await red.open()
    await wipe(red)
    await red.close()


if __name__ == "__main__":
    asyncio.run(main())
