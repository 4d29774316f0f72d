"""The JSON webhook channel through parley.testing's channel contract, with this file acting as
the other system: it signs events (independently of the channel's own signer) and receives the
replies at a callback URL on loopback."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from json_webhook import SIGNATURE, TIMESTAMP, JsonWebhookChannel

from parley import Address, Bot, Rejected, Reply, RetryAfter, Unreachable
from parley.testing.contracts.channel import ChannelContract, Shown
from parley.testing.fakes.loopback import serve
from parley.testing.fakes.recording import context

SECRET = "shared-secret"


def signed(body: bytes, secret: str = SECRET, stamp: float | None = None) -> dict[str, str]:
    ts = str(int(time.time() if stamp is None else stamp))
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", TIMESTAMP: ts, SIGNATURE: "sha256=" + mac}


class OtherSystem:
    """The system on the other end: posts signed events, keeps the replies it is sent."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.refuse_with = 0  # answer the next callback with this status
        self.url = ""

    async def callback(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = signed(body, stamp=float(request.headers[TIMESTAMP]))[SIGNATURE]
        assert hmac.compare_digest(request.headers[SIGNATURE], expected), "an unsigned reply"
        if self.refuse_with:
            return web.Response(status=self.refuse_with, headers={"Retry-After": "7"})
        self.received.append(json.loads(body))
        return web.json_response({"ok": True})

    async def post(self, base_url: str, event: dict, **signing) -> int:
        body = json.dumps(event).encode()
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base_url}/webhooks/json", data=body, headers=signed(body, **signing)) as resp:
                return resp.status

    async def customer_says(self, base_url: str, text: str, event: str) -> None:
        assert await self.post(base_url, {"id": event, "user": "u-42", "text": text}) == 200

    async def customer_presses(self, base_url: str, address: Address, payload: str, event: str) -> None:
        assert await self.post(base_url, {"id": event, "user": address.user, "button": payload}) == 200

    async def shown(self, address: Address) -> list[Shown]:
        return [
            Shown(m["text"], tuple(b["title"] for b in m["buttons"]))
            for m in self.received
            if m["user"] == address.chat
        ]


@pytest.fixture
async def other_system() -> AsyncIterator[OtherSystem]:
    system = OtherSystem()
    app = web.Application()
    app.router.add_post("/callback", system.callback)
    async with serve(app) as url:
        system.url = f"{url}/callback"
        yield system


async def test_a_bot_answers_through_the_channel(other_system, parley_settings):
    channel = functools.partial(JsonWebhookChannel, secret=SECRET, callback_url=other_system.url)
    async with Bot(parley_settings, channels=[channel]) as bot:  # the wall clock: signatures are timed
        base = f"http://127.0.0.1:{bot.port}"
        assert await other_system.post(base, {"id": "e1", "user": "u-7", "text": "How long does delivery take?"}) == 200
        async with asyncio.timeout(30):
            while not other_system.received:
                await asyncio.sleep(0.02)
    [reply] = other_system.received
    assert reply["user"] == "u-7" and "3 to 5 business days" in reply["text"]


class TestJsonWebhookChannel(ChannelContract):
    @pytest.fixture
    async def platform(self, other_system) -> OtherSystem:
        return other_system

    @pytest.fixture
    async def channel(self, deliver, platform):
        channel = JsonWebhookChannel(context(deliver), secret=SECRET, callback_url=platform.url)
        yield channel
        await channel.close()

    async def test_a_replayed_or_wrongly_signed_event_is_refused(self, platform, base_url, deliver):
        event = {"id": "e1", "user": "u-1", "text": "hi"}
        assert await platform.post(base_url, event, stamp=time.time() - 3600) == 401
        assert await platform.post(base_url, event, secret="not-the-secret") == 401
        assert await platform.post(base_url, {"id": "e2", "user": "u-1"}) == 400  # nothing said
        assert deliver.inbounds == []

    async def test_the_callbacks_answers_map_to_the_outbox_outcomes(self, channel, platform, first):
        for status, outcome in ((429, RetryAfter), (410, Unreachable), (400, Rejected)):
            platform.refuse_with = status
            with pytest.raises(outcome) as refused:
                await channel.send(first.address, Reply(text="hello"))
            if status == 429:
                assert refused.value.seconds == 7  # the callback's Retry-After
        platform.refuse_with = 503
        with pytest.raises(aiohttp.ClientResponseError):  # retried by the outbox with backoff
            await channel.send(first.address, Reply(text="hello"))
