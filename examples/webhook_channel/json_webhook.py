"""A custom channel: any system that can sign a JSON POST talks to the bot.

In:  ``POST /webhooks/json`` with ``{"id": "evt-1", "user": "u-42", "text": "hi"}`` (or
``"button": "<payload>"`` for a press, and optionally ``"locale": "es"``), headers
``X-Webhook-Timestamp`` (unix seconds) and ``X-Webhook-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``"<timestamp>.<body>"`` with the shared secret. A bad signature gets 401, a stale
timestamp 401, a body that is not such an event 400; each with one log line.
Out: each reply is POSTed to the callback URL as ``{"id", "user", "text", "buttons"}``, signed
the same way. 429 waits (``Retry-After``), 410 means the person is gone, other 4xx are refused
for good, 5xx and network errors are retried by the outbox with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import aiohttp
from aiohttp import web
from parley.core.kernel.render import split
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from parley import Address, Capabilities, Channel, ChannelContext, Inbound, Rejected, Reply, RetryAfter, Unreachable

log = logging.getLogger("parley.json_webhook")

SIGNATURE, TIMESTAMP = "X-Webhook-Signature", "X-Webhook-Timestamp"
WINDOW = 300.0  # seconds a signed request stays valid (replays after that are refused)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class Event(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=4096)
    id: str
    user: str
    text: str = ""
    button: str = ""
    locale: str = ""

    @model_validator(mode="after")
    def _one_thing(self) -> Event:
        if not self.id.strip() or not self.user.strip() or not (self.text or self.button):
            raise ValueError("an event needs an id, a user, and a text or a button")
        return self


class JsonWebhookChannel(Channel):
    """``Bot(channels=[functools.partial(JsonWebhookChannel, secret=..., callback_url=...)])``."""

    capabilities = Capabilities(buttons=True, max_text=4000, per_chat_rate=5, per_chat_burst=10, global_rate=50)

    def __init__(self, ctx: ChannelContext, *, secret: str, callback_url: str, name: str = "json") -> None:
        super().__init__(ctx)
        if not secret:
            raise ValueError("the webhook channel needs a shared secret")
        self.name, self.deliver, self.clock = name, ctx.deliver, ctx.clock
        self.secret, self.callback_url = secret, callback_url
        self._http: aiohttp.ClientSession | None = None

    def routes(self) -> list[web.RouteDef]:
        return [web.post(f"/webhooks/{self.name}", self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        body, stamp = await request.read(), request.headers.get(TIMESTAMP, "")
        if not hmac.compare_digest(request.headers.get(SIGNATURE, ""), sign(self.secret, stamp, body)):
            return self._refuse(401, "bad signature")
        if not stamp.isdigit() or abs(self.clock() - int(stamp)) > WINDOW:
            return self._refuse(401, "stale timestamp")
        try:
            event = Event.model_validate_json(body)
        except ValidationError as exc:
            return self._refuse(400, f"not an event ({exc.error_count()} problems)")
        address = Address(channel=self.name, chat=event.user, user=event.user)
        kind = "button" if event.button else "message"
        inbound = Inbound(
            address=address,
            event_id=event.id,
            text=event.text,
            kind=kind,
            payload=event.button,
            locale_hint=event.locale,
        )
        await self.deliver(inbound)  # StoreUnavailable becomes a 503: the sender retries
        return web.json_response({"ok": True})

    def _refuse(self, status: int, reason: str) -> web.Response:
        log.info("json webhook refused: %s", reason, extra={"channel": self.name})
        return web.json_response({"ok": False, "error": reason}, status=status)

    async def send(self, address: Address, reply: Reply) -> str:
        parts = split(reply.text or " ", self.capabilities.max_text)
        for n, text in enumerate(parts):
            last = n == len(parts) - 1
            buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons] if last else []
            item = reply.meta.get("id", "")
            await self._post(
                {"id": f"{item}:{n}" if n else item, "user": address.chat, "text": text, "buttons": buttons}
            )
        return reply.meta.get("id", "")

    async def _post(self, message: dict) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        body, stamp = json.dumps(message).encode(), str(int(self.clock()))
        headers = {"Content-Type": "application/json", TIMESTAMP: stamp, SIGNATURE: sign(self.secret, stamp, body)}
        async with self._http.post(self.callback_url, data=body, headers=headers) as resp:
            if resp.status == 429:
                raise RetryAfter(float(resp.headers.get("Retry-After", "5")))
            if resp.status == 410:
                raise Unreachable("gone")
            if 400 <= resp.status < 500:
                raise Rejected(f"callback answered {resp.status}")
            resp.raise_for_status()  # 5xx: the outbox retries with backoff

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
