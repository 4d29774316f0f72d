"""Fuzz every inbound route: at least 1,000 generated malformed payloads each, through a real
Parley with Telegram, Slack, Twilio (SMS and WhatsApp) and the admin API configured against the
loopback fakes. Requests are signed where the route checks a signature, so the payload reaches
the parser behind it. Every answer must be below 500 and the log must hold no traceback and no
ERROR line. ``PARLEY_FUZZ_N`` and ``PARLEY_FUZZ_SEED`` change the count and the seed."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlencode

import aiohttp
import pytest
from parley.channels.telegram.channel import SECRET_HEADER

from parley.app import Bot
from parley.testing.fakes.slack import event_body, fake_slack, signed
from parley.testing.fakes.telegram import FakeTelegram
from parley.testing.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, serve_fake_twilio, sign
from tests.conftest import eventually
from tests.fuzz.mutate import Mutator
from tests.fuzz.seeds import CAMPAIGNS, SLACK_FORMS, SLACK_JSON, TELEGRAM, TWILIO, WEB_FRAMES

N = int(os.environ.get("PARLEY_FUZZ_N", "1000"))
SEED = int(os.environ.get("PARLEY_FUZZ_SEED", "18"))
PUBLIC = "https://bot.example.com"
SLACK_SECRET = "fuzz-signing-secret"
ADMIN = "fuzz-admin-token"
CONCURRENCY = 16


class Bad(logging.Handler):
    """Collects every record that carries a traceback or is ERROR or worse."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)


@pytest.fixture(scope="module")
def bad_log() -> AsyncIterator[Bad]:
    handler = Bad()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


@pytest.fixture
async def app(make_settings, bad_log) -> AsyncIterator[Bot]:
    async with FakeTelegram() as tg, fake_slack() as slack, serve_fake_twilio() as twilio:
        settings = make_settings(
            public_url=PUBLIC,
            admin_token=ADMIN,
            flood_per_minute=100_000,
            webchat={"rate": 10_000, "burst": 10_000},
            telegram={"token": tg.token, "api_base": tg.url, "mode": "webhook", "webhook_secret": "fuzz-secret"},
            slack={"bot_token": "xoxb-fuzz", "signing_secret": SLACK_SECRET, "api_base": slack.url + "/api/"},
            twilio={
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "sms_from": "+15005550006",
                "whatsapp_from": "whatsapp:+14155238886",
                "api_base": twilio.url,
                "sms_rate": 1000.0,
            },
        )
        async with Bot(settings) as parley:
            await eventually(lambda: tg.webhook)
            yield parley


Send = Callable[[aiohttp.ClientSession, int], Awaitable[int]]


async def fuzz(app: Bot, send: Send, bad_log: Bad) -> None:
    statuses: dict[int, int] = {}
    async with aiohttp.ClientSession() as http:
        for start in range(0, N, CONCURRENCY):
            for status in await asyncio.gather(*(send(http, n) for n in range(start, min(N, start + CONCURRENCY)))):
                statuses[status] = statuses.get(status, 0) + 1
    # Turns run after the ack: let them finish, then read the log.
    await eventually(lambda: not app.engine._tasks, timeout=120)
    print(f"statuses: {dict(sorted(statuses.items()))}")
    assert sum(statuses.values()) == N
    assert not [s for s in statuses if s >= 500], statuses
    assert not bad_log.records, [f"{r.name}: {r.getMessage()}" for r in bad_log.records[:5]]


