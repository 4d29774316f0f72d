"""Benchmark: MESSAGE_CREATE events/s through a loopback Discord gateway to replies at its REST
API, for Parley and for a bare discord.py client answering the same events (the baseline).

One process, one run of each, in turn, against a fresh loopback fake (parley.testing.fakes.discord):
1. bare discord.py: ``on_message`` -> ``channel.send`` (no store, no dedupe, no outbox);
2. Parley with its 30 messages/s per-bot limit lifted, to measure the pipeline itself
   (dedupe, SQLite inbox, per-conversation lock, brain, durable outbox), with the garbage
   collector tuned as ``parley run`` tunes it once started;
3. Parley as shipped, which keeps under Discord's global 50 requests/s (30 messages/s).
Each event is a DM from a different person in a different channel (so per-chat limits and the
flood guard stay out of it), all sent at once, after a warm-up of a few events (the first turn
loads the language model: a second of work that is no part of the throughput); latency is from
the gateway frame leaving the fake to the reply's POST arriving at it. CPU per event is the
whole process's (fake, driver and bot): steadier than events/s on a machine shared with others.

Then the rate mode: bare and Parley at half of Parley's maximum, open loop (bench/openloop.py),
p50/p99 from each event's due time to its reply. ``--rate R`` measures that rate alone.

    .venv/bin/python bench/discord.py [N] [--rate R] [--quick] [--json]
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
import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402

import discord  # noqa: E402
from parley.channels.discord.endpoints import point_sdk_at  # noqa: E402
from parley.core.config.settings import Settings  # noqa: E402

from bench.common import RunFlags, emit, pct, run_flags  # noqa: E402
from bench.openloop import Latency, Stopwatch, at_rate, half, rate_option  # noqa: E402
from parley.app import Bot  # noqa: E402
from parley.cli import YOUNG_GC_THRESHOLD  # noqa: E402
from parley.testing.fakes.discord import TOKEN, FakeDiscord, message  # noqa: E402

ANSWER = "We're open Monday to Saturday, 9:00 to 18:00."


class BareBot(discord.Client):
    async def on_message(self, msg: discord.Message) -> None:
        if not msg.author.bot:
            await msg.channel.send(ANSWER)


@dataclasses.dataclass(frozen=True)
class Burst:
    rate: float  # events/s
    p50_ms: float
    p99_ms: float
    cpu_us: float  # process CPU per event


SERIAL = iter(range(10_000_000, 10**9))  # a new DM channel (and person, and message) per event


async def send_dm(fake: FakeDiscord, watch: Stopwatch, due: float) -> None:
    channel = next(SERIAL)
    watch.start(str(channel), due)
    await fake.dispatch("MESSAGE_CREATE", message(channel + 10**9, channel, channel + 2 * 10**9, "opening hours?"))


def watching(fake: FakeDiscord) -> Stopwatch:
    watch = Stopwatch()
    fake.observer = lambda post: watch.stop(post["channel_id"])
    return watch


async def burst(fake: FakeDiscord, n: int) -> Burst:
    """Send n DMs through the gateway at once; the time until the last reply gives events/s."""
    watch = watching(fake)
    watch.expected = n
    cpu, begin = time.process_time(), time.perf_counter()
    for _ in range(n):
        await send_dm(fake, watch, time.perf_counter())
    await asyncio.wait_for(watch.all_in.wait(), timeout=600)
    elapsed, cpu = time.perf_counter() - begin, time.process_time() - cpu
    lat = watch.latencies
    return Burst(n / elapsed, pct(lat, 50) * 1000, pct(lat, 99) * 1000, cpu / n * 1e6)


async def steady(fake: FakeDiscord, rate: float, seconds: float) -> Latency:
    watch = watching(fake)
    return await at_rate(rate, max(1, int(rate * seconds)), lambda _, due: send_dm(fake, watch, due), watch)


async def measured(fake: FakeDiscord, n: int, rate: float | None, seconds: float) -> Burst | Latency:
    await burst(fake, 20)  # warm-up: the first turn loads the language model, caches fill
    return await burst(fake, n) if rate is None else await steady(fake, rate, seconds)


async def bare(n: int, rate: float | None = None, seconds: float = 5.0) -> Burst | Latency:
    async with FakeDiscord() as fake:
        restore = point_sdk_at(fake.api_base, fake.gateway_url)
        client = BareBot(intents=discord.Intents(dm_messages=True, guilds=True))
        await client.login(TOKEN)
        task = asyncio.create_task(client.connect())
        await fake.identified.wait()
        try:
            return await measured(fake, n, rate, seconds)
        finally:
            await client.close()
            task.cancel()
            restore()


async def parley(n: int, lift_global_limit: bool, rate: float | None = None, seconds: float = 5.0) -> Burst | Latency:
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
                with as_served():
                    return await measured(fake, n, rate, seconds)


@contextlib.contextmanager
def as_served() -> Iterator[None]:
    """The collector as ``parley run`` leaves it once started (parley.cli.serve), put back after
    (the bare client runs in this process too, untuned, as its users would run it)."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def show(name: str, figures: Burst, baseline: float) -> None:
    print(
        f"{name:<44} {figures.rate:8.0f} events/s  p50 {figures.p50_ms:8.1f} ms  p99 {figures.p99_ms:8.1f} ms  "
        f"CPU {figures.cpu_us:6.0f} us/event  ({figures.rate / baseline:.2f}x)"
    )


