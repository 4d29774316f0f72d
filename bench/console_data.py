"""The data bench/console.py times the console against: ``size`` conversations and as many
people, their analytics aggregates and unanswered questions, written in bulk straight into the
store's own tables or keys (the store's schema and key names, not a copy of them).

Generating a million takes minutes on a shared machine, so it can be kept and reused: SQLite in a
file named after the size, Redis under a prefix named after it, each marked complete only once
everything is written (a run interrupted half way generates again).
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import date, timedelta
from itertools import product
from pathlib import Path

import numpy as np
import redis.asyncio as aioredis
from parley.core.analytics.store import ALL, Cell
from parley.core.kernel.facts import Metric
from parley.core.kernel.messages import Address
from parley.core.schedule.redis import RedisScheduleStore
from parley.core.schedule.store import PersonEntry

from bench.people import FIRST, LAST

CHANNELS = ("web", "telegram", "slack", "sms", "whatsapp", "discord", "terminal")
LOCALES = ("en", "es", "fr", "de", "pt-BR", "ja", "ar", "zh-CN")
PERSONAS = ("demo", "sales", "concierge")
TODAY = date(2026, 3, 31)
QUESTIONS = ("do you ship to {}", "gift cards for {}", "opening hours in {}", "price of {} in store", "return {} item")
PLACES = ("canada", "mars", "lyon", "osaka", "cairo", "lima", "oslo", "perth")
COMPLETE = "bench-console-complete"  # the marker: a kv row on SQLite, a key on Redis


class Generated:
    """``size`` conversations drawn with numpy (a million in a second or two): each one's day,
    channel, locale, persona and whether it was handed to a person; conversation ``n`` belongs to
    person ``n``."""

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

    def conversation(self, n: int) -> str:
        return f"{CHANNELS[self.channel[n]]}:c{n}:"

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

    def people(self):
        """(entry, its conversation): person ``n`` wrote conversation ``n``, with a name, a phone
        number as handle and tags (vip 2%, wholesale 10%, newsletter 40%)."""
        rnd = random.Random(11)
        start = 1.77e9
        for n, (c, lo, d) in enumerate(
            zip(self.channel.tolist(), self.locale.tolist(), self.day.tolist(), strict=True)
        ):
            address = Address(channel=CHANNELS[c], chat=f"c{n}", user=f"+1555{n:07d}")
            tags = tuple(t for t, p in (("vip", 0.02), ("wholesale", 0.1), ("newsletter", 0.4)) if rnd.random() < p)
            name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
            seen = start - d * 86400 + rnd.random() * 86400
            yield PersonEntry(address.person, address, LOCALES[lo], "", tags, seen, True, name), self.conversation(n)

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


def sqlite_ready(path: Path) -> bool:
    if not path.exists():
        return False
    db = sqlite3.connect(path)
    try:
        return bool(db.execute("SELECT 1 FROM kv WHERE key = ?", (COMPLETE,)).fetchone())
    except sqlite3.Error:
        return False
    finally:
        db.close()


async def generate_sqlite(path: Path, size: int, days: int) -> float:
    from parley.core.analytics.sqlite import ADD, ASKED, SCHEMA
    from parley.core.schedule.sqlite import SQLiteScheduleStore
    from parley.core.schedule.sqlite_people import index_person
    from parley.core.storage import open_store

    started = time.perf_counter()
    path.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{path}")  # Parley's own schema first, then rows in bulk
    await store.open()
    await store.close()
    sched = SQLiteScheduleStore(path)
    await sched.open()
    await sched.close()
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
        for entry, conversation in made.people():
            db.execute("INSERT INTO sched_people(person, body) VALUES (?, ?)", (entry.person, entry.to_json()))
            db.execute("INSERT INTO links(person, conversation) VALUES (?, ?)", (entry.person, conversation))
            index_person(db, entry)
        db.execute("INSERT INTO kv(key, value) VALUES (?, '1')", (COMPLETE,))
    db.close()
    return time.perf_counter() - started


def redis_names(url: str, prefix: str) -> tuple[str, RedisScheduleStore]:
    """The store's key prefix and a schedule store (for its people index's key names)."""
    return "{" + prefix + "}:", RedisScheduleStore(f"{url}?prefix={prefix}")


async def redis_ready(url: str, prefix: str) -> bool:
    r = aioredis.Redis.from_url(url)
    try:
        return bool(await r.exists(redis_names(url, prefix)[0] + COMPLETE))
    finally:
        await r.aclose()


async def generate_redis(url: str, prefix: str, size: int, days: int) -> float:
    from parley.core.analytics.redis import RedisAnalyticsStore

    started = time.perf_counter()
    made = Generated(size, days)
    cells = made.cells()
    r = aioredis.Redis.from_url(url)
    p, sched = redis_names(url, prefix)
    keys = sched.search
    async with r.pipeline(transaction=False) as pipe:
        pipe.set(f"{p}layout", "2")  # written in the current layout: nothing for the store to move
        for conv, state in made.states():
            pipe.hset(f"{p}c:{conv}", "s", state)  # the conversation hash's state (redis_lua.py)
            if len(pipe) == 5000:
                await pipe.execute()
        await pipe.execute()
    people = made.people()
    while chunk := [x for _, x in zip(range(2000), people, strict=False)]:
        # The keys RedisScheduleStore.put_person and redis_people.index write, a chunk at a time.
        sets: dict[str, list[str]] = {}
        for entry, _ in chunk:
            for key in keys.sets(entry):
                sets.setdefault(key, []).append(entry.person)
        async with r.pipeline(transaction=False) as pipe:
            pipe.mset({sched.person_key + e.person: e.to_json() for e, _ in chunk})
            pipe.zadd(sched.people_key, {e.person: 0 for e, _ in chunk})
            pipe.zadd(keys.seen, {e.person: e.last_seen for e, _ in chunk})
            pipe.zadd(keys.words, {m: 0 for e, _ in chunk for m in keys.members(e)})
            for key, members in sets.items():
                pipe.sadd(key, *members)
            for e, conv in chunk:
                pipe.sadd(f"{p}links:{e.person}", conv)
            await pipe.execute()
    store = RedisAnalyticsStore(f"{url}?prefix={prefix}")
    await store.open()
    items = list(cells.items())
    for start in range(0, len(items), 5000):
        await store.add(dict(items[start : start + 5000]))
    for day, asked in questions(days).items():
        await store.add_questions(day, asked)
    await store.close()
    await r.set(p + COMPLETE, "1")
    await r.aclose()
    return time.perf_counter() - started


async def drop_redis(url: str, prefix: str) -> None:
    r = aioredis.Redis.from_url(url)
    doomed: list[bytes] = []
    async for key in r.scan_iter(match="{" + prefix + "}:*", count=10_000):
        doomed.append(key)
        if len(doomed) == 10_000:
            await r.unlink(*doomed)
            doomed = []
    if doomed:
        await r.unlink(*doomed)
    await r.aclose()
