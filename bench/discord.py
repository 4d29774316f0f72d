"""Benchmark: MESSAGE_CREATE events/s through a loopback Discord gateway to replies at its REST
API, for Parley and for a bare discord.py client answering the same events (the baseline).

    .venv/bin/python bench/discord.py [N]

One process, one run of each, in turn, against a fresh loopback fake (parley.testing.fakes.discord):
1. bare discord.py: ``on_message`` -> ``channel.send`` (no store, no dedupe, no outbox);
2. Parley with its 30 messages/s per-bot limit lifted, to measure the pipeline itself
   (dedupe, SQLite inbox, per-conversation lock, brain, durable outbox);
3. Parley as shipped, which keeps under Discord's global 50 requests/s (30 messages/s).
Each event is a DM from a different person in a different channel (so per-chat limits and the
flood guard stay out of it), all sent at once; latency is from the gateway frame leaving the
fake to the reply's POST arriving at it.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and "import discord" would find
# this very file instead of the SDK: put the project root there instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import asyncio  # noqa: E402
import dataclasses  # noqa: E402
import logging  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import discord  # noqa: E402
from parley.channels.discord.endpoints import point_sdk_at  # noqa: E402
from parley.core.config.settings import Settings  # noqa: E402

from bench.common import RunFlags, emit, run_flags  # noqa: E402
from parley.app import Bot  # noqa: E402
from parley.testing.fakes.discord import TOKEN, FakeDiscord, message  # noqa: E402

ANSWER = "We're open Monday to Saturday, 9:00 to 18:00."


class BareBot(discord.Client):
    async def on_message(self, msg: discord.Message) -> None:
        if not msg.author.bot:
            await msg.channel.send(ANSWER)


async def drive(fake: FakeDiscord, n: int) -> tuple[float, float, float]:
    """Send n DMs through the gateway; return (events/s, p50 ms, p99 ms)."""
    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    def observe(post: dict) -> None:
        start = sent.pop(post["channel_id"], None)
        if start is not None:
            latencies.append(time.perf_counter() - start)
            if len(latencies) == n:
                done.set()

    fake.observer = observe
    begin = time.perf_counter()
    for i in range(n):
        channel = 10_000_000 + i
        sent[str(channel)] = time.perf_counter()
        await fake.dispatch("MESSAGE_CREATE", message(20_000_000 + i, channel, 30_000_000 + i, "opening hours?"))
    await asyncio.wait_for(done.wait(), timeout=600)
    elapsed = time.perf_counter() - begin
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return n / elapsed, statistics.median(latencies) * 1000, p99 * 1000


async def bare(n: int) -> tuple[float, float, float]:
    async with FakeDiscord() as fake:
        restore = point_sdk_at(fake.api_base, fake.gateway_url)
        client = BareBot(intents=discord.Intents(dm_messages=True, guilds=True))
        await client.login(TOKEN)
        task = asyncio.create_task(client.connect())
        await fake.identified.wait()
        try:
            return await drive(fake, n)
        finally:
            await client.close()
            task.cancel()
            restore()


async def parley(n: int, lift_global_limit: bool) -> tuple[float, float, float]:
    async with FakeDiscord() as fake:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                _env_file=None,
                store_url=f"sqlite:///{tmp}/bench.db",
                http={"host": "127.0.0.1", "port": 0},
                flood_per_minute=10**6,
                discord={"token": TOKEN, "api_base": fake.api_base, "gateway_url": fake.gateway_url},
            )
            async with Bot(settings) as app:
                channel = app.channels["discord"]
                if lift_global_limit:
                    caps = dataclasses.replace(channel.capabilities, global_rate=1e9)
                    channel.capabilities = caps  # type: ignore[misc]
                await fake.identified.wait()
                return await drive(fake, n)


def show(name: str, figures: tuple[float, float, float], baseline: float) -> None:
    rate, p50, p99 = figures
    print(f"{name:<44} {rate:8.0f} events/s  p50 {p50:8.1f} ms  p99 {p99:8.1f} ms  ({rate / baseline:.2f}x)")


async def main(n: int, flags: RunFlags) -> None:
    logging.basicConfig(level=logging.ERROR)
    base = await bare(n)
    show(f"bare discord.py, {n} DMs", base, base[0])
    lifted = await parley(n, True)
    show(f"Bot, global limit lifted, {n} DMs", lifted, base[0])
    if not flags.quick:  # as shipped, the figure is Discord's limit (30/s), not Parley's
        shipped = max(200, n // 4)
        show(f"Parley as shipped (30 msg/s), {shipped} DMs", await parley(shipped, False), base[0])
    emit(flags, "discord", {"parley": lifted[0], "bare": base[0], "parley_p99_ms": lifted[2], "bare_p99_ms": base[2]})


if __name__ == "__main__":
    flags = run_flags()
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500 if flags.quick else 2000, flags))
