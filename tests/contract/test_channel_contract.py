"""The channel contract (parley.testing.contracts.channel) against Telegram in webhook mode, with
the loopback fake Bot API acting as Telegram: the suite a bot author runs against a channel of
their own (examples/webhook_channel does)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from parley.channels import ChannelContext
from parley.channels.telegram.channel import PATH, SECRET_HEADER, from_settings
from parley.core.config.settings import Settings
from parley.core.http.metrics import Metrics
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address
from parley.core.storage.memory import MemoryStore

from parley.testing.contracts.channel import ChannelContract, Shown
from parley.testing.fakes.telegram import FakeTelegram

SECRET = "contract-secret"
CHAT = 4242


class TelegramPlatform:
    """Telegram's side: updates posted to the webhook with the secret, sends read off the fake."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self._update_ids: dict[str, int] = {}

    def _update_id(self, event: str) -> int:
        # Telegram's update_id is the event id; the same event is the same update (a retry).
        return self._update_ids.setdefault(event, 1000 + len(self._update_ids))

    async def _post(self, base_url: str, update: dict) -> None:
        async with aiohttp.ClientSession() as http:
            async with http.post(base_url + PATH, json=update, headers={SECRET_HEADER: SECRET}) as resp:
                assert resp.status == 200, await resp.text()

    async def customer_says(self, base_url: str, text: str, event: str) -> None:
        uid = self._update_id(event)
        user = {"id": CHAT, "is_bot": False, "first_name": "Ada", "language_code": "en"}
        message = {"message_id": uid, "date": 1767225600, "chat": {"id": CHAT, "type": "private"}, "from": user}
        await self._post(base_url, {"update_id": uid, "message": {**message, "text": text}})

    async def customer_presses(self, base_url: str, address: Address, payload: str, event: str) -> None:
        [shown] = [m for m in self.fake.sent if m["chat_id"] == address.chat][-1:]
        message = {"message_id": shown["message_id"], "date": 1, "chat": {"id": int(address.chat), "type": "private"}}
        user = {"id": int(address.user), "is_bot": False, "first_name": "Ada"}
        query = {"id": f"cbq-{event}", "from": user, "chat_instance": "ci", "data": payload, "message": message}
        await self._post(base_url, {"update_id": self._update_id(event), "callback_query": query})

    async def shown(self, address: Address) -> list[Shown]:
        return [
            Shown(
                m["text"], tuple(b["text"] for row in (m["reply_markup"] or {}).get("inline_keyboard", []) for b in row)
            )
            for m in self.fake.sent
            if m["chat_id"] == address.chat
        ]


class TestTelegramChannel(ChannelContract):
    @pytest.fixture
    async def platform(self) -> AsyncIterator[TelegramPlatform]:
        async with FakeTelegram() as fake:
            yield TelegramPlatform(fake)

    @pytest.fixture
    async def channel(self, deliver, platform):
        settings = Settings(
            _env_file=None,
            public_url="https://bot.example.com",
            telegram={"token": platform.fake.token, "api_base": platform.fake.url, "webhook_secret": SECRET},
        )
        channel = from_settings(settings, ChannelContext(deliver, MemoryStore(), Metrics(), ManualClock()))
        yield channel
        await channel.close()
