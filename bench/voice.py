"""Voice (ConversationRelay): time from a caller's final ``prompt`` to the first ``text`` token
Parley speaks, with the LLM fake streaming, at many concurrent calls; beside two baselines in
the same run on the same loopback fake model:

- echo: a bare aiohttp websocket answering the prompt at once (the floor of websocket I/O);
- bare relay + LLM: a bare websocket that streams the fake model with the openai client and
  forwards its first token (the least any relay server does). Parley's overhead is its figure
  minus this one: inbox and dedupe, the conversation lock, the pipeline (locale, history, desk,
  PII redaction, prompt), the speech cleaner.

Every server is its own process, and so is the fake model; the callers share the bench process.

    .venv/bin/python -m bench.voice [--calls 50] [--turns 10] [--think 2.0]

Callers pause 1-3 s between turns (``--think``), as people do; with every caller sending its
prompt in the same instant the figure is the fake model's queue, on any server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RunFlags, emit, free_port, pct, run_flags  # noqa: E402
from parley.testing.fakes.conversationrelay import FakeRelay  # noqa: E402
from parley.testing.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN  # noqa: E402

ANSWER = "Standard delivery takes three to five working days, and express delivery takes one to two."
QUESTIONS = ["how long does delivery take", "do you ship abroad", "when do refunds arrive", "what sizes do you have"]
VOICE_FROM = "+15005550010"


@contextlib.asynccontextmanager
async def server(argv: list[str], env: dict[str, str], port: int, folder: Path):
    full = {**{k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}, **env}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *argv, env=full, cwd=folder, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        for _ in range(400):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        await proc.wait()


async def caller(relay: FakeRelay, n: int, turns: int, greeting: bool, latencies: list[float], think: float) -> None:
    pause = random.Random(n)  # the same pauses for every server
    call = await relay.connect(f"CA{n:032x}", f"+1555{n:07d}", VOICE_FROM)
    if greeting:
        await call.answer(timeout=30)
    for turn in range(turns):
        # A caller speaks for a few seconds between answers: 50 calls are not 50 prompts in the
        # same millisecond (that would measure the fake model's queue, not the relay).
        await asyncio.sleep(pause.uniform(think / 2, think * 1.5))
        await call.prompt(QUESTIONS[turn % len(QUESTIONS)], last=False)
        started = time.perf_counter()
        await call.prompt(QUESTIONS[turn % len(QUESTIONS)], last=True)
        first = await call.first_token(timeout=30)
        latencies.append(time.perf_counter() - started)
        if not first["last"]:
            await call.answer(timeout=30)  # the rest of the answer, up to ``last``
    await call.hang_up()


async def drive(port: int, calls: int, turns: int, greeting: bool, think: float) -> list[float]:
    latencies: list[float] = []
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        relay = FakeRelay(http, base, base, AUTH_TOKEN)
        await caller(relay, 10_000, 2, greeting, [], 0.0)  # warm up: imports, pools, SQLite
        await asyncio.gather(*(caller(relay, n, turns, greeting, latencies, think) for n in range(calls)))
    return latencies


def line(name: str, values: list[float]) -> str:
    return f"  {name:<42} p50 {pct(values, 50) * 1000:7.2f} ms   p99 {pct(values, 99) * 1000:7.2f} ms   n={len(values)}"


@contextlib.asynccontextmanager
async def fake_model():
    """The fake model in its own process; yields its base URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bench/fake_model.py"), ANSWER, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        yield (await proc.stdout.readline()).decode().strip()
    finally:
        proc.terminate()
        await proc.wait()


async def main(calls: int, turns: int, think: float, flags: RunFlags) -> None:
    logging.disable(logging.WARNING)
    async with fake_model() as model_url:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            port = free_port()
            async with server([str(ROOT / "bench/bare_relay.py"), str(port)], {}, port, folder):
                echo = await drive(port, calls, turns, False, think)
            port = free_port()
            async with server([str(ROOT / "bench/bare_relay.py"), str(port), model_url], {}, port, folder):
                bare = await drive(port, calls, turns, False, think)
            port = free_port()
            env = {
                "PARLEY_STORE_URL": f"sqlite:///{folder / 'bench.db'}",
                "PARLEY_HTTP__PORT": str(port),
                "PARLEY_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "PARLEY_FLOOD_PER_MINUTE": "1000000",
                "PARLEY_LOG_LEVEL": "WARNING",
                "PARLEY_LLM__API_KEY": "sk-bench",
                "PARLEY_LLM__BASE_URL": model_url,
                "PARLEY_LLM__DAILY_TOKENS": "0",
                "PARLEY_TWILIO__ACCOUNT_SID": ACCOUNT_SID,
                "PARLEY_TWILIO__AUTH_TOKEN": AUTH_TOKEN,
                "PARLEY_TWILIO__VOICE_FROM": VOICE_FROM,
                "PARLEY_TWILIO__API_BASE": "http://127.0.0.1:9",  # never called: no SMS, no calls placed
            }
            async with server([str(ROOT / "bot.py"), "run"], env, port, folder):
                parley = await drive(port, calls, turns, True, think)
    print(
        f"\nvoice: {calls} concurrent calls x {turns} turns, {think / 2:.1f}-{think * 1.5:.1f} s between turns;"
        f" fake model streams {len(ANSWER)} chars in 8-char chunks"
    )
    print("final prompt -> first text token")
    print(line("baseline: bare websocket echo", echo))
    print(line("baseline: bare websocket + openai stream", bare))
    print(line("Parley: ConversationRelay (sqlite, LLM)", parley))
    print(
        f"  Parley overhead over the bare relay: p50 {(pct(parley, 50) - pct(bare, 50)) * 1000:.2f} ms, "
        f"p99 {(pct(parley, 99) - pct(bare, 99)) * 1000:.2f} ms (goal: under 20 ms at p99)"
    )
    figures = {"overhead_p99_ms": (pct(parley, 99) - pct(bare, 99)) * 1000}
    for key, values in (("parley", parley), ("bare", bare), ("echo", echo)):
        figures[f"{key}_p99_ms"] = pct(values, 99) * 1000
    emit(flags, "voice", figures)


if __name__ == "__main__":
    flags = run_flags()
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--turns", type=int, default=4 if flags.quick else 10)
    parser.add_argument("--think", type=float, default=1.0 if flags.quick else 2.0, help="mean seconds between answers")
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.turns, args.think, flags))
