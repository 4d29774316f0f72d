"""Many concurrent web chat conversations against a running Parley, beside a bare aiohttp
websocket handler doing the same I/O, in one run. Prints turns/s and p50/p99 turn latency
(message sent -> reply received), the server's CPU per turn (steadier than turns/s on a shared
machine) and its memory.

Then the rate mode: bare and Parley at half of Parley's maximum, open loop (bench/openloop.py)
over one page per message a second (so the per-page frame limit stays out of it), p50/p99
from each message's due time to its reply frame. ``--rate R`` measures that rate alone.

Each server is warmed up first (one conversation) and left to finish its start-up work
(``bench.common.wait_idle``: Parley builds the other languages' knowledge indexes in its first
second) before anything is measured.

    .venv/bin/python bench/webchat.py [--conversations 64] [--turns 20] [--rate R] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.append(str(Path(__file__).resolve().parent.parent))  # run as a script: for bench.common

from bench.common import (  # noqa: E402
    cpu_seconds,
    emit,
    free_port,
    pct,
    row,
    rss_mb,
    run_flags,
    start,
    wait_idle,
    wait_port,
)
from bench.openloop import Latency, Stopwatch, at_rate, half  # noqa: E402

QUESTIONS = ["how much is shipping", "do you take paypal", "when do refunds arrive", "what sizes do you have"]


async def hello(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.send_json({"type": "hello", "cid": uuid.uuid4().hex, "locale": "en"})
    while (await ws.receive_json())["type"] != "welcome":
        pass


async def turn(ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
    """One message, answered: what comes before the reply (ack, typing) is skipped."""
    await ws.send_json({"type": "message", "id": uuid.uuid4().hex, "text": text})
    while (await ws.receive_json())["type"] != "reply":
        pass


async def conversation(session: aiohttp.ClientSession, port: int, turns: int, latencies: list[float]) -> None:
    async with session.ws_connect(f"http://127.0.0.1:{port}/chat/ws") as ws:
        await hello(ws)
        for n in range(turns):
            started = time.perf_counter()
            await turn(ws, QUESTIONS[n % len(QUESTIONS)])
            latencies.append(time.perf_counter() - started)


async def warm_up(port: int) -> None:
    """One conversation of two turns: the first loads the language identifier (about a second of
    work that is no part of a steady state)."""
    async with aiohttp.ClientSession() as session:
        await conversation(session, port, 2, [])


async def drive(port: int, conversations: int, turns: int) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(conversation(session, port, turns, latencies) for _ in range(conversations)))
        return len(latencies), time.perf_counter() - started, latencies


class Pages:
    """Open pages for the rate mode: each says hello and answers one warm-up turn (the first turn
    loads the language model), then sends what it is given; a reply frame stops the stopwatch of
    its message (Parley's reply id holds the message id, the bare one is the message id)."""

    def __init__(self, session: aiohttp.ClientSession, port: int) -> None:
        self.session, self.port = session, port
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task[None]] = []
        self.watch = Stopwatch()

    async def open(self, count: int) -> None:
        async def one() -> aiohttp.ClientWebSocketResponse:
            ws = await self.session.ws_connect(f"http://127.0.0.1:{self.port}/chat/ws")
            await hello(ws)
            await turn(ws, QUESTIONS[0])
            return ws

        for n in range(0, count, 64):  # 64 at a time: a connect storm is not what is measured
            self.sockets += await asyncio.gather(*(one() for _ in range(min(64, count - n))))
        self.readers = [asyncio.create_task(self.read(ws)) for ws in self.sockets]

    async def read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            frame = msg.json()
            if frame.get("type") == "reply":
                for part in str(frame.get("id", "")).split(":"):
                    self.watch.stop(part)

    async def send(self, i: int, due: float) -> None:
        message_id = uuid.uuid4().hex
        self.watch.start(message_id, due)
        await self.sockets[i % len(self.sockets)].send_json(
            {"type": "message", "id": message_id, "text": QUESTIONS[i % len(QUESTIONS)]}
        )

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def steady(port: int, rate: float, seconds: float) -> Latency:
    # limit=0: every page holds its connection (aiohttp's default pool stops at 100).
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        pages = Pages(session, port)
        await pages.open(max(64, int(rate)))  # one message a second per page at most
        try:
            return await at_rate(rate, max(1, int(rate * seconds)), pages.send, pages.watch)
        finally:
            await pages.close()


