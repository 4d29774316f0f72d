"""The console's people search on a large SQLite index: how long a search takes with N people
(default 100,000: about a minute to build here; bench/console.py covers the pages at a million), beside the baseline in the
same run: reading one person by id (a primary-key lookup, the least a page can cost).

    .venv/bin/python -m bench.people [people]

Prints the time to build the index, then milliseconds per search (p50, p99) by name prefix, by
a phone number, by tag, by channel + language, and the live list (most recently seen first).
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

from parley.core.kernel.messages import Address
from parley.core.schedule.people_search import PeopleQuery
from parley.core.schedule.sqlite import SQLiteScheduleStore
from parley.core.schedule.sqlite_people import index_person
from parley.core.schedule.store import PersonEntry

from bench.common import pct

FIRST = ["Ana", "Bruno", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lena"]
LAST = ["Silva", "Martin", "Müller", "Tanaka", "Okafor", "Rossi", "Nguyen", "Haddad", "Kowalski", "Lee"]
CHANNELS = ["web", "telegram", "sms", "whatsapp", "slack", "discord"]
LOCALES = ["en", "es", "fr", "de", "pt-BR", "ja", "ar", "zh-CN"]


def people(n: int, rng: random.Random):
    for i in range(n):
        channel = CHANNELS[i % len(CHANNELS)]
        address = Address(channel=channel, chat=f"{i}", user=f"+1555{i:07d}")
        tags = tuple(t for t, p in (("vip", 0.02), ("wholesale", 0.1), ("newsletter", 0.4)) if rng.random() < p)
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        yield PersonEntry(address.person, address, rng.choice(LOCALES), "", tags, 1.7e9 + i, True, name)


async def timed(calls: int, call) -> list[float]:
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def line(label: str, ms: list[float], found: int) -> None:
    print(f"{label:<34} p50 {pct(ms, 50):7.2f} ms   p99 {pct(ms, 99):7.2f} ms   ({found} shown)")


async def main(n: int) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteScheduleStore(Path(folder) / "people.db")
        await store.open()
        start = time.perf_counter()
        db = store.db
        db.execute("BEGIN")
        for entry in people(n, rng):  # one transaction: the bench measures searches, not writes
            db.execute("INSERT INTO sched_people(person, body) VALUES (?, ?)", (entry.person, entry.to_json()))
            index_person(db, entry)
        db.execute("COMMIT")
        print(f"{n:,} people indexed in {time.perf_counter() - start:.1f} s")
        some = f"sms:+1555{n // 2:07d}"
        line("baseline: one person by id", await timed(200, lambda: store.person(some)), 1)
        queries = {
            "name prefix 'chlo mull'": PeopleQuery(text="chlo mull"),
            "phone '+1 555 000 1234'": PeopleQuery(text="+1 555 000 1234"),
            "tag 'VIP'": PeopleQuery(tag="VIP"),
            "channel sms + language pt-BR": PeopleQuery(channel="sms", locale="pt-BR"),
            "tag + name 'emma'": PeopleQuery(tag="wholesale", text="emma"),
        }
        for label, query in queries.items():
            found = len(await store.find_people(query, 50))
            line(label, await timed(50, lambda q=query: store.find_people(q, 50)), found)
        line("live list (recent first)", await timed(50, lambda: store.recent_people(50)), 50)
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
