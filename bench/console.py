"""The console's pages and APIs with many stored conversations, on SQLite and on Redis.

    .venv/bin/python -m bench.console --size 1000000 --store sqlite
    .venv/bin/python -m bench.console --size 100000 --store redis

Generates ``--size`` conversations (rows in the store's own state table or keys, written in bulk)
spread over ``--days`` days, 7 channels, 8 locales and 3 personas, and the analytics aggregates
those conversations would have produced (written straight into the aggregate store, with the
recorder's rollups), a few campaigns with waiting sends, and unanswered questions. Then starts a
real Parley on that store and times each console API over HTTP (p50 and p95 of ``--repeat``
calls), beside a baseline measured in the same run: the naive way, reading every conversation's
state to count the week's conversations and handoffs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from itertools import product
from pathlib import Path

import aiohttp
import numpy as np
import redis.asyncio as aioredis
from parley.core.analytics.store import ALL, Cell
from parley.core.config.settings import Settings
from parley.core.kernel.facts import Metric
from parley.core.schedule.store import CampaignRecord, Send, campaign_send_id

from parley.app import Bot

CHANNELS = ("web", "telegram", "slack", "sms", "whatsapp", "discord", "terminal")
LOCALES = ("en", "es", "fr", "de", "pt-BR", "ja", "ar", "zh-CN")
PERSONAS = ("demo", "sales", "concierge")
TOKEN = "bench-console-token"
TODAY = date(2026, 3, 31)
QUESTIONS = ("do you ship to {}", "gift cards for {}", "opening hours in {}", "price of {} in store", "return {} item")
PLACES = ("canada", "mars", "lyon", "osaka", "cairo", "lima", "oslo", "perth")


class Generated:
    """``size`` conversations drawn with numpy (a million in a second or two): each one's day,
    channel, locale, persona and whether it was handed to a person."""

    def __init__(self, size: int, days: int, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.size, self.days = size, days
        self.day = rng.integers(0, days, size)
        self.channel = rng.integers(0, len(CHANNELS), size)
        self.locale = rng.integers(0, len(LOCALES), size)
        self.persona = rng.integers(0, len(PERSONAS), size)
        self.handed = rng.random(size) < 0.18
        self.claim = np.where(self.handed, rng.uniform(30, 900, size), 0.0)
        self.csat = np.where(self.handed, rng.integers(3, 6, size), 0)
        self.not_sure = rng.random(size) < 0.1
        self.tokens = np.where(self.persona > 0, rng.integers(300, 1500, size), 0)
        self.names = [(TODAY - timedelta(days=d)).isoformat() for d in range(days)]

    def states(self):
        """(conversation id, state JSON) per conversation, as the analytics middleware leaves it."""
        names = self.names
        for n, (d, c, p, h) in enumerate(
            zip(self.day.tolist(), self.channel.tolist(), self.persona.tolist(), self.handed.tolist(), strict=True)
        ):
            body = (
                f'{{"analytics":{{"day":"{names[d]}","handed":{"true" if h else "false"}}},"persona":"{PERSONAS[p]}"}}'
            )
            yield f"{CHANNELS[c]}:c{n}:", body

    def cells(self) -> dict[Cell, tuple[float, int]]:
        """The cells the recorder would have written for these conversations, rollups included."""
        shape = (self.days, len(CHANNELS), len(LOCALES), len(PERSONAS))
        where = np.ravel_multi_index((self.day, self.channel, self.locale, self.persona), shape)
        cut = int(np.prod(shape))

        def per(weights=None) -> np.ndarray:
            return np.bincount(where, weights=weights, minlength=cut).reshape(shape)

        handed = self.handed.astype(float)
        figures = {  # metric -> (sum, count) per combination
            Metric.CONVERSATIONS: (per(), per()),
            Metric.ANSWERS: (per() * 2, per() * 2),
            Metric.HANDED: (per(handed), per(handed)),
            Metric.HANDOFFS: (per(handed), per(handed)),
            Metric.CLAIM_SECONDS: (per(self.claim), per(handed)),
            Metric.CSAT: (per(self.csat.astype(float)), per(handed)),
            Metric.NOT_SURE: (per(self.not_sure.astype(float)), per(self.not_sure.astype(float))),
            Metric.LLM_TOKENS: (per(self.tokens.astype(float)), per((self.tokens > 0).astype(float))),
        }
        out: dict[Cell, tuple[float, int]] = {}
        # Each of the eight rollups: sum over the dimensions it leaves as ALL.
        for keep in product((True, False), repeat=3):
            axes = tuple(1 + i for i, kept in enumerate(keep) if not kept)
            for metric, (sums, counts) in figures.items():
                total, many = sums.sum(axis=axes, keepdims=True), counts.sum(axis=axes, keepdims=True)
                for index in zip(*np.nonzero(many), strict=True):
                    d, c, lo, p = (int(i) for i in index)
                    cell = Cell(
                        self.names[d],
                        CHANNELS[c] if keep[0] else ALL,
                        LOCALES[lo] if keep[1] else ALL,
                        PERSONAS[p] if keep[2] else ALL,
                        metric.value,
                    )
                    out[cell] = (float(total[index]), int(many[index]))
        return out


def questions(days: int) -> dict[str, dict[tuple[str, str], int]]:
    rnd = random.Random(5)
    out: dict[str, dict[tuple[str, str], int]] = {}
    for d in range(days):
        day = (TODAY - timedelta(days=d)).isoformat()
        out[day] = {("en", rnd.choice(QUESTIONS).format(place)): rnd.randint(1, 40) for place in PLACES}
    return out


async def fill_schedule(sched) -> None:
    for k in range(3):
        spec = {"id": f"bench{k}", "name": f"Bench {k}", "messages": {"en": "Hi"}, "kind": "transactional"}
        await sched.put_campaign(CampaignRecord(f"bench{k}", spec, "running", created_at=time.time()))
        sends = [Send(campaign_send_id(f"bench{k}", f"web:p{n}"), 4_000_000_000.0 + n) for n in range(2000)]
        for start in range(0, len(sends), 500):
            await sched.add(sends[start : start + 500])


async def generate_sqlite(path: Path, size: int, days: int) -> float:
    from parley.core.analytics.sqlite import ADD, ASKED, SCHEMA
    from parley.core.storage import open_store

    started = time.perf_counter()
    store = open_store(f"sqlite:///{path}")  # Parley's own schema first, then rows in bulk
    await store.open()
    await store.close()
    made = Generated(size, days)
    cells = made.cells()
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    with db:
        db.executemany("INSERT INTO state(conversation, body) VALUES (?, ?)", made.states())
        db.executemany(
            ADD, [(c.channel, c.locale, c.persona, c.day, c.metric, c.detail, v, n) for c, (v, n) in cells.items()]
        )
        for day, asked in questions(days).items():
            db.executemany(ASKED, [(day, lo, text, n) for (lo, text), n in asked.items()])
    db.close()
    return time.perf_counter() - started


async def generate_redis(url: str, prefix: str, size: int, days: int) -> float:
    from parley.core.analytics.redis import RedisAnalyticsStore

    started = time.perf_counter()
    made = Generated(size, days)
    cells = made.cells()
    r = aioredis.Redis.from_url(url)
    p = "{" + prefix + "}:"
    batch: dict[str, str] = {}
    async with r.pipeline(transaction=False) as pipe:
        for conv, state in made.states():
            batch[f"{p}state:{conv}"] = state
            if len(batch) == 1000:  # MSET of a thousand keys: a million in a thousand commands
                pipe.mset(batch)
                batch = {}
                if len(pipe) == 50:
                    await pipe.execute()
        if batch:
            pipe.mset(batch)
        await pipe.execute()
    await r.aclose()
    store = RedisAnalyticsStore(f"{url}?prefix={prefix}")
    await store.open()
    items = list(cells.items())
    for start in range(0, len(items), 5000):
        await store.add(dict(items[start : start + 5000]))
    for day, asked in questions(days).items():
        await store.add_questions(day, asked)
    await store.close()
    return time.perf_counter() - started


async def naive_sqlite(path: Path, first: str) -> float:
    """The baseline: read every conversation's state to count the week's conversations."""
    started = time.perf_counter()
    db = sqlite3.connect(path)
    convs = handed = 0
    for (body,) in db.execute("SELECT body FROM state"):
        marks = json.loads(body).get("analytics", {})
        if marks.get("day", "") >= first:
            convs += 1
            handed += bool(marks.get("handed"))
    db.close()
    return time.perf_counter() - started


async def naive_redis(url: str, prefix: str, first: str) -> float:
    started = time.perf_counter()
    r = aioredis.Redis.from_url(url)
    convs = 0
    batch: list[bytes] = []
    async for key in r.scan_iter(match="{" + prefix + "}:state:*", count=5000):
        batch.append(key)
        if len(batch) == 5000:
            convs += sum(json.loads(b)["analytics"]["day"] >= first for b in await r.mget(batch) if b)
            batch = []
    if batch:
        convs += sum(json.loads(b)["analytics"]["day"] >= first for b in await r.mget(batch) if b)
    await r.aclose()
    return time.perf_counter() - started


PAGES = [
    ("analytics, last 7 days by day", "/api/analytics?from=2026-03-25&to=2026-03-31"),
    ("analytics, 90 days by week", "/api/analytics?from=2026-01-01&to=2026-03-31&by=week"),
    ("analytics, 30 days, es on sms", "/api/analytics?from=2026-03-02&to=2026-03-31&channel=sms&locale=es"),
    ("analytics CSV, 90 days", "/api/analytics.csv?from=2026-01-01&to=2026-03-31"),
    ("knowledge gaps, 30 days", "/api/analytics/gaps?from=2026-03-02&to=2026-03-31"),
    ("campaign list", "/api/campaigns"),
    ("campaign results", "/api/campaigns/bench1"),
    ("campaign waiting sends", "/api/campaigns/bench1/sends"),
]


async def time_pages(settings: Settings, repeat: int) -> list[tuple[str, float, float]]:
    out = []
    async with Bot(settings) as bot:
        await fill_schedule(bot.scheduler.sched)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            for name, path in PAGES:
                took = []
                for _ in range(repeat + 1):
                    started = time.perf_counter()
                    async with http.get(f"http://127.0.0.1:{bot.port}{path}") as resp:
                        await resp.read()
                        assert resp.status == 200, (path, resp.status)
                    took.append(time.perf_counter() - started)
                took = took[1:]  # the first warms caches
                out.append((name, statistics.median(took), sorted(took)[int(len(took) * 0.95) - 1]))
    return out


def show(store: str, size: int, generated: float, naive: float, pages) -> None:
    print(f"\n{store}: {size:,} conversations (generated in {generated:.1f} s)")
    print(f"  {'baseline: naive scan of every state (7 days)':<48} {naive * 1000:10.1f} ms")
    for name, p50, p95 in pages:
        verdict = "ok" if p95 < 0.1 else "SLOW"
        print(
            f"  {name:<48} p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  {verdict}  ({naive / p50:,.0f}x faster)"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--store", choices=["sqlite", "redis", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    base = {"admin_token": TOKEN, "http": {"host": "127.0.0.1", "port": 0}, "scheduler": {"enabled": False}}
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.db"
            generated = await generate_sqlite(path, args.size, args.days)
            naive = await naive_sqlite(path, "2026-03-25")
            pages = await time_pages(Settings(_env_file=None, store_url=f"sqlite:///{path}", **base), args.repeat)
            show("SQLite", args.size, generated, naive, pages)
    if args.store in ("redis", "both"):
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        try:
            generated = await generate_redis(args.redis, prefix, args.size, args.days)
            naive = await naive_redis(args.redis, prefix, "2026-03-25")
            settings = Settings(_env_file=None, store_url=f"{args.redis}?prefix={prefix}", **base)
            pages = await time_pages(settings, args.repeat)
            show("Redis", args.size, generated, naive, pages)
        finally:
            r = aioredis.Redis.from_url(args.redis)
            doomed: list[bytes] = []
            async for key in r.scan_iter(match="{" + prefix + "}:*", count=10_000):
                doomed.append(key)
                if len(doomed) == 10_000:
                    await r.unlink(*doomed)
                    doomed = []
            if doomed:
                await r.unlink(*doomed)
            await r.aclose()


if __name__ == "__main__":
    asyncio.run(main())