def measure(name: str, argv: list[str], env: dict[str, str], args, rate: float | None = None) -> tuple:
    """Start a server on a free port (``{port}`` in argv, and PARLEY_HTTP__PORT), drive it, stop
    it; returns the row's figures, or with ``rate`` its Latency at that rate."""
    port = free_port()
    server = start([a.format(port=port) for a in argv], {**env, "PARLEY_HTTP__PORT": str(port)})
    try:
        wait_port(port)
        asyncio.run(warm_up(port))
        wait_idle(server.pid)  # Parley's first second builds the other languages' indexes
        if rate is not None:
            return (asyncio.run(steady(port, rate, args.seconds)),)
        cpu = cpu_seconds(server.pid)
        count, seconds, lat = asyncio.run(drive(port, args.conversations, args.turns))
        return name, count, seconds, lat, rss_mb(server.pid), (cpu_seconds(server.pid) - cpu) / count * 1e6
    finally:
        server.terminate()
        server.wait()


SERVERS = (
    ("bare aiohttp websocket", ["bench/bare_ws.py", "{port}"]),
    ("parley (sqlite, retrieval)", ["bot.py", "run"]),
)


def run_all(args, rate: float | None) -> dict[str, float]:
    """Both servers at their maximum (unless ``rate`` is given), then both at half of Parley's
    maximum (or at ``rate``); prints the rows, returns the figures ``bench.all`` reads."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PARLEY_STORE_URL": f"sqlite:///{tmp}/bench.db",
            "PARLEY_LOG_LEVEL": "WARNING",
            "PARLEY_FLOOD_PER_MINUTE": "1000000",
        }
        if rate is None:
            print(f"web chat: {args.conversations} concurrent conversations x {args.turns} turns, one process each\n")
            results = [measure(name, argv, env if "parley" in name else {}, args) for name, argv in SERVERS]
            base = results[0][1] / results[0][2]
            for name, count, seconds, lat, rss, cpu in results:
                print(row(name, count, seconds, lat, rss, base) + f"  CPU {cpu:5.0f} us/turn")
            print(f"parley: {results[1][1] / results[1][2] / base:.2f}x the bare websocket (target 0.3)")
            for key, (_, count, seconds, lat, _, cpu) in zip(("bare", "parley"), results, strict=True):
                figures.update({key: count / seconds, f"{key}_p99_ms": pct(lat, 99) * 1000, f"{key}_cpu_us": cpu})
            rate = half(figures["parley"])
        print(f"\nopen loop at {rate:.0f} messages/s (half of Parley's maximum), message -> reply frame:")
        for (name, argv), key in zip(SERVERS, ("bare", "parley"), strict=True):
            (lat,) = measure(name, argv, env if key == "parley" else {}, args, rate)
            print(lat.line(name))
            figures.update({f"{key}_p50_half_ms": lat.p50_ms, f"{key}_p99_half_ms": lat.p99_ms})
    print(
        f"parley p99 / bare p99: {figures['parley_p99_half_ms'] / figures['bare_p99_half_ms']:.2f} (target: at most 2)"
    )
    figures["half_rate"] = rate
    return figures


def main() -> None:
    flags = run_flags()
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=64)
    parser.add_argument("--turns", type=int, default=10 if flags.quick else 20)
    parser.add_argument("--seconds", type=float, default=3.0 if flags.quick else 6.0, help="rate mode duration")
    parser.add_argument("--rate", type=float, default=None, help="the rate mode alone, at this rate")
    args = parser.parse_args()
    emit(flags, "webchat", run_all(args, args.rate))


if __name__ == "__main__":
    main()
