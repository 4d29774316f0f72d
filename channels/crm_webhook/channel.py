"""Outgoing webhooks (leads to a CRM) as a channel, so they ride the durable outbox: retried
with backoff on 429/5xx, never lost in a restart, sent once per outbox id.

Each POST carries the JSON in ``reply.text`` and is signed like Slack signs its requests:
``X-Parley-Signature: v1=HMAC_SHA256(secret, "v1:" + timestamp + ":" + body)`` with
``X-Parley-Timestamp``; ``X-Parley-Event-Id`` (the outbox id) lets a receiver drop a resend.
"""

from __future__ import annotations

import hashlib
import hmac

import aiohttp
from parley.core.kernel.channel import Capabilities, Channel, ChannelContext, Rejected, RetryAfter
from parley.core.kernel.messages import Address, Reply

NAME = "webhook"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float, window: float = 300) -> bool:
    """For receivers (and tests): constant-time compare, and a replay window."""
    try:
        fresh = abs(now - int(timestamp)) <= window
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel(Channel):
    name = NAME
    capabilities = Capabilities(max_text=1_000_000, per_chat_rate=50, per_chat_burst=50, global_rate=50)

    def __init__(self, ctx: ChannelContext, *, url: str, secret: str) -> None:
        super().__init__(ctx)
        self.url = url
        self._secret = secret
        self.clock = ctx.clock
        self._session: aiohttp.ClientSession | None = None

    def address(self, topic: str = "leads") -> Address:
        return Address(channel=NAME, chat=topic)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, address: Address, reply: Reply) -> str:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        body = reply.text.encode()
        stamp = str(int(self.clock()))
        headers = {
            "Content-Type": "application/json",
            "X-Parley-Timestamp": stamp,
            "X-Parley-Signature": sign(self._secret, stamp, body),
            "X-Parley-Event-Id": reply.meta.get("id", ""),
            "X-Parley-Event": reply.meta.get("event", address.chat),
        }
        async with self._session.post(self.url, data=body, headers=headers) as response:
            if response.status == 429:
                raise RetryAfter(float(response.headers.get("Retry-After", "30") or 30))
            if response.status >= 500:
                raise ConnectionError(f"webhook answered {response.status}")
            if response.status >= 400:
                raise Rejected(f"webhook answered {response.status}")
            return reply.meta.get("id", "")


def from_settings(settings, ctx) -> WebhookChannel:
    ho = settings.handoff
    return WebhookChannel(ctx, url=ho.lead_webhook_url, secret=ho.lead_webhook_secret.get_secret_value())
