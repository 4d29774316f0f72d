"""The cost of resolving address -> person on the turn path (issue 21), on SQLite and Redis.

    .venv/bin/python -m bench.linking [--turns 3000] [--people 20000] [--redis redis://127.0.0.1:6379/0]

A turn's store work is accept + begin + commit (the engine's calls, without the pipeline). Timed
per turn, in the same run, for three kinds of turn:

- baseline: the store with resolution switched off (SQLite without the ``identities`` read, Redis
  with BEGIN's ``ident:`` lookups cut out of the script) and no profile version check: what a
  turn cost before linking;
- unlinked: an identity nobody linked, on the store as shipped (a lookup that finds nothing, the
  version compare-and-set);
- linked: an identity linked to another (the lookup finds its person, the shared profile).

Then the lookup by itself: SQLite's query as BEGIN runs it (in process, no I/O), and on Redis a
``person_of`` round trip (an upper bound: BEGIN does the same GET inside its script).

``--people`` linked pairs are stored first, so the lookups run against a populated index. Each
kind runs in rounds, in a shuffled order each round; printed: the median and the best round's
microseconds per turn, each beside the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from parley.core.kernel.messages import Address, Inbound
from parley.core.storage import redis_lua
from parley.core.storage.identities import Relink
from parley.core.storage.redis import RedisStore
from parley.core.storage.sqlite import SQLiteStore
from parley.core.storage.store import InboxItem

ROUNDS = 15
LOOKUP = """for identity, _ in pairs(identities) do
  local person = redis.call('GET', P .. 'ident:' .. identity)"""


class SQLiteBaseline(SQLiteStore):
    """Resolution off: no read of the identities table."""

    @staticmethod
    def _owners(db, identities):
        return {}


def baseline_begin() -> str:
    """BEGIN without the ``ident:`` lookups: every identity is its own person."""
    assert LOOKUP in redis_lua.BEGIN, "BEGIN changed: update bench/linking.py"
    return redis_lua.BEGIN.replace(LOOKUP, "for identity, _ in pairs(identities) do\n  local person = false")


class RedisBaseline(RedisStore):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._begin = self.r.register_script(baseline_begin())


async def populate(store, people: int) -> None:
    """``people`` linked pairs (whatsapp + web), written through the seam in batches."""
    tasks = []
    for n in range(people):
        wa, web = f"whatsapp:+49151{n:08d}", f"web:bench{n:08d}"
        change = Relink(moves={wa: wa, web: wa}, profiles={wa: {"name": f"P{n}"}})
        tasks.append(store.relink(change))
        if len(tasks) == 500:
            await asyncio.gather(*tasks)
            tasks = []
    await asyncio.gather(*tasks)


async def turns(store, address: Address, n: int, checked: bool, tag: str) -> float:
    """Seconds for ``n`` turns of one conversation, one after the other (the engine's calls)."""
    clock = time.time
    started = time.perf_counter()
    for i in range(n):
        inbound = Inbound(address=address, event_id=f"{tag}{i}", text="hello")
        item = InboxItem(f"{address.channel}:{tag}{i}", address.conversation, inbound, clock())
        await store.accept(item, 60)
        batch = await store.begin(address.conversation, 30, 20, clock())
        person = batch.person(address.person)
        profile = batch.profiles.get(person, {})
        profile["n"] = i
        versions = {person: batch.versions.get(person, 0)} if checked else None
        await store.commit(
            address.conversation, batch.token, item.id, {"i": i}, {person: profile}, [], True, 0.0, versions
        )
    return time.perf_counter() - started


async def measure(name: str, shipped, baseline, n: int, people: int) -> dict[str, float]:
    await populate(shipped, people)
    unlinked = Address(channel="whatsapp", chat="+4400000000", user="+4400000000")
    linked = Address(channel="web", chat="bench00000007", user="bench00000007")  # linked to whatsapp:...07
    assert (await shipped.person_of(linked.person)).startswith("whatsapp:")
    kinds = {
        "baseline (no resolution)": (baseline, Address(channel="sms", chat="+4411111111", user="+4411111111"), False),
        "unlinked identity": (shipped, unlinked, True),
        "linked identity": (shipped, linked, True),
    }
    per_turn: dict[str, list[float]] = {k: [] for k in kinds}
    order = list(kinds)
    for r in range(ROUNDS):
        random.shuffle(order)  # a loaded machine drifts: no kind always runs first
        for kind in order:
            store, address, checked = kinds[kind]
            seconds = await turns(store, address, n // ROUNDS, checked, f"r{r}{kind[:2]}")
            per_turn[kind].append(seconds / (n // ROUNDS) * 1e6)
    figures = {k: statistics.median(v) for k, v in per_turn.items()}
    figures["lookup alone"] = await lookup(shipped, linked.person, n)
    best = {k: min(v) for k, v in per_turn.items()}
    base, fastest = figures["baseline (no resolution)"], best["baseline (no resolution)"]
    print(f"\n{name}: µs per turn (accept + begin + commit), {ROUNDS} rounds of {n // ROUNDS} turns")
    print(f"  {'':28} {'median':>8} {'vs base':>9} {'best':>8} {'vs base':>9}")
    for kind in per_turn:
        low = best[kind]
        print(f"  {kind:28} {figures[kind]:8.1f} {figures[kind] - base:+9.1f} {low:8.1f} {low - fastest:+9.1f}")
    where = "one indexed SELECT, in process" if isinstance(shipped, SQLiteStore) else "person_of: a GET round trip"
    print(f"  the lookup alone ({where}): {figures['lookup alone']:.1f} µs (median)")
    return figures


async def lookup(store, identity: str, n: int) -> float:
    """Microseconds for the resolution by itself: SQLite's query as BEGIN runs it; on Redis
    ``person_of``, a round trip (BEGIN does the same GET inside its script, without one)."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        if isinstance(store, SQLiteStore):
            store._owners(store.db, [identity])
        else:
            await store.person_of(identity)
        times.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--people", type=int, default=20000, help="linked pairs stored first")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--store", choices=["sqlite", "redis", "both"], default="both")
    args = parser.parse_args()
    print(f"address -> person on the turn path, {args.people} linked pairs stored")
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            # Both on one file: the baseline reads the same tables, minus the identities lookup.
            shipped, baseline = SQLiteStore(Path(tmp) / "b.db"), SQLiteBaseline(Path(tmp) / "b.db")
            await shipped.open()
            await baseline.open()
            try:
                await measure("SQLite", shipped, baseline, args.turns, args.people)
            finally:
                await baseline.close()
                await shipped.close()
    if args.store in ("redis", "both"):
        prefix = f"bench-linking-{uuid.uuid4().hex[:8]}"
        shipped, baseline = RedisStore(args.redis, prefix=prefix), RedisBaseline(args.redis, prefix=prefix)
        await shipped.open()
        await baseline.open()
        try:
            await measure("Redis", shipped, baseline, args.turns, args.people)
        finally:
            keys = [k async for k in shipped.r.scan_iter(match=shipped.p.replace("{", "[{]") + "*")]
            for n in range(0, len(keys), 1000):
                await shipped.r.delete(*keys[n : n + 1000])
            await baseline.close()
            await shipped.close()


if __name__ == "__main__":
    asyncio.run(main())
