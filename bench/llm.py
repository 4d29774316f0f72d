"""Benchmark: what Parley adds around a streamed LLM answer, against a direct ``openai`` call.

Both sides talk to the same loopback OpenAI-compatible fake (parley.testing.fakes.openai) in the same
run, so the model costs nothing and only the overhead shows:

Parley runs as a real ``bot.py run`` process; the fake, the baseline client and the web chat
client share the bench process (``perf_counter`` is CLOCK_MONOTONIC: one clock for both).

1. first token -> first visible text: from the moment the fake writes its first content chunk
   to the moment the web chat websocket client receives the first draft frame (Parley), versus
   to the moment a bare ``AsyncOpenAI`` stream yields that chunk (baseline);
2. whole answer: from sending the message to the final reply frame (Parley: websocket, inbox,
   lock, pipeline, prompt, PII, stream, commit, outbox), versus a bare streamed call consumed
   to the end (baseline). The difference is Parley's overhead per answer.
3. a failing model: from the web chat message to the final reply when the model answers 500 at
   once, answers 500 after 1.5 s, or hangs, beside a healthy model in the same run. First with
   the circuit breaker kept closed (every answer meets the failing model: the first-answer
   budget, ``PARLEY_LLM__FIRST_ANSWER``, is what bounds it), then with the default breaker (after
   three failures the answers are offline at once until a probe).

    .venv/bin/python -m bench.llm [N]
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import openai

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, pct  # noqa: E402
from parley.testing.fakes.openai import FakeOpenAI  # noqa: E402

ANSWER = "Standard delivery takes three to five working days, and express delivery takes one to two [1]."


def ms(values: list[float], q: float) -> float:
    return pct(values, q) * 1000


def line(name: str, values: list[float]) -> str:
    return f"  {name:<44} p50 {ms(values, 50):7.2f} ms   p99 {ms(values, 99):7.2f} ms"


async def direct(fake: FakeOpenAI, n: int) -> tuple[list[float], list[float]]:
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key="sk-bench", max_retries=0)
    first, whole = [], []
    for _ in range(n):
        start = time.perf_counter()
        stream = await client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": "How long does shipping take?"}], stream=True
        )
        seen = None
        async for chunk in stream:
            if seen is None and chunk.choices and chunk.choices[0].delta.content:
                seen = time.perf_counter()
                first.append(seen - fake.first_token_at[-1])
        whole.append(time.perf_counter() - start)
    await client.close()
    return first, whole


@contextlib.asynccontextmanager
async def parley_process(fake: FakeOpenAI, folder: Path, **extra: str):
    """A real ``bot.py run`` in its own process (as deployed), so its event loop does not share
    time with the fake or the measuring client."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")},
        "PARLEY_STORE_URL": f"sqlite:///{folder / 'bench.db'}",
        "PARLEY_HTTP__PORT": str(port),
        "PARLEY_FLOOD_PER_MINUTE": "1000000",
        "PARLEY_LOG_LEVEL": "WARNING",
        "PARLEY_LLM__API_KEY": "sk-bench",
        "PARLEY_LLM__BASE_URL": fake.base_url,
        "PARLEY_LLM__DAILY_TOKENS": "0",
        **extra,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "run",
        env=env,
        cwd=folder,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            yield port
    finally:
        proc.terminate()
        await proc.wait()


async def chat(
    port: int, n: int, cid: str, fake: FakeOpenAI | None = None
) -> tuple[list[float], list[float], list[str]]:
    """``n`` web chat messages one after the other: seconds from the fake's first streamed token
    to the first draft frame (when ``fake`` is given), from the message to the final reply, and
    the replies' texts."""
    first, whole, texts = [], [], []
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"http://127.0.0.1:{port}/chat/ws")
        await ws.send_json({"type": "hello", "cid": cid})
        await ws.receive_json()
        for i in range(n):
            start = time.perf_counter()
            await ws.send_json({"type": "message", "id": f"{cid}-{i:08d}", "text": "How long does shipping take?"})
            seen = None
            while True:
                frame = await ws.receive_json(timeout=90)
                if frame["type"] == "stream" and seen is None and fake is not None:
                    seen = time.perf_counter()
                    first.append(seen - fake.first_token_at[-1])
                if frame["type"] == "reply":
                    break
            whole.append(time.perf_counter() - start)
            texts.append(frame.get("text", ""))
        await ws.close()
    return first, whole, texts


