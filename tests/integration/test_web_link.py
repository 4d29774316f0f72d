"""The web chat's ``link`` frame (what /chat?link=<token> sends) through the real websocket and
pipeline: a customer who asked on another channel is linked to the web chat that opens the link;
a spent, expired or third-party use links nothing and gets the one answer every refusal gets; a
malformed token is refused at the door with one log line."""

from __future__ import annotations

import functools
import logging
import re

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound

from parley.app import Bot
from parley.testing.fakes.recording import RecordingChannel
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually

TG = Address(channel="telegram", chat="42", user="42")  # the customer's other channel (a stand-in)
LINK = re.compile(r"https://bot\.example\.com/chat\?link=([A-Za-z0-9_-]{32})")


@pytest.fixture
async def app(make_settings):
    clock = ManualClock()
    settings = make_settings(store_url="memory://", public_url="https://bot.example.com")
    async with Bot(settings, clock=clock, channels=[functools.partial(RecordingChannel, name="telegram")]) as bot:
        bot.test_clock = clock
        yield bot


async def offered_link(app: Bot, n: int) -> str:
    """The customer sends /link web on Telegram; the token of the web link in the answer."""
    channel = app.channels["telegram"]
    await app.engine.deliver(Inbound(address=TG, event_id=f"tg-{n}", text="/link web"))
    await eventually(lambda: any(LINK.search(t) for t in channel.texts()[n:]), timeout=10)
    return next(LINK.search(t).group(1) for t in channel.texts()[n:] if LINK.search(t))


async def answer(client: ChatClient) -> str:
    return (await client.next("reply"))["text"]


async def test_the_link_links_the_web_chat_that_opens_it_once(app, http):
    token = await offered_link(app, 0)
    web = await ChatClient(http, app.port).connect()
    await web.open_link(token)
    await web.next("ack")
    assert "linked with Telegram" in await answer(web)
    await eventually(lambda: any("linked with web chat" in t for t in app.channels["telegram"].texts()))
    person = await app.store.person_of(TG.person)
    assert set(await app.store.identities(person)) == {TG.person, f"web:{web.chat}"}

    # The same link again (a resend after a reconnect, a reload) and from another browser.
    await web.open_link(token)
    assert "isn't valid" in await answer(web)
    stranger = await ChatClient(http, app.port).connect()
    await stranger.open_link(token)
    assert "isn't valid" in await answer(stranger)
    assert await app.store.person_of(f"web:{stranger.chat}") == f"web:{stranger.chat}"  # nothing joined


async def test_an_expired_link_links_nothing(app, http):
    token = await offered_link(app, 0)
    app.test_clock.advance(11 * 60)  # codes live 10 minutes
    web = await ChatClient(http, app.port).connect()
    await web.open_link(token)
    assert "isn't valid" in await answer(web)
    assert await app.store.identities(TG.person) == [TG.person]


@pytest.mark.parametrize("token", ["short", "x" * 33, "ä" * 32, 42, None])
async def test_a_malformed_token_is_refused_at_the_door(app, http, caplog, token):
    caplog.set_level(logging.INFO, "parley.webchat")
    web = await ChatClient(http, app.port).connect()
    await web.ws.send_json({"type": "link", "id": "link-frame-1", "token": token})
    refused = await web.next("error")
    assert (refused["code"], refused["id"]) == ("malformed", "link-frame-1")  # the page drops it
    lines = [r for r in caplog.records if r.name == "parley.webchat"]
    assert len(lines) == 1 and lines[0].reason == "bad_link_token" and not lines[0].exc_info
    assert not [f for f in web.frames if f["type"] == "ack"]
