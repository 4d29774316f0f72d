"""A real Parley process for the crash tests: the whole app (SQLite store, optionally the
schedule in Redis) plus a recording channel that appends one line per send to a file.

Usage: python -m tests.integration.campaign_worker DB_PATH OUT_FILE [SCHEDULE_REDIS_URL]
Short leases so a killed process's work is picked up again within seconds.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from pathlib import Path

from parley.core.config.settings import Settings

from parley.app import Bot
from parley.testing.fakes.recording import RecordingChannel


async def main(db: str, out: str, schedule_url: str) -> None:
    settings = Settings(
        _env_file=None,
        store_url=f"sqlite:///{db}",
        http={"host": "127.0.0.1", "port": 0},
        scheduler={"lease": 2.0, "store_url": schedule_url},
    )
    async with Bot(settings, channels=[functools.partial(RecordingChannel, path=Path(out))]) as app:
        app.engine.lease = 3.0  # a conversation lock held by a killed process frees in seconds
        app.outbox.lease = 3.0
        app.scheduler.dispatcher.idle_poll = 0.05
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""))