async def post(http: aiohttp.ClientSession, app: Bot, path: str, body: bytes, headers: dict[str, str]) -> int:
    async with http.post(f"http://127.0.0.1:{app.port}{path}", data=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def test_telegram_webhook(app, bad_log):
    rng = Mutator(SEED)
    headers = {"Content-Type": "application/json", SECRET_HEADER: "fuzz-secret"}
    await fuzz(app, lambda http, n: post(http, app, "/webhooks/telegram", rng.json_payload(TELEGRAM), headers), bad_log)


async def test_slack_webhook(app, bad_log):
    rng = Mutator(SEED + 1)

    async def send(http: aiohttp.ClientSession, n: int) -> int:
        if rng.rng.random() < 0.5:
            body = rng.json_payload([event_body(e, f"Ev{n}") for e in SLACK_JSON] + [{"type": "url_verification"}])
            kind = "application/json"
        else:
            body = urlencode({"payload": rng.json_payload(SLACK_FORMS).decode("utf-8", "replace")}).encode()
            kind = "application/x-www-form-urlencoded"
        headers = {"Content-Type": kind, **signed(SLACK_SECRET, time.time(), body)}
        return await post(http, app, "/webhooks/slack", body, headers)

    await fuzz(app, send, bad_log)


@pytest.mark.parametrize("route", ["sms", "whatsapp", "status"])
async def test_twilio_webhooks(app, bad_log, route):
    rng = Mutator(SEED + 2)
    path = f"/webhooks/twilio/{route}"

    async def send(http: aiohttp.ClientSession, n: int) -> int:
        form = rng.form(TWILIO[route])
        roll = rng.rng.random()
        if roll < 0.8:  # signed: the form reaches the parser
            body = urlencode(form).encode()
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC + path, form),
            }
        elif roll < 0.9:
            body = rng.corrupt(urlencode(form).encode())
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"}
        else:
            data = aiohttp.FormData()
            data.add_field("Body", "hi")
            data.add_field("MediaUrl0", rng.corrupt(b"file"), filename="x.bin")
            async with http.post(
                f"http://127.0.0.1:{app.port}{path}", data=data, headers={"X-Twilio-Signature": "x"}
            ) as resp:
                return resp.status
        return await post(http, app, path, body, headers)

    await fuzz(app, send, bad_log)


@pytest.mark.parametrize("path", ["/api/campaigns", "/api/campaigns/preview", "/api/people/web:u1/conversions"])
async def test_admin_api(app, bad_log, path):
    rng = Mutator(SEED + 3)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN}"}
    await fuzz(app, lambda http, n: post(http, app, path, rng.json_payload(CAMPAIGNS), headers), bad_log)


async def test_get_routes_with_odd_paths_and_headers(app, bad_log):
    rng = Mutator(SEED + 4)

    async def send(http: aiohttp.ClientSession, n: int) -> int:
        word = rng.value()
        text = (word if isinstance(word, str) else json.dumps(word)).encode("utf-8", "replace").decode()[:300]
        path = rng.rng.choice(
            ["/metrics", "/healthz", "/readyz", "/chat", "/api/people/{}", "/api/sends/{}", "/api/conversations/{}"]
        )
        url = f"http://127.0.0.1:{app.port}" + path.format(aiohttp.helpers.quote(text, safe="") or "x")
        headers = {
            "Authorization": rng.rng.choice(
                [f"bearer {ADMIN}", "Bearer", "Basic x", "".join(c for c in text[:100] if " " <= c < "\x7f")]
            )
        }
        async with http.get(url, headers=headers) as resp:
            await resp.read()
            return resp.status

    await fuzz(app, send, bad_log)


async def test_web_chat_frames(app, bad_log):
    rng = Mutator(SEED + 5)
    counts = {"error": 0, "ack": 0, "closed": 0}
    url = f"http://127.0.0.1:{app.port}/chat/ws"

    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                kind = json.loads(msg.data)["type"]
                counts[kind] = counts.get(kind, 0) + 1

    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(url)
        reader = asyncio.create_task(read(ws))
        for _ in range(N):
            if reader.done():  # a frame over 64 KiB closes the socket (1009): open another
                counts["closed"] += 1
                ws = await http.ws_connect(url)
                reader = asyncio.create_task(read(ws))
            raw = rng.json_payload(WEB_FRAMES)
            try:
                if rng.rng.random() < 0.9:
                    await ws.send_str(raw.decode("utf-8", "surrogatepass"))
                else:
                    await ws.send_bytes(raw)
            except (UnicodeDecodeError, UnicodeEncodeError):  # not text a websocket client can send
                await ws.send_bytes(raw)
            except ConnectionError:
                pass
            await asyncio.sleep(0)  # let the reader notice a close
        await ws.close()
        await reader
    await eventually(lambda: not app.engine._tasks, timeout=120)
    print(f"web chat frames: {counts}")
    assert counts["error"] > N // 10 and counts["ack"] > 0 and counts["welcome"] > 0  # every kind happened
    assert not bad_log.records, [f"{r.name}: {r.getMessage()}" for r in bad_log.records[:5]]
