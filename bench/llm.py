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
async def parley_process(fake: FakeOpenAI, folder: Path):
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
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), "run", env=env, cwd=folder, stdout=asyncio.subprocess.DEVNULL
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


async def through_parley(fake: FakeOpenAI, port: int, n: int, cid: str) -> tuple[list[float], list[float]]:
    first, whole = [], []
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"http://127.0.0.1:{port}/chat/ws")
        await ws.send_json({"type": "hello", "cid": cid})
        await ws.receive_json()
        for i in range(n):
            start = time.perf_counter()
            await ws.send_json({"type": "message", "id": f"{cid}-{i:08d}", "text": "How long does shipping take?"})
            seen = None
            while True:
                frame = await ws.receive_json(timeout=30)
                if frame["type"] == "stream" and seen is None:
                    seen = time.perf_counter()
                    first.append(seen - fake.first_token_at[-1])
                if frame["type"] == "reply":
                    break
            whole.append(time.perf_counter() - start)
        await ws.close()
    return first, whole


async def run(n: int, gap: float) -> None:
    async with FakeOpenAI(lambda body: {"text": ANSWER, "chunk": 8, "gap": gap}) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            async with parley_process(fake, Path(tmp)) as port:
                await direct(fake, 10)  # warm up both paths (imports, connection pools, SQLite)
                await through_parley(fake, port, 10, "bench-warmup")
                d_first, d_whole = await direct(fake, n)
                p_first, p_whole = await through_parley(fake, port, n, "bench-client")
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


async def main(n: int) -> None:
    logging.disable(logging.WARNING)
    await run(n, 0.0)  # a burst: Parley's own cost per chunk shows in full
    await run(n, 0.005)  # ~200 tokens/s, faster than hosted models stream: the realistic case


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
