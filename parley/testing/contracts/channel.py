"""The contract every channel keeps, whatever its platform: events arrive as ``Inbound``s under
the platform's own id (so a platform's retry is a duplicate), replies reach the person whole
(long ones split, buttons shown natively or as numbered choices), button presses carry their
payload, and a webhook refuses a body it cannot verify or parse with a 4xx, never a 5xx.

Run it against your own channel by subclassing ``ChannelContract`` and providing two fixtures:
``channel``, built on the ``deliver`` fixture (it stands in for the engine; ``context(deliver)``
from `parley.testing.fakes.recording` wraps it in a ``ChannelContext``), and ``platform``,
an object that acts as the platform (a ``Platform``: usually a loopback fake of its API):

    class TestMyChannel(ChannelContract):
        @pytest.fixture
        async def platform(self):
            async with FakeMyPlatform() as fake:
                yield fake

        @pytest.fixture
        async def channel(self, deliver, platform):
            channel = MyChannel(context(deliver), api_base=platform.url)
            yield channel
            await channel.close()

The suite serves ``channel.routes()`` on loopback (``base_url``, handed to the platform) and
runs ``channel.run()`` for the length of each test (polling or socket channels receive there).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

import pytest
from aiohttp import ClientSession, web

from parley.core.kernel.channel import Capabilities, Channel
from parley.core.kernel.messages import Address, Button, Inbound, Reply
from parley.testing.fakes.loopback import start

TIMEOUT = 10.0  # seconds a test waits for an event to arrive before it fails


@dataclass(frozen=True)
class Shown:
    """One message as the person sees it: its text and the titles of native buttons."""

    text: str
    buttons: tuple[str, ...] = ()


class Delivered:
    """The ``deliver`` a channel is built on, in place of the engine: keeps every ``Inbound``
    and answers False for an event id it has seen, as the engine's dedupe does."""

    def __init__(self) -> None:
        self.inbounds: list[Inbound] = []
        self._seen: set[str] = set()
        self._arrived = asyncio.Condition()

    async def __call__(self, inbound: Inbound) -> bool:
        async with self._arrived:
            self.inbounds.append(inbound)
            self._arrived.notify_all()
        key = f"{inbound.address.channel}:{inbound.event_id}"
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    async def wait(self, count: int = 1) -> list[Inbound]:
        """The first ``count`` inbounds, waiting up to ``TIMEOUT`` seconds for them."""
        await self.wait_for(lambda inbounds: len(inbounds) >= count)
        return self.inbounds[:count]

    async def wait_for(self, predicate: Callable[[list[Inbound]], bool]) -> None:
        async with asyncio.timeout(TIMEOUT), self._arrived:
            await self._arrived.wait_for(lambda: predicate(self.inbounds))


class Platform(Protocol):
    """The platform's side, as the suite drives it."""

    async def customer_says(self, base_url: str, text: str, event: str) -> None:
        """A person writes ``text``; ``event`` is the platform's event id (the same ``event``
        twice is the platform retrying). ``base_url`` serves the channel's routes."""

    async def customer_presses(self, base_url: str, address: Address, payload: str, event: str) -> None:
        """The person at ``address`` presses the button with ``payload`` (only asked of a
        channel with native buttons)."""

    async def shown(self, address: Address) -> list[Shown]:
        """What the platform received for ``address`` so far, oldest first."""


class ChannelContract:
    """Subclass and provide the ``channel`` and ``platform`` fixtures."""

    @pytest.fixture
    def deliver(self) -> Delivered:
        return Delivered()

    @pytest.fixture
    async def base_url(self, channel: Channel) -> AsyncIterator[str]:
        app = web.Application()
        app.add_routes(channel.routes())
        runner, port = await start(app)
        receiving = asyncio.create_task(channel.run())
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiving
            await runner.cleanup()

    @pytest.fixture
    async def first(self, platform: Platform, base_url: str, deliver: Delivered) -> Inbound:
        """The first message of a conversation, as delivered: replies go to its address."""
        await platform.customer_says(base_url, "hello contract", "contract-1")
        [inbound] = await deliver.wait(1)
        return inbound

    # -- the contract --------------------------------------------------------------------------
    def test_it_names_itself_and_its_capabilities(self, channel: Channel) -> None:
        assert isinstance(channel.name, str) and channel.name
        assert isinstance(channel.capabilities, Capabilities)
        assert channel.capabilities.max_text > 0

    async def test_a_message_arrives_as_an_inbound(self, channel: Channel, first: Inbound) -> None:
        assert first.address.channel == channel.name
        assert first.address.chat and first.event_id
        assert first.kind == "message" and first.text == "hello contract"

    async def test_a_platform_retry_keeps_its_event_id(self, platform, base_url, deliver, first) -> None:
        await platform.customer_says(base_url, "hello contract", "contract-1")
        await platform.customer_says(base_url, "something else", "contract-2")
        await deliver.wait_for(lambda inbounds: any(i.text == "something else" for i in inbounds))
        # A channel may drop the retry itself; if it hands it on, it is under the same id.
        retries = [i for i in deliver.inbounds if i.text == "hello contract"]
        [other] = [i for i in deliver.inbounds if i.text == "something else"]
        assert {i.event_id for i in retries} == {first.event_id}
        assert other.event_id != first.event_id

    async def test_a_reply_reaches_the_person(self, channel, platform, first) -> None:
        sent = await channel.send(first.address, Reply(text="Your order has shipped."))
        assert isinstance(sent, str)
        assert any("Your order has shipped." in s.text for s in await platform.shown(first.address))

    async def test_a_long_reply_arrives_whole(self, channel, platform, first) -> None:
        limit = channel.capabilities.max_text
        words = [f"w{n}" for n in range(min(limit, 20_000) // 2)]  # about twice the limit
        await channel.send(first.address, Reply(text=" ".join(words)))
        shown = await platform.shown(first.address)
        assert all(len(s.text) <= limit for s in shown)
        assert " ".join(s.text for s in shown).split() == words

    async def test_buttons_are_shown(self, channel, platform, first) -> None:
        buttons = (Button(title="Track it", payload="track"), Button(title="Talk to a person", payload="/human"))
        await channel.send(first.address, Reply(text="What next?", buttons=buttons))
        [message] = await platform.shown(first.address)
        for button in buttons:
            assert button.title in message.buttons or button.title in message.text

    async def test_a_button_press_arrives_with_its_payload(self, channel, platform, base_url, deliver, first) -> None:
        if not channel.capabilities.buttons:
            pytest.skip(f"{channel.name} has no native buttons: choices are answered by number as text")
        await channel.send(first.address, Reply(text="Pick", buttons=(Button(title="Yes", payload="answer:yes"),)))
        await platform.customer_presses(base_url, first.address, "answer:yes", "contract-press")
        press = (await deliver.wait(2))[1]
        assert press.kind == "button" and press.payload == "answer:yes"
        assert press.address.conversation == first.address.conversation

    async def test_a_webhook_refuses_what_it_cannot_verify_with_a_4xx(self, channel, base_url, deliver) -> None:
        posts = [r for r in channel.routes() if isinstance(r, web.RouteDef) and r.method == "POST"]
        async with ClientSession() as http:
            for route in posts:
                for body in (b"{not json", b"", b'{"text": "unsigned"}'):
                    async with http.post(base_url + route.path, data=body) as resp:
                        assert 400 <= resp.status < 500, f"POST {route.path} {body!r} answered {resp.status}"
        assert deliver.inbounds == []
