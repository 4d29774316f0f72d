"""The platform side of each channel in a chaos run: what sends the customers' messages the way
the platform does (again until acknowledged) and what receives Parley's answers, stamped.

- Telegram: webhook updates re-sent until a 200; answers at the loopback Bot API.
- Twilio SMS: signed form webhooks re-sent until a 200 (Twilio re-sends only when asked to, with
  a connection override; a customer's phone would not: docs/twilio.md); answers at the loopback
  Messages API.
- Web chat: one page per conversation, speaking the websocket protocol as chat.html does: the
  message resent until its ack, the socket reconnected (with the issued id and secret) when the
  process behind it dies, and each reply shown once by its id (the web chat's idempotency key).

Each answer is an ``Answer`` with its conversation number; ``key`` is the platform's
idempotency key where it has one (a second delivery with the same key is shown once).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from parley.testing.fakes.telegram import FakeTelegram
from parley.testing.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio, serve_fake_twilio, sign

QUESTION = "How long does delivery take?"
PUBLIC_URL = "https://chaos.example"  # what the platforms sign and call; the bot listens on loopback
SECRET = "chaos-webhook-secret"
SMS_FROM = "+15005550006"
TIMEOUT = aiohttp.ClientTimeout(total=10)
WS_TIMEOUT = aiohttp.ClientWSTimeout(ws_close=10)


@dataclass
class Answer:
    conv: int  # the conversation (1..updates) it answers
    text: str
    at: float  # monotonic seconds when the platform had it
    key: str = ""  # the platform's idempotency key, where there is one


class Side(Protocol):
    name: str  # as the figures name the channel
    label: str  # the channel's name in Parley's metrics
    keyed: bool  # the platform dedupes by an idempotency key: nothing may be shown twice

    def env(self) -> dict[str, str]: ...

    async def post(self, http: aiohttp.ClientSession, base: str, n: int) -> bool: ...

    def answers(self) -> list[Answer]: ...

    async def close(self) -> None: ...


class StampedTelegram(FakeTelegram):
    """The Telegram fake, noting when each message arrived (monotonic seconds)."""

    async def m_sendMessage(self, params):
        result = await super().m_sendMessage(params)
        self.sent[-1]["at"] = time.monotonic()
        return result


class TelegramSide:
    name, label, keyed = "Telegram", "telegram", False
    CHAT = 100_000  # conversation n is chat CHAT + n

    def __init__(self) -> None:
        self.fake = StampedTelegram()

    async def open(self) -> TelegramSide:
        await self.fake.__aenter__()
        return self

    async def close(self) -> None:
        await self.fake.__aexit__(None, None, None)

    def env(self) -> dict[str, str]:
        return {
            "PARLEY_TELEGRAM__TOKEN": self.fake.token,
            "PARLEY_TELEGRAM__API_BASE": self.fake.url,
            "PARLEY_TELEGRAM__MODE": "webhook",
            "PARLEY_TELEGRAM__WEBHOOK_SECRET": SECRET,
            "PARLEY_TELEGRAM__BOT_RATE": "1000",  # the platform's own limit is not what is measured
        }

    async def post(self, http: aiohttp.ClientSession, base: str, n: int) -> bool:
        chat = self.CHAT + n  # one chat per update: its answers are counted per chat
        update = {
            "update_id": n,
            "message": {
                "message_id": n,
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private", "first_name": "Chaos"},
                "from": {"id": chat, "is_bot": False, "first_name": "Chaos", "language_code": "en"},
                "text": QUESTION,
            },
        }
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.post(base + "/webhooks/telegram", json=update, headers=headers, timeout=TIMEOUT) as r:
                return r.status == 200
        return False

    def answers(self) -> list[Answer]:
        return [Answer(int(m["chat_id"]) - self.CHAT, m["text"], m["at"]) for m in self.fake.sent]


class StampedTwilio(FakeTwilio):
    async def create_message(self, request):
        response = await super().create_message(request)
        if response.status == 201:
            self.messages[-1]["at"] = time.monotonic()  # type: ignore[assignment]
        return response


class TwilioSide:
    name, label, keyed = "Twilio SMS", "sms", False

    def __init__(self) -> None:
        self.fake = StampedTwilio()
        self._serving: contextlib.AbstractAsyncContextManager | None = None

    async def open(self) -> TwilioSide:
        self._serving = serve_fake_twilio(self.fake)
        await self._serving.__aenter__()
        return self

    async def close(self) -> None:
        if self._serving is not None:
            await self._serving.__aexit__(None, None, None)

    def env(self) -> dict[str, str]:
        return {
            "PARLEY_TWILIO__ACCOUNT_SID": ACCOUNT_SID,
            "PARLEY_TWILIO__AUTH_TOKEN": AUTH_TOKEN,
            "PARLEY_TWILIO__SMS_FROM": SMS_FROM,
            "PARLEY_TWILIO__API_BASE": self.fake.url,
            "PARLEY_TWILIO__SMS_RATE": "1000",
        }

    @staticmethod
    def number(n: int) -> str:
        return f"+1555{n:07d}"

    async def post(self, http: aiohttp.ClientSession, base: str, n: int) -> bool:
        path = "/webhooks/twilio/sms"
        form = {
            "MessageSid": f"SM{n:032x}",
            "AccountSid": ACCOUNT_SID,
            "From": self.number(n),
            "To": SMS_FROM,
            "Body": QUESTION,
            "NumMedia": "0",
        }
        headers = {"X-Twilio-Signature": sign(AUTH_TOKEN, PUBLIC_URL + path, form)}
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.post(base + path, data=form, headers=headers, timeout=TIMEOUT) as r:
                return r.status == 200
        return False

    def answers(self) -> list[Answer]:
        return [Answer(int(m["To"][5:]), m["Body"], float(m["at"])) for m in self.fake.messages]


@dataclass
class Page:
    """One web chat page: its issued id and secret, its socket, the replies it showed."""

    cid: str = ""
    token: str = ""
    ws: aiohttp.ClientWebSocketResponse | None = None
    base: str = ""  # the process its socket is open to
    acks: dict[str, asyncio.Future[bool]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None


class WebChatSide:
    name, label, keyed = "web chat", "web", True

    def __init__(self) -> None:
        self.pages: dict[int, Page] = {}
        self.seen: list[Answer] = []  # every reply frame, redeliveries included
        self.base = ""  # the live process: pages whose socket died reconnect to it
        self._http: aiohttp.ClientSession | None = None

    async def open(self) -> WebChatSide:
        # One socket per page for the whole run: no pool limit (aiohttp's default, 100, would
        # leave the 101st page waiting for a free connection forever).
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self

    async def close(self) -> None:
        for page in self.pages.values():
            if page.reader is not None:
                page.reader.cancel()
        await asyncio.gather(*(p.reader for p in self.pages.values() if p.reader), return_exceptions=True)
        for page in self.pages.values():
            if page.ws is not None:
                await page.ws.close()
        if self._http is not None:
            await self._http.close()

    def env(self) -> dict[str, str]:
        return {}

    def moved(self, base: str) -> None:
        """A new process is ready at ``base``: pages reconnect to it (as a reloaded page would)."""
        self.base = base

    async def post(self, http: aiohttp.ClientSession, base: str, n: int) -> bool:
        page = self.pages.setdefault(n, Page())
        if page.reader is None:
            page.reader = asyncio.create_task(self._keep(n, page))
        # A socket the killed process leaves closing raises on send: the page sends it again.
        with contextlib.suppress(TimeoutError, aiohttp.ClientError, ConnectionError):
            async with asyncio.timeout(10):
                while page.ws is None or page.ws.closed:
                    await asyncio.sleep(0.05)
                event_id = f"chaos-message-{n:08d}"
                waiter = page.acks[event_id] = asyncio.get_running_loop().create_future()
                await page.ws.send_json({"type": "message", "id": event_id, "text": QUESTION})
                return await waiter
        return False

    async def _keep(self, n: int, page: Page) -> None:
        """Hold the page's socket open, reconnecting when it drops: after 0.2 s, doubling up to
        1 s while the process is away (as the page backs off)."""
        assert self._http is not None
        pause = 0.2
        while True:
            # Any failure, a frame it cannot read included, drops the socket and reconnects: a
            # keeper that died would leave its page unable to send, and the run waiting for ever.
            with contextlib.suppress(Exception):
                ws = await self._http.ws_connect(self.base + "/chat/ws", heartbeat=None, timeout=WS_TIMEOUT)
                await ws.send_json({"type": "hello", "cid": page.cid, "token": page.token, "locale": "en"})
                async for msg in ws:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    frame = json.loads(msg.data)
                    if frame.get("type") == "error" and frame.get("code") == "unavailable" and not frame.get("id"):
                        await ws.close()  # as client.js does: the hello was not answered, reconnect later
                        break
                    self._frame(n, page, ws, frame)
                    pause = 0.2
            page.ws = None
            for waiter in page.acks.values():
                if not waiter.done():
                    waiter.set_result(False)
            page.acks.clear()
            await asyncio.sleep(pause)
            pause = min(1.0, pause * 2)

    def _frame(self, n: int, page: Page, ws: aiohttp.ClientWebSocketResponse, frame: dict) -> None:
        kind = frame.get("type")
        if kind == "welcome":
            page.cid, page.token, page.ws = frame["cid"], frame["token"], ws
        elif kind == "reply":
            self.seen.append(Answer(n, frame.get("text", ""), time.monotonic(), frame.get("id", "")))
        elif kind in ("ack", "error"):
            waiter = page.acks.pop(frame.get("id", ""), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(kind == "ack")

    def answers(self) -> list[Answer]:
        return self.seen
