"""The Redis store's turn alone: the three calls an ordinary web chat turn makes (accept + begin,
commit with its reply leased, settle + claim), driven straight at ``RedisStore`` with no bot
process, against a private redis-server (AOF everysec, as bench/scale.py). Prints, per call,
the commands it ran inside Redis (INFO commandstats deltas) and the server's CPU per turn
(INFO cpu), so a change to the scripts is measured without the noise of a whole process.

    .venv/bin/python -m bench.redis_turn [--conversations 200] [--turns 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections import Counter
from pathlib import Path

from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parley.core.kernel.messages import Address, Inbound, Reply  # noqa: E402
from parley.core.storage.redis import RedisStore  # noqa: E402
from parley.core.storage.store import InboxItem, OutboxItem, Sent, Settlement  # noqa: E402

from bench.common import emit, run_flags  # noqa: E402
from bench.scale import commandstats, server_cpu  # noqa: E402
from tests.integration.processes import RedisServer  # noqa: E402

CALLS = ("accept_begin", "commit", "settle_claim")


async def turn(store: RedisStore, address: Address, n: int, state: dict, measure: dict | None, r: Redis) -> dict:
    """One turn as the engine and the outbox make it; with ``measure``, each call's commands."""

    async def step(name: str, call):
        before = await commandstats(r) if measure is not None else None
        got = await call
        if measure is not None:
            delta = await commandstats(r) - before
            delta["info"] -= 1  # our own INFO, not the call's
            measure[name] += delta
        return got

    now = store.clock()
    inbound = Inbound(address=address, event_id=f"e{n}", text=f"do you ship abroad? {n}")
    item = InboxItem(f"web:e{n}:{address.chat}", address.conversation, inbound, now)
    new, batch = await step("accept_begin", store.accept_begin(item, 604800.0, 120.0, 16))
    assert new and batch is not None and [i.id for i in batch.items] == [item.id]
    history = [*batch.state.get("history", []), {"role": "user", "text": inbound.text}]
    history.append({"role": "bot", "text": "Yes, we ship to 40 countries."})
    state = {"history": history[-20:]}
    reply = OutboxItem(f"{item.id}:r0", address, Reply(text="Yes, we ship to 40 countries."), now)
    person = address.person
    profile = {"locale": "en", "turns": n}
    leased = await step(
        "commit",
        store.commit(
            address.conversation,
            batch.token,
            item.id,
            state,
            {person: profile},
            [reply],
            release=True,
            lease=30.0,
            versions={person: batch.versions.get(person, 0)},
        ),
    )
    assert [i.id for i in leased] == [reply.id]
    done = [Settlement(reply.id, leased[0].token, Sent(reply.id), store.clock())]
    flags, _ = await step("settle_claim", store.settle_and_claim(done, store.clock(), 64, 30.0))
    assert flags == [True]
    return state


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="parley-redis-turn-"))
    server = RedisServer(work / "redis", fsync="everysec")
    server.start()
    r = Redis.from_url(server.url, decode_responses=True)
    store = RedisStore(server.url, prefix="turn", owner="bench:1:0")
    await store.open()
    try:
        people = [Address(channel="web", chat=f"c{n:05d}", user=f"c{n:05d}") for n in range(args.conversations)]
        states: dict[str, dict] = {}
        for address in people:  # warm up: every conversation's first turn (and script loading)
            states[address.chat] = await turn(store, address, 0, {}, None, r)
        measure: dict[str, Counter[str]] = {name: Counter() for name in CALLS}
        await turn(store, people[0], 1, {}, measure, r)  # one turn, call by call
        cpu_before, before = await server_cpu(r), await commandstats(r)
        turns = 0
        for n in range(2, args.turns + 2):
            await asyncio.gather(*(turn(store, a, n, states[a.chat], None, r) for a in people))
            turns += len(people)
        cpu_after, after = await server_cpu(r), await commandstats(r)
        micros = (cpu_after - cpu_before) * 1e6 / turns
        commands = (sum((after - before).values()) - 1) / turns  # less our closing INFO
        print(f"\nRedis store turn alone: {len(people)} conversations x {args.turns} turns\n")
        for name in CALLS:
            inner = {k: v for k, v in measure[name].items() if v > 0}
            listed = ", ".join(f"{k} {v}" for k, v in sorted(inner.items(), key=lambda kv: -kv[1]))
            print(f"  {name:<13}{sum(inner.values()):>3} commands: {listed}")
        print(f"  commands per turn (INFO commandstats): {commands:.1f}")
        print(f"  Redis server CPU: {micros:.1f} us per turn -> ~{1e6 / micros:,.0f} turns/s on one primary")
        emit(args.flags, "redis_turn", {"commands_per_turn": commands, "redis_cpu_us_per_turn": micros})
    finally:
        await store.close()
        await r.aclose()
        server.stop()


def main() -> None:
    flags = run_flags()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=3 if flags.quick else 10)
    args = parser.parse_args()
    args.flags = flags
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
