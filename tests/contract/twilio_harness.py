"""A Parley app with the SMS and WhatsApp channels wired to the fake Twilio REST API, and a
client that posts webhooks signed as Twilio signs them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Inbound
from parley.core.kernel.turn import Turn
from parley.core.storage.redis import RedisStore
from parley.core.storage.sqlite import SQLiteStore
from redis.asyncio import Redis

from parley.app import Bot
from parley.testing.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, serve_fake_twilio, sign
from tests.conftest import eventually

PUBLIC_URL = "https://bot.example.com"  # what Twilio calls: the app listens elsewhere (a proxy)
SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+14155238886"
CUSTOMER = "+15551230001"


@dataclass
class Harness:
    app: Bot
    fake: FakeTwilio
    clock: ManualClock
    http: aiohttp.ClientSession
    seen: list[Inbound]  # what reached the pipeline, in order

    def inbound(self, sid: str) -> Inbound | None:
        return next((i for i in self.seen if i.event_id == sid), None)

    async def post(self, path: str, params: dict[str, str], signature: str | None = None) -> aiohttp.ClientResponse:
        if signature is None:
            signature = sign(AUTH_TOKEN, PUBLIC_URL + path, params)
        url = f"http://127.0.0.1:{self.app.port}{path}"
        async with self.http.post(url, data=params, headers={"X-Twilio-Signature": signature}) as resp:
            await resp.read()
            return resp

    async def sms(self, body: str, sid: str, sender: str = CUSTOMER) -> aiohttp.ClientResponse:
        params = {"MessageSid": sid, "AccountSid": ACCOUNT_SID, "From": sender, "To": SMS_FROM, "Body": body}
        return await self.post("/webhooks/twilio/sms", {**params, "NumMedia": "0"})

    async def whatsapp(self, body: str, sid: str, sender: str = CUSTOMER) -> aiohttp.ClientResponse:
        params = {"MessageSid": sid, "From": f"whatsapp:{sender}", "To": f"whatsapp:{WHATSAPP_FROM}", "Body": body}
        return await self.post("/webhooks/twilio/whatsapp", {**params, "NumMedia": "0", "ProfileName": "Ana"})

    def sent_to(self, number: str) -> list[dict[str, str]]:
        return [m for m in self.fake.messages if m["To"] == number]

    async def delivered(self, number: str) -> str:
        """The Sid of the first message to ``number``, once its send is settled (the channel
        files the Sid for status callbacks before that)."""
        await eventually(lambda: self.sent_to(number))
        await eventually(self._settled)
        return self.sent_to(number)[0]["Sid"]

    async def _settled(self) -> bool:
        return (await self.app.store.outbox_stats()).sending == 0

    def metric(self, name: str) -> str:
        return "\n".join(line for line in self.app.metrics.render().decode().splitlines() if line.startswith(name))


@asynccontextmanager
async def twilio_parley(
    make_settings,
    redis_url: str = "",
    knowledge_dir: str = "",
    extra: dict | None = None,
    prefix: str = "",
    **twilio: object,
) -> AsyncIterator[Harness]:
    """On SQLite by default; with ``redis_url`` on a Redis store under a prefix of its own, or
    under ``prefix`` (two processes of one deployment: the caller forgets its keys)."""
    seen: list[Inbound] = []

    async def record(turn: Turn, call_next) -> None:
        if turn.inbound is not None:
            seen.append(turn.inbound)
        await call_next(turn)

    async with serve_fake_twilio() as fake:
        more = {"knowledge_dir": knowledge_dir} if knowledge_dir else {}
        more.update(extra or {})  # other settings (an LLM, a desk)
        settings = make_settings(
            **more,
            public_url=PUBLIC_URL,
            twilio={
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "sms_from": SMS_FROM,
                "whatsapp_from": f"whatsapp:{WHATSAPP_FROM}",
                "api_base": fake.url,
                "sms_rate": 1000.0,  # the manual clock does not move by itself: don't throttle tests
                **twilio,
            },
        )
        clock = ManualClock()
        shared, prefix = bool(prefix), prefix or f"twilio-{uuid.uuid4().hex[:8]}"
        if redis_url:
            store = RedisStore(redis_url, clock=clock, prefix=prefix)
        else:
            store = SQLiteStore(settings.store_url.removeprefix("sqlite:///"), clock=clock)  # one clock for all
        try:
            bot = Bot(settings, clock=clock, store=store, middleware=[record])
            async with bot as app, aiohttp.ClientSession() as http:
                yield Harness(app, fake, clock, http, seen)
        finally:
            if redis_url and not shared:
                await forget(redis_url, prefix)


async def forget(redis_url: str, prefix: str) -> None:
    client = Redis.from_url(redis_url)
    try:
        keys = [k async for k in client.scan_iter(match=f"[{{]{prefix}}}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
