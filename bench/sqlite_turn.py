"""The SQLite store's turn alone: the calls an ordinary turn makes (accept and begin, commit with
its reply leased, settle), driven straight at ``SQLiteStore`` with no bot process, with accept
and begin as two calls and as one (``accept_begin``), in alternating runs. Prints the process
CPU per turn (the checkpointer's thread included), so a change to the store's hot path is
measured without the noise of a whole bot.

    .venv/bin/python -m bench.sqlite_turn [--turns 3000] [--concurrency 32] [--runs 5]
    .venv/bin/python -m bench.sqlite_turn --history 1000000   # one housekeeping pass, a week kept

``--history N``: N dedupe marks spread over a week (what a week of N events leaves), then the CPU
of one housekeeping pass with a thousandth of them expired: through the expiry index, and the
same delete as a scan of the table (the index dropped), which is what a pass cost before it.
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
from parley.core.storage.sqlite_inbox import housekeeping  # noqa: E402
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


async def history(marks: int) -> None:
    """One housekeeping pass over a week of ``marks`` dedupe marks, indexed and scanned."""
    week, now = 7 * 86400.0, 1_000_000_000.0
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "week.db", clock=lambda: now)
        await store.open()
        db = store.db
        rows = ((f"telegram:{n}", now - week / 1000 + week * n / marks) for n in range(marks))
        db.execute("BEGIN")
        db.executemany("INSERT INTO seen VALUES (?, ?)", rows)
        db.execute("COMMIT")
        for way in ("expiry index", "table scan"):
            if way == "table scan":
                db.execute("DROP INDEX seen_until")
                db.execute(
                    "UPDATE seen SET until = until - ? WHERE until > ?", (week / 1000, now)
                )  # expire as many again
            cpu = time.process_time()
            db.execute("BEGIN IMMEDIATE")
            gone = (
                housekeeping(db, now)
                if way == "expiry index"
                else db.execute("DELETE FROM seen WHERE until <= ?", (now,)).rowcount
            )
            db.execute("COMMIT")
            print(f"  {way:12}: {(time.process_time() - cpu) * 1000:7.1f} ms of CPU, {gone} marks deleted of {marks:,}")
        await store.close()


async def main(args: argparse.Namespace) -> None:
    if args.history:
        print(f"one housekeeping pass, {args.history:,} dedupe marks kept over a week:")
        await history(args.history)
        return
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
    parser.add_argument("--history", type=int, default=0, help="dedupe marks a week leaves: time one housekeeping pass")
    asyncio.run(main(parser.parse_args()))
