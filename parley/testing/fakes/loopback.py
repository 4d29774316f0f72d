"""Serve an aiohttp app on 127.0.0.1 at a free port: every platform fake and test receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web


async def start(app: web.Application) -> tuple[web.AppRunner, int]:
    """Start ``app`` on a random loopback port; the caller cleans the runner up."""
    # A fake holding a request open ("delay": 60, a model that hangs) is stopped in a second:
    # aiohttp's default waits a minute for its handlers, which once cost CI two idle minutes.
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port for the block: ``async with serve(app) as url``
    (a fake API of your own, a webhook receiver), then stop it."""
    runner, port = await start(app)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