async def figures(n: int, flags: RunFlags, rate: float | None = None) -> dict[str, float]:
    """The whole benchmark (or the rate mode alone, at ``rate``), printed; returns the figures
    ``bench.all`` reads."""
    logging.basicConfig(level=logging.ERROR)
    out: dict[str, float] = {}
    if rate is None:
        base, lifted = await bare(n), await parley(n, True)
        assert isinstance(base, Burst) and isinstance(lifted, Burst)
        show(f"bare discord.py, {n} DMs", base, base.rate)
        show(f"Bot, global limit lifted, {n} DMs", lifted, base.rate)
        print(f"Parley: {lifted.rate / base.rate:.2f}x bare discord.py (target 0.9)")
        if not flags.quick:  # as shipped, the figure is Discord's limit (30/s), not Parley's
            shipped = max(200, n // 4)
            result = await parley(shipped, False)
            assert isinstance(result, Burst)
            show(f"Parley as shipped (30 msg/s), {shipped} DMs", result, base.rate)
        out.update({"parley": lifted.rate, "bare": base.rate, "parley_p99_ms": lifted.p99_ms})
        out.update({"bare_p99_ms": base.p99_ms, "parley_cpu_us": lifted.cpu_us, "bare_cpu_us": base.cpu_us})
        rate = half(lifted.rate)
    seconds = 3.0 if flags.quick else 6.0
    at_base, at_parley = await bare(0, rate, seconds), await parley(0, True, rate, seconds)
    assert isinstance(at_base, Latency) and isinstance(at_parley, Latency)
    print(f"\nopen loop at {rate:.0f} events/s (half of Parley's maximum), event -> reply posted:")
    print(at_base.line("bare discord.py"))
    print(at_parley.line("Parley, global limit lifted"))
    print(f"parley p99 / bare p99: {at_parley.p99_ms / at_base.p99_ms:.2f} (target: at most 2)")
    out.update({"half_rate": rate, "parley_p50_half_ms": at_parley.p50_ms, "parley_p99_half_ms": at_parley.p99_ms})
    out.update({"bare_p50_half_ms": at_base.p50_ms, "bare_p99_half_ms": at_base.p99_ms})
    return out


def main() -> None:
    flags = run_flags()
    args = sys.argv[1:]
    rate, positional = rate_option(args)
    n = int(positional[0]) if positional else 500 if flags.quick else 2000
    emit(flags, "discord", asyncio.run(figures(n, flags, rate)))


if __name__ == "__main__":
    main()
