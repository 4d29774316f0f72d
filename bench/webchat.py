"""Many concurrent web chat conversations against a running Parley, beside a bare aiohttp
websocket handler doing the same I/O, in one run. Prints turns/s and p50/p99 turn latency
(message sent -> reply received) and the server's memory.

    .venv/bin/python bench/webchat.py [--conversations 64] [--turns 20]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid

import aiohttp

from bench.common import emit, free_port, pct, row, rss_mb, run_flags, start, wait_port

QUESTIONS = ["how much is shipping", "do you take paypal", "when do refunds arrive", "what sizes do you have"]


async def conversation(session: aiohttp.ClientSession, port: int, turns: int, latencies: list[float]) -> None:
    async with session.ws_connect(f"http://127.0.0.1:{port}/chat/ws") as ws:
        await ws.send_json({"type": "hello", "cid": uuid.uuid4().hex, "locale": "en"})
        while (await ws.receive_json())["type"] != "welcome":
            pass
        for n in range(turns):
            started = time.perf_counter()
            await ws.send_json({"type": "message", "id": uuid.uuid4().hex, "text": QUESTIONS[n % len(QUESTIONS)]})
            while (await ws.receive_json())["type"] != "reply":
                pass
            latencies.append(time.perf_counter() - started)


async def drive(port: int, conversations: int, turns: int) -> tuple[int, float, list[float]]:
    latencies: list[float] = []
    async with aiohttp.ClientSession() as session:
        await conversation(session, port, 2, [])  # warm up
        started = time.perf_counter()
        await asyncio.gather(*(conversation(session, port, turns, latencies) for _ in range(conversations)))
        return len(latencies), time.perf_counter() - started, latencies


def measure(name: str, argv: list[str], env: dict[str, str], args) -> tuple:
    """Start a server on a free port (``{port}`` in argv, and PARLEY_HTTP__PORT), drive it, stop
    it; returns the row's figures."""
    port = free_port()
    server = start([a.format(port=port) for a in argv], {**env, "PARLEY_HTTP__PORT": str(port)})
    try:
        wait_port(port)
        count, seconds, lat = asyncio.run(drive(port, args.conversations, args.turns))
        return name, count, seconds, lat, rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    flags = run_flags()
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=64)
    parser.add_argument("--turns", type=int, default=10 if flags.quick else 20)
    args = parser.parse_args()
    print(f"web chat: {args.conversations} concurrent conversations x {args.turns} turns, one process each\n")
    results = [measure("bare aiohttp websocket", ["bench/bare_ws.py", "{port}"], {}, args)]
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "PARLEY_STORE_URL": f"sqlite:///{tmp}/bench.db",
            "PARLEY_LOG_LEVEL": "WARNING",
            "PARLEY_FLOOD_PER_MINUTE": "1000000",
        }
        results.append(measure("parley (sqlite, retrieval)", ["bot.py", "run"], env, args))
    base = results[0][1] / results[0][2]
    for name, count, seconds, lat, rss in results:
        print(row(name, count, seconds, lat, rss, base))
    figures = {}
    for key, (_, count, seconds, lat, _) in zip(("bare", "parley"), results, strict=True):
        figures.update({key: count / seconds, f"{key}_p99_ms": pct(lat, 99) * 1000})
    emit(flags, "webchat", figures)


if __name__ == "__main__":
    main()
