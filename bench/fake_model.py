"""The loopback OpenAI-compatible fake (parley.testing.fakes.openai) in a process of its own, so
the model's own work does not share an event loop with the callers being timed.
``python bench/fake_model.py TEXT`` prints its base URL, then serves until terminated."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parley.testing.fakes.openai import FakeOpenAI  # noqa: E402


async def main(text: str) -> None:
    async with FakeOpenAI(lambda body: {"text": text, "chunk": 8, "gap": 0.0}) as fake:
        print(fake.base_url, flush=True)
        await asyncio.Event().wait()


asyncio.run(main(sys.argv[1]))
