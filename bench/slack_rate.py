"""bench/slack.py's rate mode: signed message events at a fixed rate (bench/openloop.py), the
latency of each from when it was due to when its reply reaches the Web API.

nginx cannot tell which reply answers which event, so this mode's Web API is a small aiohttp
fake in the driver: ``chat.postMessage`` stops the stopwatch of its channel (every event comes
from a DM of its own), ``auth.test`` and ``users.info`` answer as Slack does.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time

import aiohttp
from aiohttp import web

from bench.openloop import Latency, Stopwatch, at_rate

BOT_USER = "UBENCHBOT"
SERIAL = itertools.count()  # event numbers never repeat within a run: a repeat is a duplicate


class ApiFake:
    """Slack's Web API, enough for the three servers under test; ``watch`` is swapped per run."""

    def __init__(self) -> None:
        self.watch = Stopwatch()
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, port: int) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self.api)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    async def api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "chat.postMessage":
            args = await request.json() if request.content_type == "application/json" else dict(await request.post())
            self.watch.stop(str(args.get("channel", "")))
            return web.json_response({"ok": True, "channel": args.get("channel"), "ts": f"{time.time():.6f}"})
        if method == "auth.test":
            return web.json_response({"ok": True, "user_id": BOT_USER, "bot_id": "BBENCH", "team_id": "T1"})
        if method == "users.info":
            return web.json_response({"ok": True, "user": {"id": "U", "locale": "en-US", "profile": {}}})
        return web.json_response({"ok": True})


def signed_event(secret: str, i: int) -> tuple[str, bytes, dict[str, str]]:
    """Event ``i``: a DM of its own (its channel is the reply's key), from one of 500 people."""
    channel, stamp = f"D{i:09d}", str(int(time.time()))
    event = {"type": "message", "channel_type": "im", "channel": channel, "user": f"U{i % 500:08d}"}
    event.update({"text": f"hello {i}", "ts": f"{stamp}.{i:06d}"})
    body = {"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": f"EvRate{i:09d}"}
    raw = json.dumps({**body, "event_time": int(stamp), "event": event}).encode()
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + mac}
    return channel, raw, headers


async def measure(api: ApiFake, url: str, secret: str, rate: float, seconds: float) -> Latency:
    """Post ``rate * seconds`` events to ``url`` at ``rate``; the latency runs to each reply."""
    watch = api.watch = Stopwatch()
    count = max(1, int(rate * seconds))
    # Signed before the clock starts: the driver shares the machine with the server under test.
    events = [signed_event(secret, next(SERIAL)) for _ in range(count)]
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def send(i: int, due: float) -> None:
            channel, raw, headers = events[i]
            watch.start(channel, due)
            async with http.post(url, data=raw, headers=headers) as response:
                await response.read()

        return await at_rate(rate, count, send, watch)
