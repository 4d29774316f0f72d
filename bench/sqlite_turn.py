"""The SQLite store's turn alone: the calls an ordinary turn makes (accept and begin, commit with
its reply leased, settle), driven straight at ``SQLiteStore`` with no bot process, with accept
and begin as two calls and as one (``accept_begin``), in alternating runs. Prints the process
CPU per turn (the checkpointer's thread included), so a change to the store's hot path is
measured without the noise of a whole bot.

    .venv/bin/python -m bench.sqlite_turn [--turns 3000] [--concurrency 32] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parley.core.kernel.messages import Address, Inbound, Reply  # noqa: E402
from parley.core.storage.sqlite import SQLiteStore  # noqa: E402
from parley.core.storage.store import InboxItem, OutboxItem, Sent  # noqa: E402

WAYS = ("two calls", "accept_begin")


async def turn(store: SQLiteStore, n: int, fused: bool) -> None:
    """One message from a new person, one reply: what bench/telegram.py's turns ask of the store."""
    who = str(10_000_000 + n)
    address = Address(channel="telegram", chat=who, user=who)
    inbound = Inbound(address=address, event_id=str(n), text=f"hello {n}")
    item = InboxItem(f"telegram:{n}", address.conversation, inbound, store.clock())
    if fused:
        _, batch = await store.accept_begin(item, 86400, 120, 20)
    else:
        await store.accept(item, 86400)
        batch = await store.begin(address.conversation, 120, 20, store.clock(), reclaim=True)
    assert batch is not None and batch.items[0].id == item.id
    reply = OutboxItem(f"{item.id}:r0", address, Reply(text="hi"), store.clock())
    leased = await store.commit(
        address.conversation,
        batch.token,
        item.id,
        {"history": [{"in": inbound.text}]},
        {address.person: {"locale": "en"}},
        [reply],
        release=True,
        lease=30,
        versions={address.person: 0},
    )
    for sent in leased:
        await store.settle(sent.id, sent.token, Sent("1"), store.clock())


async def run(fused: bool, first: int, turns: int, concurrency: int) -> float:
    """Microseconds of process CPU per turn."""
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "turn.db")
        await store.open()
        numbers = iter(range(first, first + turns))

        async def worker() -> None:
            for n in numbers:
                await turn(store, n, fused)

        cpu = time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu = time.process_time() - cpu
        await store.close()
    return cpu / turns * 1e6


async def main(args: argparse.Namespace) -> None:
    found: dict[str, list[float]] = {way: [] for way in WAYS}
    for n in range(args.runs):
        for way in WAYS:  # alternating, so a neighbour's load falls on both alike
            found[way].append(await run(way == "accept_begin", n * 1_000_000, args.turns, args.concurrency))
    print(f"{args.turns} turns x {args.runs} runs, {args.concurrency} at a time: process CPU per turn (us)")
    for way, runs in found.items():
        print(f"  {way:13} median {statistics.median(runs):6.0f}   runs: " + " ".join(f"{r:.0f}" for r in runs))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
