"""Channels of one's own: passed to the Bot (``channels=``) or installed as a plugin (the
``parley.channels`` entry-point group). Their routes are mounted on the one server and their
replies go through the durable outbox like a shipped channel's."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import aiohttp
import pytest

from parley import Address, Bot, Channel, ChannelContext, Inbound, Reply, Router, Turn
from tests.conftest import eventually

ECHO_MODULE = '''
from aiohttp import web

from parley import Address, Channel, Inbound


class EchoChannel(Channel):
    """A JSON webhook: POST /webhooks/{name} {"id": ..., "user": ..., "text": ...}."""

    def __init__(self, ctx, *, name="echo"):
        super().__init__(ctx)
        self.name = name
        self.sent = []

    def routes(self):
        return [web.post(f"/webhooks/{self.name}", self.webhook)]

    async def webhook(self, request):
        body = await request.json()
        address = Address(channel=self.name, chat=body["user"], user=body["user"])
        await self.ctx.deliver(Inbound(address=address, event_id=body["id"], text=body["text"]))
        return web.json_response({"ok": True})

    async def send(self, address, reply):
        self.sent.append((address.chat, reply.text))
        return reply.meta.get("id", "")


def from_settings(settings, ctx):
    return EchoChannel(ctx)
'''


def install_plugin(folder: Path, monkeypatch, name: str, value: str, module: str = ECHO_MODULE) -> None:
    """What ``pip install`` of a channel plugin leaves on sys.path: its module and a dist-info
    folder whose entry_points.txt names it in the ``parley.channels`` group."""
    folder.mkdir(exist_ok=True)
    (folder / f"{name}_plugin.py").write_text(textwrap.dedent(module))
    info = folder / f"{name}_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[parley.channels]\n{name} = {value}\n")
    monkeypatch.syspath_prepend(str(folder))


def greeter() -> Router:
    router = Router()

    @router.command("/hello")
    async def hello(turn: Turn) -> None:
        turn.say(f"hello from {turn.address.channel}")

    return router


async def post(port: int, path: str, body: dict) -> int:
    async with aiohttp.ClientSession() as http, http.post(f"http://127.0.0.1:{port}{path}", json=body) as response:
        return response.status


async def test_a_channel_passed_to_the_bot_is_mounted_and_answered(make_settings, tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text(textwrap.dedent(ECHO_MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))  # importable, but no entry point: not a plugin
    from mine import EchoChannel

    async with Bot(make_settings(), routers=[greeter()], channels=[functools.partial(EchoChannel, name="mine")]) as bot:
        assert await post(bot.port, "/webhooks/mine", {"id": "e1", "user": "ann", "text": "/hello"}) == 200
        channel = bot.channels["mine"]
        await eventually(lambda: channel.sent)
        assert channel.sent == [("ann", "hello from mine")]


async def test_an_installed_plugin_registers_through_the_entry_point_group(make_settings, tmp_path, monkeypatch):
    install_plugin(tmp_path / "site", monkeypatch, "echo", "echo_plugin:from_settings")
    async with Bot(make_settings(), routers=[greeter()]) as bot:
        assert "echo" in bot.channels and "web" in bot.channels
        assert await post(bot.port, "/webhooks/echo", {"id": "e1", "user": "bo", "text": "/hello"}) == 200
        await eventually(lambda: bot.channels["echo"].sent)
        assert bot.channels["echo"].sent == [("bo", "hello from echo")]


async def test_a_plugin_that_does_not_load_stops_start_up_naming_it(make_settings, tmp_path, monkeypatch):
    install_plugin(tmp_path / "site", monkeypatch, "broken", "broken_plugin:from_settings", "import not_installed\n")
    with pytest.raises(ValueError, match=r"channel plugin 'broken' \(broken_plugin:from_settings\): cannot load"):
        async with Bot(make_settings()):
            pass


async def test_two_channels_cannot_share_a_name(make_settings):
    class Web(Channel):
        name = "web"  # the web chat's

        async def send(self, address: Address, reply: Reply) -> str:
            return ""

    with pytest.raises(ValueError, match="channel name 'web' of Web is empty or taken"):
        async with Bot(make_settings(), channels=[Web]):
            pass


async def test_the_base_class_gives_every_optional_capability_a_default():
    class Minimal(Channel):
        name = "minimal"

        async def send(self, address: Address, reply: Reply) -> str:
            return "id"

    async def deliver(inbound: Inbound) -> bool:
        return True

    from parley.testing.fakes.recording import context

    channel = Minimal(context(deliver))
    address = Address(channel="minimal", chat="c")
    assert channel.routes() == [] and not channel.singleton
    assert await channel.run() is None and await channel.typing(address) is None and await channel.close() is None
    assert [limit.key for limit in channel.limits(address)] == ["minimal:bot", "minimal:chat:c"]

    async def chunks():
        yield "hi"

    with pytest.raises(NotImplementedError, match="declares edits"):
        await channel.stream(address, chunks())
    assert isinstance(channel.ctx, ChannelContext)
    with pytest.raises(TypeError, match="abstract"):
        Channel(context(deliver))  # type: ignore[abstract]
