"""Where one Telegram update's CPU goes in Parley: each call of the path timed alone.

    .venv/bin/python bench/telegram_breakdown.py [--n 2000]

Every step runs ``n`` times in this process against the real SQLite store (a temp file) and
prints CPU microseconds per call (``time.process_time``, so other programs on the machine hardly
move it). The HTTP steps post to bench/telegram.py's fast fake in this same process, so they
include the fake's share; ``raw aiohttp post`` is the floor any client pays against that fake.
Calls run one at a time here, so each store write is a group commit of one (its own transaction):
these are the unbatched costs, an upper bound for what the same call costs under load.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path, where bench/locale.py would shadow the
# standard library's ``locale`` (argparse and babel import it): put the project root there instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import aiohttp  # noqa: E402
from parley.channels.telegram.translate import to_inbound  # noqa: E402
from parley.core.config.settings import Settings  # noqa: E402
from parley.core.kernel.messages import Reply  # noqa: E402
from parley.core.storage.store import InboxItem, OutboxItem, Sent  # noqa: E402

from bench.telegram import TOKEN, FastFake, free_port, update  # noqa: E402
from parley.app import Bot  # noqa: E402


class Timer:
    """Sums CPU time per step; steps run interleaved, update after update, as in production
    (so the outbox holds about one due item when it is claimed, not the whole run's)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}

    async def __call__(self, label: str, step, i: int) -> None:
        start = time.process_time()
        await step(i)
        self.totals[label] = self.totals.get(label, 0.0) + time.process_time() - start


async def main(n: int) -> None:
    loop = asyncio.get_running_loop()
    api_port = free_port()
    server = await loop.create_server(FastFake, "127.0.0.1", api_port)
    api = f"http://127.0.0.1:{api_port}"
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            store_url=f"sqlite:///{tmp}/b.db",
            http={"host": "127.0.0.1", "port": 0},
            public_url="http://127.0.0.1:1",
            telegram={"token": TOKEN, "api_base": api, "mode": "webhook", "webhook_secret": "s", "bot_rate": 1e6},
        )
        async with Bot(settings) as app:
            for task in app._tasks:  # measure the calls alone, without the background workers
                task.cancel()
            store, engine, channel = app.store, app.engine, app.channels["telegram"]
            me = await channel.identity()
            bodies = {i: update(10_000 + i) for i in range(-60, n)}
            inbounds = {i: to_inbound(json.loads(b), me) for i, b in bodies.items()}
            batches, turns = {}, {}

            async def parse(i):
                to_inbound(json.loads(bodies[i]), me)

            async def accept(i):
                inbound = inbounds[i]
                item = InboxItem(f"telegram:{inbound.event_id}", inbound.address.conversation, inbound, app.clock())
                await store.accept(item, 86400.0)

            async def begin(i):
                batches[i] = await store.begin(inbounds[i].address.conversation, 120.0, 20, app.clock())

            async def pipeline(i):
                turns[i] = await engine._run(inbounds[i], batches[i].state, {}, inbounds[i].address.person)

            async def commit(i):
                inbound, turn = inbounds[i], turns[i]
                item_id = f"telegram:{inbound.event_id}"
                out = [
                    OutboxItem(f"{item_id}:r{k}", inbound.address, r, app.clock()) for k, r in enumerate(turn.replies)
                ]
                profiles = {inbound.address.person: turn.profile}
                # The engine frees the lock in the same write when its batch is done.
                token = batches.pop(i).token
                await store.commit(
                    inbound.address.conversation, token, item_id, turns.pop(i).state, profiles, out, release=True
                )

            claimed = {}

            async def claim(i):
                claimed[i] = (await store.claim(app.clock(), 1, 30.0))[0]

            async def limits(i):
                app.outbox.limiter.acquire(channel.limits(claimed[i].address), app.clock())

            async def settle(i):
                item = claimed.pop(i)
                await store.settle(item.id, item.token, Sent("1"), app.clock())

            reply = Reply(text="Thanks for your message. A short answer about shipping.")

            async def send(i):
                await channel.send(inbounds[i].address, reply)

            http = aiohttp.ClientSession()

            async def raw_post(i):
                payload = {"chat_id": inbounds[i].address.chat, "text": reply.text}
                async with http.post(f"{api}/bot{TOKEN}/sendMessage", json=payload) as resp:
                    await resp.read()

            steps = [
                ("parse update (json + to_inbound)", parse),
                ("store.accept (dedupe + inbox)", accept),
                ("store.begin (lock + load state)", begin),
                ("pipeline (middlewares + brain)", pipeline),
                ("store.commit (state + outbox + unlock)", commit),
                ("store.claim (outbox lease)", claim),
                ("limiter.acquire (rate limits)", limits),
                ("store.settle (mark sent)", settle),
                ("channel.send (Bot API client + fake)", send),
                ("raw aiohttp post (+ fake)", raw_post),
            ]
            gc.collect()
            gc.freeze()  # the app's long-lived objects: keep the collector's passes to this run's garbage
            warm, timer = Timer(), Timer()
            for i in range(-50, n):  # the first 50 warm caches, connections and SQLite pages
                for label, step in steps:
                    await (warm if i < 0 else timer)(label, step, i)
            rows = [(label, timer.totals[label] / n * 1e6) for label, _ in steps]
            await http.close()
    server.close()
    path = sum(us for label, us in rows if not label.startswith("raw"))
    core = sum(us for label, us in rows if label.startswith(("store.", "pipeline", "limiter")))
    print(f"CPU per call, {n} calls each, SQLite store (shares are of the path without the raw post)")
    for label, us in rows:
        print(f"  {label:40} {us:7.0f} us {us / path:6.1%}")
    print(f"  {'core calls (store + pipeline + limits)':40} {core:7.0f} us {core / path:6.1%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    asyncio.run(main(parser.parse_args().n))
