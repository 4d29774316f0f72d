"""How a test customer reaches the bot: a ``Line`` per customer.

On ``web`` the customer is a real web chat page (the real channel, over its websocket, the way
chat.html talks). On any other channel name the customer sits behind a stand-in channel with
that platform's capabilities: the real pipeline from ``Engine.deliver`` to ``Channel.send``,
without the platform's own translation (that is what each channel's own tests cover).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from parley.core.kernel.channel import Capabilities, Deliver
from parley.core.kernel.messages import Address, Button, Inbound, Reply
from parley.core.kernel.render import as_text
from parley.testing.fakes.recording import RecordingChannel
from parley.testing.fakes.webchat import ChatClient

# What each built-in channel can show, with rate limits lifted: a test's clock stands still
# unless the test moves it, and a throttled reply would wait for a time that never comes.
_FAST = {"per_chat_rate": 1000.0, "per_chat_burst": 1000, "global_rate": 100_000.0}
PROFILES: dict[str, Capabilities] = {
    "telegram": Capabilities(buttons=True, max_text=4096, **_FAST),
    "slack": Capabilities(buttons=True, threads=True, max_text=3000, **_FAST),
    "discord": Capabilities(buttons=True, threads=True, max_text=2000, **_FAST),
    "sms": Capabilities(buttons=False, max_text=1600, **_FAST),
    "whatsapp": Capabilities(buttons=False, max_text=1600, **_FAST),
}
DEFAULT_PROFILE = Capabilities(buttons=True, **_FAST)
ACK_TIMEOUT = 10.0  # seconds the web chat gets to store a message and ack it


@dataclass(frozen=True)
class Message:
    """One message the customer received, as they see it.

    ``text`` is what the platform shows (on a channel without buttons, the choices are in it as a
    numbered list); ``buttons`` are the choices offered, native or numbered."""

    text: str
    buttons: tuple[Button, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def titles(self) -> list[str]:
        return [b.title for b in self.buttons]


class Line(Protocol):
    address: Address
    native_buttons: bool

    async def say(self, text: str) -> None: ...

    async def press(self, button: Button) -> None: ...

    def received(self) -> list[Message]:
        """Everything received so far, oldest first."""

    async def close(self) -> None: ...


class StandInLine:
    """A customer behind a stand-in channel: each action is one ``Inbound`` handed to the engine."""

    def __init__(self, channel: RecordingChannel, deliver: Deliver, address: Address, locale: str, name: str) -> None:
        self.channel = channel
        self.deliver = deliver
        self.address = address
        self.native_buttons = channel.capabilities.buttons
        self.locale = locale
        self.name = name

    async def say(self, text: str) -> None:
        await self._deliver(text=text)

    async def press(self, button: Button) -> None:
        await self._deliver(kind="button", payload=button.payload, text=button.title)

    async def _deliver(self, **what: str) -> None:
        inbound = Inbound(
            address=self.address, event_id=uuid.uuid4().hex, locale_hint=self.locale, user_name=self.name, **what
        )
        await self.deliver(inbound)

    def received(self) -> list[Message]:
        return [self._shown(reply) for address, reply in self.channel.sent if address.chat == self.address.chat]

    def _shown(self, reply: Reply) -> Message:
        return Message(as_text(reply, self.native_buttons), reply.buttons, reply.sources)

    async def close(self) -> None:
        return None


class WebLine:
    """A customer on the real web chat page protocol; a reader task keeps every frame."""

    native_buttons = True

    def __init__(self, client: ChatClient) -> None:
        self.client = client
        self.address = Address(channel="web", chat=client.cid, user=client.cid)
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, http: aiohttp.ClientSession, port: int, locale: str) -> WebLine:
        line = cls(await ChatClient(http, port).connect(locale))
        line._reader = asyncio.create_task(line._read())
        return line

    async def _read(self) -> None:
        ws = self.client.ws
        assert ws is not None
        async for frame in ws:
            if frame.type == aiohttp.WSMsgType.TEXT:
                self.client.frames.append(json.loads(frame.data))

    async def say(self, text: str) -> None:
        await self._acked(await self.client.say(text))

    async def press(self, button: Button) -> None:
        await self._acked(await self.client.press(button.payload, button.title))

    async def _acked(self, event: str) -> None:
        """Wait for the page's ack: until then the server may not have the event at all."""
        async with asyncio.timeout(ACK_TIMEOUT):
            while not any(f["type"] in ("ack", "error") and f.get("id", event) == event for f in self.client.frames):
                await asyncio.sleep(0.002)

    def received(self) -> list[Message]:
        return [
            Message(f["text"], tuple(Button(**b) for b in f.get("buttons", ())), tuple(f.get("sources", ())))
            for f in self.client.frames
            if f["type"] == "reply"
        ]

    async def close(self) -> None:
        await self.client.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
