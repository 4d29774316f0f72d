"""Voice (ConversationRelay): time from a caller's final ``prompt`` to the first ``text`` token
Parley speaks, with the LLM fake streaming, at many concurrent calls; beside two baselines in
the same run on the same loopback fake model:

- echo: a bare aiohttp websocket answering the prompt at once (the floor of websocket I/O);
- bare relay + model: a bare websocket that streams the fake model with Parley's own model
  client and forwards its tokens (the least any relay server does, with the same model I/O).
  Parley's overhead is its figure minus this one: inbox and dedupe, the conversation lock, the
  pipeline (locale, history, desk, PII redaction, prompt), the store, the speech cleaner.

Every server is its own process, and so is the fake model; the callers share the bench process.
Every server greets the call on ``setup`` (Parley with its disclosure, the baselines with a
fixed line), so the sockets carry the same frames.

The load model is closed: each of ``--calls`` callers sends a partial then a final prompt, waits
for the whole answer, then speaks for 1-3 s (``--think``) before the next, as people do; with
every caller sending its prompt in the same instant the figure would be the fake model's
queue, on any server. The output states the offered rate and the machine's load average.

Latency on a shared machine moves with everything else running on it, so the overhead is taken
per percentile against the bare relay measured in the same run, and each server's CPU time per
turn (its process's user + system time over the timed turns, /proc) is printed beside it: that
figure hardly depends on the machine's load.

    .venv/bin/python -m bench.voice [--calls 50] [--turns 10] [--think 2.0] [--quick]
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
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import RunFlags, cpu_seconds, emit, free_port, pct, run_flags  # noqa: E402
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
        yield proc.pid
    finally:
        proc.terminate()
        await proc.wait()


@dataclass
class Run:
    latencies: list[float]  # final prompt -> first text token, seconds
    cpu_us: float  # the server's CPU microseconds per timed turn (greetings included)
    seconds: float  # wall time of the timed turns


async def caller(relay: FakeRelay, n: int, turns: int, latencies: list[float], think: float) -> None:
    pause = random.Random(n)  # the same pauses for every server
    call = await relay.connect(f"CA{n:032x}", f"+1555{n:07d}", VOICE_FROM)
    await call.answer(timeout=30)  # the greeting
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


async def drive(port: int, pid: int, calls: int, turns: int, think: float) -> Run:
    latencies: list[float] = []
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        relay = FakeRelay(http, base, base, AUTH_TOKEN)
        await caller(relay, 10_000, 2, [], 0.0)  # warm up: imports, pools, SQLite, the language model
        cpu, started = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(caller(relay, n, turns, latencies, think) for n in range(calls)))
        cpu, seconds = cpu_seconds(pid) - cpu, time.perf_counter() - started
    return Run(latencies, cpu / max(1, len(latencies)) * 1e6, seconds)


PERCENTILES = (50, 90, 99)


def line(name: str, run: Run) -> str:
    figures = "  ".join(f"p{q} {pct(run.latencies, q) * 1000:7.2f} ms" for q in PERCENTILES)
    return f"  {name:<40} {figures}   CPU {run.cpu_us:7.0f} us/turn   n={len(run.latencies)}"


def overhead(parley: Run, bare: Run) -> str:
    figures = "  ".join(
        f"p{q} {(pct(parley.latencies, q) - pct(bare.latencies, q)) * 1000:7.2f} ms" for q in PERCENTILES
    )
    return f"  {'Parley minus bare relay + model':<40} {figures}   CPU {parley.cpu_us - bare.cpu_us:7.0f} us/turn"


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
    load = os.getloadavg()[0]
    async with fake_model() as model_url:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            port = free_port()
            async with server([str(ROOT / "bench/bare_relay.py"), str(port)], {}, port, folder) as pid:
                echo = await drive(port, pid, calls, turns, think)
            port = free_port()
            async with server([str(ROOT / "bench/bare_relay.py"), str(port), model_url], {}, port, folder) as pid:
                bare = await drive(port, pid, calls, turns, think)
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
            async with server([str(ROOT / "bot.py"), "run"], env, port, folder) as pid:
                parley = await drive(port, pid, calls, turns, think)
    print(
        f"\nvoice: {calls} concurrent calls x {turns} turns (closed loop: each caller waits for the whole"
        f" answer, then speaks {think / 2:.1f}-{think * 1.5:.1f} s; offered about {calls / think:.0f} turns/s);"
        f" fake model streams {len(ANSWER)} chars in 8-char chunks"
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.1f} before the run, {os.getloadavg()[0]:.1f} after"
        " (shared: latency moves with it, CPU per turn hardly does)"
    )
    print("final prompt -> first text token; server CPU per timed turn")
    print(line("baseline: bare websocket echo", echo))
    print(line("baseline: bare websocket + model stream", bare))
    print(line("Parley: ConversationRelay (sqlite, LLM)", parley))
    print(overhead(parley, bare) + "   (goal: under 20 ms at p99)")
    figures = {"overhead_p99_ms": (pct(parley.latencies, 99) - pct(bare.latencies, 99)) * 1000}
    for key, run in (("parley", parley), ("bare", bare), ("echo", echo)):
        figures[f"{key}_p99_ms"] = pct(run.latencies, 99) * 1000
        figures[f"{key}_cpu_us"] = run.cpu_us
    figures["overhead_cpu_us"] = parley.cpu_us - bare.cpu_us
    emit(flags, "voice", figures)


if __name__ == "__main__":
    flags = run_flags()
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--turns", type=int, default=4 if flags.quick else 10)
    parser.add_argument("--think", type=float, default=1.0 if flags.quick else 2.0, help="mean seconds between answers")
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.turns, args.think, flags))
