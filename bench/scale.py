"""Scale-out benchmark: turns/s and p50/p99 through real ``bot.py`` processes, in one run:

  1. one process on SQLite (the embedded baseline),
  2. one process on Redis,
  3. two processes on Redis (clients spread over both, as behind a load balancer),

then Redis commands per turn (INFO commandstats deltas: every command, scripts' inner calls too),
round trips per turn (MONITOR over a short extra run: only commands a client sent), and the
Redis server's CPU per turn (INFO cpu deltas, user + system) with the fleet ceiling it implies
for one primary (1e6 / microseconds per turn: a primary executes commands on one thread), and
that CPU in PING round trips measured on the same server (a unit that travels between machines).

A turn is measured as the person sees it: web chat message sent -> reply frame received (ack,
dedupe, lock, state, pipeline, commit, outbox claim, send, settle). Redis is a private
redis-server on a free port (AOF everysec, noeviction: the production settings in
docs/scale-out.md), so other users of the machine's Redis don't blur the counts.

    .venv/bin/python bench/scale.py [--clients 32] [--turns 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import emit, run_flags  # noqa: E402
from tests.integration.processes import Bot, RedisServer  # noqa: E402


async def client(session: aiohttp.ClientSession, base: str, turns: int, latencies: list[float]) -> None:
    async with session.ws_connect(base.replace("http", "ws") + "/chat/ws") as ws:
        # No client id: the server issues one (a made-up one would be refused as a forgery).
        await ws.send_json({"type": "hello", "locale": "en"})
        assert (await ws.receive_json())["type"] == "welcome"
        for n in range(turns):
            event = f"e{n:04d}-{uuid.uuid4().hex[:8]}"
            started = time.perf_counter()
            await ws.send_json({"type": "message", "id": event, "text": f"do you ship abroad? {n}"})
            while True:
                frame = await ws.receive_json(timeout=60)
                # A reply's id is its inbox id plus ":r<n>": "web:<chat>:<event>:r0".
                if frame["type"] == "reply" and f":{event}:r" in frame["id"]:
                    break
            latencies.append(time.perf_counter() - started)


async def drive(bases: list[str], clients: int, turns: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session, bases[n % len(bases)], turns, latencies) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[p - 1] * 1000 if len(values) > 1 else values[0] * 1000


async def commandstats(r: Redis) -> Counter[str]:
    stats = await r.info("commandstats")
    return Counter({k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()})


async def server_cpu(r: Redis) -> float:
    """Seconds of CPU the Redis server has used (user + system, every thread)."""
    cpu = await r.info("cpu")
    return float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"])


async def ping_cpu(r: Redis, count: int = 2000) -> float:
    """Server CPU microseconds of one PING round trip, one at a time: the machine's own unit, to
    read the per-turn figure against (a fast server spends a few microseconds; a shared VM more)."""
    before = await server_cpu(r)
    for _ in range(count):
        await r.ping()
    return (await server_cpu(r) - before) * 1e6 / count


async def monitored(r: Redis, url: str, bases: list[str], turns: int) -> tuple[Counter[str], int]:
    """Client-sent commands (round trips) during a short run; MONITOR marks scripts' own as 'lua'."""
    sent: Counter[str] = Counter()
    monitor = Redis.from_url(url, decode_responses=True)
    done = asyncio.Event()

    async def watch() -> None:
        async with monitor.monitor() as m:
            listening.set()
            async for line in m.listen():
                if done.is_set():
                    return
                if line.get("client_type") != "lua":
                    sent[line["command"].split()[0].lower()] += 1

    listening = asyncio.Event()
    task = asyncio.create_task(watch())
    await listening.wait()
    await asyncio.sleep(0.2)
    await drive(bases, 4, turns)
    await asyncio.sleep(0.2)
    done.set()
    await r.ping()  # one more line so the watcher wakes up and returns
    await asyncio.wait_for(task, 5)
    await monitor.aclose()
    return sent, 4 * turns


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    server = RedisServer(work / "redis", fsync="everysec")
    server.start()
    r = Redis.from_url(server.url, decode_responses=True)
    rows = []
    try:
        configs = [
            ("1 process, SQLite", f"sqlite:///{work / 'bench.db'}", 1),
            ("1 process, Redis", server.url + "?prefix=one", 1),
            ("2 processes, Redis", server.url + "?prefix=two", 2),
        ]
        per_turn: dict[str, float] = {}
        cpu_per_turn: dict[str, float] = {}  # Redis server CPU, microseconds per turn
        for label, url, count in configs:
            # A client here sends its next message as soon as the reply lands: far past the
            # per-socket frame limit a page gets (2/s, bursts of 20), which would refuse frames.
            bots = [Bot(url, work, PARLEY_WEBCHAT__RATE="100000", PARLEY_WEBCHAT__BURST="100000") for _ in range(count)]
            try:
                await asyncio.gather(*(b.ready() for b in bots))
                await drive([b.base for b in bots], 4, 3)  # warm up (imports, first connections)
                before, cpu_before = await commandstats(r), await server_cpu(r)
                elapsed, lat = await drive([b.base for b in bots], args.clients, args.turns)
                after, cpu_after = await commandstats(r), await server_cpu(r)
                if "Redis" in label:
                    per_turn[label] = sum((after - before).values()) / len(lat)
                    cpu_per_turn[label] = (cpu_after - cpu_before) * 1e6 / len(lat)
                rows.append((label, len(lat) / elapsed, pct(lat, 50), pct(lat, 99)))
                if count == 1 and "Redis" in label:
                    delta, turned = after - before, len(lat)
                    sent, turns = await monitored(r, server.url, [b.base for b in bots], 25)
            finally:
                for b in bots:
                    b.kill()
        print(f"\nscale-out benchmark: {args.clients} web chat clients x {args.turns} turns each\n")
        print(f"{'setup':<22}{'turns/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs SQLite':>11}")
        for label, rate, p50, p99 in rows:
            print(f"{label:<22}{rate:>10.0f}{p50:>10.1f}{p99:>10.1f}{rate / rows[0][1]:>10.2f}x")
        print("\nRedis per turn (1 process):")
        print(
            f"  commands (INFO commandstats delta, scripts' inner calls included): {per_turn['1 process, Redis']:.1f}"
        )
        total = sum(sent.values())
        print(f"  round trips (MONITOR, commands a client sent): {total / turns:.2f}")
        print("    " + ", ".join(f"{k} {v / turns:.2f}" for k, v in sent.most_common()))
        top = ", ".join(f"{k} {v / turned:.2f}" for k, v in delta.most_common(8))
        print(f"  top commands per turn: {top}")
        print(f"  commands per turn with 2 processes: {per_turn['2 processes, Redis']:.1f}")
        # One primary runs commands on one thread: its CPU per turn bounds the whole fleet.
        for label, micros in cpu_per_turn.items():
            print(
                f"  Redis server CPU ({label}): {micros:.0f} us per turn"
                f" -> fleet ceiling on one primary ~{1e6 / micros:,.0f} turns/s"
            )
        ping = await ping_cpu(r)
        turn = cpu_per_turn["1 process, Redis"]
        print(f"  one PING round trip costs this server {ping:.0f} us of CPU: a turn costs {turn / ping:.1f} of them")
        rates = {label: rate for label, rate, _, _ in rows}
        figures = {
            "sqlite": rates["1 process, SQLite"],
            "redis_1": rates["1 process, Redis"],
            "redis_2": rates["2 processes, Redis"],
            "commands_per_turn": per_turn["1 process, Redis"],
            "round_trips_per_turn": total / turns,
            "redis_cpu_us_per_turn": cpu_per_turn["1 process, Redis"],
            "fleet_ceiling_turns_per_s": 1e6 / cpu_per_turn["1 process, Redis"],
            "redis_turn_in_pings": turn / ping,
        }
        emit(args.flags, "scale", figures)
    finally:
        await r.aclose()
        server.stop()


def main() -> None:
    flags = run_flags()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--turns", type=int, default=8 if flags.quick else 20)
    args = parser.parse_args()
    args.flags = flags
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
