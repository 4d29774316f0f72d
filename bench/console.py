"""The console's pages and APIs with many stored conversations and people, on SQLite and on Redis.

    .venv/bin/python -m bench.console --size 1000000 --store sqlite --keep build/bench
    .venv/bin/python -m bench.console --size 100000 --store redis

Generates ``--size`` conversations spread over ``--days`` days, 7 channels, 8 locales and 3
personas, as many people in the people index (names, phone numbers, tags), the analytics
aggregates those conversations would have produced (with the recorder's rollups), campaigns with
waiting sends, and unanswered questions (bench/console_data.py). ``--keep DIR`` keeps the SQLite
file in DIR and the Redis keys under a prefix named after the size, and reuses them next time
(``--drop`` removes them afterwards). Then starts a real Parley on that store, signs in to the
console as a user would, and times each console page and API over HTTP (p50 and p95 of
``--repeat`` calls), beside baselines measured in the same run: the naive way of answering the
same question by reading everything (every conversation's state for the week's figures, every
person for a name search, the whole shared due set for a campaign's waiting sends).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis
from parley.core.config.settings import Settings
from parley.core.console.roles import Role
from parley.core.schedule.people_search import PeopleQuery, matches
from parley.core.schedule.store import CampaignRecord, PersonEntry, Send, campaign_send_id
from parley.core.storage.leads import LeadRecord, Outcome

from bench import console_data as data
from bench.common import pct
from parley.app import Bot

TOKEN = "bench-console-token"
PASSWORD = "bench console password"  # noqa: S105 - a throwaway user in a throwaway store
NAME_QUERY = PeopleQuery(text="chlo mull")


async def fill_schedule(sched, size: int) -> None:
    """Three campaigns: bench0 with a tenth of ``size`` sends waiting (the shared due set other
    campaigns' pages must not scan), bench1 and bench2 with 2,000 each. Idempotent."""
    for k in range(3):
        spec = {"id": f"bench{k}", "name": f"Bench {k}", "messages": {"en": "Hi"}, "kind": "transactional"}
        await sched.put_campaign(CampaignRecord(f"bench{k}", spec, "running", created_at=time.time()))
        many = max(2000, size // 10) if k == 0 else 2000
        for start in range(0, many, 5000):
            sends = [
                Send(campaign_send_id(f"bench{k}", f"web:p{n}"), 4_000_000_000.0 + n)
                for n in range(start, min(many, start + 5000))
            ]
            await sched.add(sends)


async def fill_leads(store) -> None:
    """2,000 leads, one in five won, one in five lost (idempotent: the same ids each run)."""
    for n in range(2000):
        lead = LeadRecord(
            f"bench{n}",
            f"web:p{n}",
            f"web:p{n}:",
            ("web", "spring", "ads")[n % 3],
            "web",
            "en",
            "sales",
            f"Lead {n}",
            1.77e9 + n,
        )
        if n % 5 == 1:
            lead = lead.decided(Outcome.WON, 100.0 + n, "USD", "bench", 1.78e9)
        elif n % 5 == 2:
            lead = lead.decided(Outcome.LOST, None, "", "bench", 1.78e9)
        await store.put_lead(lead)


async def naive(what, *args) -> float:
    started = time.perf_counter()
    await what(*args)
    return time.perf_counter() - started


async def scan_states_sqlite(path: Path, first: str) -> int:
    """Baseline: read every conversation's state to count the week's conversations."""
    db = sqlite3.connect(path)
    convs = 0
    for (body,) in db.execute("SELECT body FROM state"):
        convs += json.loads(body).get("analytics", {}).get("day", "") >= first
    db.close()
    return convs


async def scan_people_sqlite(path: Path) -> int:
    """Baseline: read every person to find the name search's 50."""
    db = sqlite3.connect(path)
    found = [b for (b,) in db.execute("SELECT body FROM sched_people") if matches(PersonEntry.from_json(b), NAME_QUERY)]
    db.close()
    return len(found[:50])


async def scan_redis(url: str, match: str, keep, field: str = "") -> int:
    """Baseline: read every key ``match`` names (its hash ``field`` if given) and count ``keep``."""
    r = aioredis.Redis.from_url(url)
    hits, batch = 0, []

    async def read(keys: list) -> list:
        if not field:
            return await r.mget(keys)
        async with r.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hget(key, field)
            return await pipe.execute()

    async for key in r.scan_iter(match=match, count=5000):
        batch.append(key)
        if len(batch) == 5000:
            hits += sum(keep(b) for b in await read(batch) if b)
            batch = []
    if batch:
        hits += sum(keep(b) for b in await read(batch) if b)
    await r.aclose()
    return hits


async def scan_due_redis(url: str, prefix: str) -> int:
    """Baseline: the old waiting-sends read, a ZSCAN of the shared due set by the campaign's prefix."""
    r = aioredis.Redis.from_url(url)
    _, sched = data.redis_names(url, prefix)
    found = [m async for m, _ in r.zscan_iter(sched.due, match="c:bench1:*", count=1000)]
    await r.aclose()
    return len(found)


PAGES = [
    ("API analytics, last 7 days by day", "/api/analytics?from=2026-03-25&to=2026-03-31"),
    ("API analytics, 90 days by week", "/api/analytics?from=2026-01-01&to=2026-03-31&by=week"),
    ("API analytics, 30 days, es on sms", "/api/analytics?from=2026-03-02&to=2026-03-31&channel=sms&locale=es"),
    ("API analytics CSV, 90 days", "/api/analytics.csv?from=2026-01-01&to=2026-03-31"),
    ("API knowledge gaps, 30 days", "/api/analytics/gaps?from=2026-03-02&to=2026-03-31"),
    ("API campaign list", "/api/campaigns"),
    ("API campaign results", "/api/campaigns/bench1"),
    ("API campaign waiting sends", "/api/campaigns/bench1/sends"),
    ("page home", "/console"),
    ("page analytics, 90 days by week", "/console/analytics?from=2026-01-01&to=2026-03-31&by=week"),
    ("page campaigns", "/console/campaigns"),
    ("page campaign results", "/console/campaigns/bench1"),
    ("page people, name 'chlo mull'", "/console/people?q=chlo+mull"),
    ("page people, phone", "/console/people?q=%2B1+555+000+1234"),
    ("page people, tag VIP + language ja", "/console/people?tag=VIP&locale=ja"),
    ("page people, sms + pt-BR", "/console/people?channel=sms&locale=pt-BR"),
    ("page person", "/console/people/{person}"),
    ("page conversations (live list)", "/console/conversations"),
    ("page leads", "/console/leads"),
    ("page leads, won", "/console/leads?outcome=won"),
    ("API leads", "/api/leads"),
]


async def sign_in(http: aiohttp.ClientSession, base: str) -> None:
    """The console's own sign-in form: its CSRF cookie and field, then the session cookie."""
    async with http.get(f"{base}/console/login") as resp:
        await resp.read()
    csrf = next(c.value for c in http.cookie_jar if c.key == "parley_console_login")
    form = {"csrf": csrf, "username": "bench", "password": PASSWORD, "next": "/console"}
    async with http.post(f"{base}/console/login", data=form, allow_redirects=False) as resp:
        assert resp.status == 303, resp.status


async def time_pages(settings: Settings, size: int, days: int, repeat: int) -> list[tuple[str, float, float]]:
    out = []
    async with Bot(settings) as bot:
        await fill_schedule(bot.scheduler.sched, size)
        await fill_leads(bot.store)
        if await bot.accounts.store.account("bench") is None:
            await bot.accounts.add("bench", "bench", Role.ADMIN, PASSWORD)
        base = f"http://127.0.0.1:{bot.port}"
        jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            await sign_in(http, base)
            n = size // 2
            person = f"{data.CHANNELS[data.Generated(size, days).channel[n]]}:%2B1555{n:07d}"
            for name, path in PAGES:
                path = path.format(person=person)
                headers = {"Authorization": f"Bearer {TOKEN}"} if path.startswith("/api/") else {}
                took = []
                for _ in range(repeat + 1):
                    started = time.perf_counter()
                    async with http.get(base + path, headers=headers, allow_redirects=False) as resp:
                        await resp.read()
                        assert resp.status == 200, (path, resp.status)
                    took.append(time.perf_counter() - started)
                took = took[1:]  # the first warms caches
                out.append((name, pct(took, 50), pct(took, 95)))
    return out


def show(store: str, size: int, generated: float | None, baselines: dict[str, float], pages) -> None:
    made = "reused" if generated is None else f"generated in {generated:.1f} s"
    print(f"\n{store}: {size:,} conversations and people ({made})")
    for name, took in baselines.items():
        print(f"  baseline: {name:<62} {took * 1000:10.1f} ms")
    week = baselines["read every state, count the last 7 days"]
    for name, p50, p95 in pages:
        verdict = "ok" if p95 < 0.1 else "SLOW"
        print(f"  {name:<46} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  {verdict}  ({week / p50:,.0f}x)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--store", choices=["sqlite", "redis", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--keep", type=Path, help="keep the generated data here (and in Redis) and reuse it")
    parser.add_argument("--drop", action="store_true", help="remove the kept data afterwards")
    args = parser.parse_args()
    base = {"admin_token": TOKEN, "http": {"host": "127.0.0.1", "port": 0}, "scheduler": {"enabled": False}}
    name = f"console-{args.size}-{args.days}"
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            folder = args.keep or Path(tmp)
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{name}.db"
            reuse = args.keep is not None and data.sqlite_ready(path)
            generated = None if reuse else await data.generate_sqlite(path, args.size, args.days)
            baselines = {
                "read every state, count the last 7 days": await naive(scan_states_sqlite, path, "2026-03-25"),
                "read every person, search a name": await naive(scan_people_sqlite, path),
            }
            settings = Settings(_env_file=None, store_url=f"sqlite:///{path}", **base)
            show(
                "SQLite", args.size, generated, baselines, await time_pages(settings, args.size, args.days, args.repeat)
            )
            if args.drop:
                path.unlink()
    if args.store in ("redis", "both"):
        prefix = name if args.keep else f"bench-{time.time_ns()}"
        try:
            reuse = args.keep is not None and await data.redis_ready(args.redis, prefix)
            if not reuse:
                await data.drop_redis(args.redis, prefix)
            generated = None if reuse else await data.generate_redis(args.redis, prefix, args.size, args.days)
            settings = Settings(_env_file=None, store_url=f"{args.redis}?prefix={prefix}", **base)
            pages = await time_pages(settings, args.size, args.days, args.repeat)
            p, sched = data.redis_names(args.redis, prefix)

            def this_week(b: bytes) -> bool:
                return json.loads(b)["analytics"]["day"] >= "2026-03-25"

            def named(b: bytes) -> bool:
                return matches(PersonEntry.from_json(b), NAME_QUERY)

            baselines = {
                "read every state, count the last 7 days": await naive(
                    scan_redis, args.redis, f"{p}c:*", this_week, "s"
                ),
                "read every person, search a name": await naive(scan_redis, args.redis, f"{sched.person_key}*", named),
                "ZSCAN the shared due set for one campaign's sends": await naive(scan_due_redis, args.redis, prefix),
            }
            show("Redis", args.size, generated, baselines, pages)
        finally:
            if not args.keep or args.drop:
                await data.drop_redis(args.redis, prefix)


if __name__ == "__main__":
    asyncio.run(main())