async def run(n: int, gap: float) -> None:
    async with FakeOpenAI(lambda body: {"text": ANSWER, "chunk": 8, "gap": gap}) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            async with parley_process(fake, Path(tmp)) as port:
                await direct(fake, 10)  # warm up both paths (imports, connection pools, SQLite)
                await chat(port, 10, "bench-warmup", fake)
                d_first, d_whole = await direct(fake, n)
                p_first, p_whole, _ = await chat(port, n, "bench-client", fake)
    pace = f"{gap * 1000:.0f} ms between chunks" if gap else "all chunks at once"
    print(f"\n{n} answers each; fake model: {len(ANSWER)} chars in 8-char chunks, {pace}")
    print("first streamed token at the fake -> first visible text")
    print(line("baseline: direct openai stream (client)", d_first))
    print(line("Parley: web chat websocket draft frame", p_first))
    print(f"  added by Parley: p50 {ms(p_first, 50) - ms(d_first, 50):.2f} ms")
    print("whole answer (request -> final text)")
    print(line("baseline: direct openai stream, consumed", d_whole))
    print(line("Parley: web chat message -> final reply", p_whole))
    print(
        f"  overhead per answer: p50 {ms(p_whole, 50) - ms(d_whole, 50):.2f} ms, "
        f"p99 {ms(p_whole, 99) - ms(d_whole, 99):.2f} ms"
    )


MODELS = {
    "healthy model (baseline)": {"text": ANSWER, "chunk": 8},
    "model answering 500 at once": {"status": 500},
    "model answering 500 after 1.5 s": {"delay": 1.5, "status": 500},
    "model hanging (no answer for 30 s)": {"delay": 30, "text": "too late"},
}


async def fallback(n: int) -> None:
    step: dict = {}
    async with FakeOpenAI(lambda body: dict(step)) as fake:
        for breaker, extra in (
            ("breaker kept closed: every answer meets the model", {"PARLEY_LLM__BREAKER_FAILURES": "1000000"}),
            ("default breaker (opens after 3 failed answers, probes after 30 s)", {}),
        ):
            print(f"\ninbound web chat message -> final reply, {n} messages each; {breaker}")
            with tempfile.TemporaryDirectory() as tmp:
                # ERROR: a line per fallback is what an operator wants, not what a benchmark prints
                async with parley_process(fake, Path(tmp), PARLEY_LOG_LEVEL="ERROR", **extra) as port:
                    step.clear()
                    step.update(MODELS["healthy model (baseline)"])
                    await chat(port, 5, f"warmup-{uuid.uuid4().hex[:12]}")
                    for name, behaviour in MODELS.items():
                        step.clear()
                        step.update(behaviour)
                        asked = len(fake.requests)
                        _, took, texts = await chat(port, n, f"fb-{uuid.uuid4().hex[:12]}")
                        calls = (len(fake.requests) - asked) / n
                        offline = sum(1 for t in texts if "three to five" not in t)  # the model's words
                        print(f"{line(name, took)}   {offline}/{n} offline, {calls:.1f} model calls each")


async def main(n: int) -> None:
    logging.disable(logging.WARNING)
    await run(n, 0.0)  # a burst: Parley's own cost per chunk shows in full
    await run(n, 0.005)  # ~200 tokens/s, faster than hosted models stream: the realistic case
    await fallback(max(10, n // 10))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
