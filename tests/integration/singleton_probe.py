"""A real Parley process that also runs a singleton (as the scheduler's planner does): the probe
writes who runs it, so a test can see exactly one process at a time does."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from parley.app import Bot  # noqa: E402
from parley.cli import load_settings  # noqa: E402


async def main() -> None:
    settings = load_settings()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Bot(settings) as app:

        async def probe() -> None:
            while True:
                runs = json.loads(await app.store.get("probe:runs") or "{}")
                runs[app.owner] = runs.get(app.owner, 0) + 1
                await app.store.put("probe:runs", json.dumps(runs))
                await app.store.put("probe:holder", app.owner)
                await asyncio.sleep(0.1)

        app.singleton("probe", probe)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
