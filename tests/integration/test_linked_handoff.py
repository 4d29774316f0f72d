"""An open case follows a linked customer (issue 21, item 2): what they write on their other
channel goes to the same card's thread, and the agent's answer comes back on the channel they
wrote on last."""

from __future__ import annotations

import functools

import aiohttp
import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.linking.links import link

from parley.app import Bot
from parley.testing.fakes.recording import RecordingChannel
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually
from tests.integration.test_handoff import DESK, desk_event, desk_items

TG = Address(channel="telegram", chat="4242", user="4242")


@pytest.fixture
async def app(make_settings):
    clock = ManualClock()
    settings = make_settings(handoff={"hours": "mon-fri 09:00-18:00", "timezone": "UTC"})
    channels = [functools.partial(RecordingChannel, name="telegram")]
    async with Bot(settings, clock=clock, channels=channels) as parley:
        parley.desk.desk = DESK
        yield parley


async def test_the_case_follows_the_customer_to_their_other_channel(app):
    tg = app.channels["telegram"]
    async with aiohttp.ClientSession() as http:
        chat = await ChatClient(http, app.port).connect()
        await chat.say("hello")
        await chat.replies(1)
        await app.engine.deliver(Inbound(address=TG, event_id="t1", text="hello"))
        await eventually(lambda: tg.sent, timeout=10)
        await link(app.store, TG.person, f"web:{chat.chat}")

        await chat.say("I want to talk to a human")
        await chat.replies(2)
        case = (await app.store.state(f"web:{chat.chat}:"))["handoff"]["case"]
        answered = len(tg.sent)
        app.clock.advance(10)
        await app.engine.deliver(Inbound(address=TG, event_id="t2", text="are you there? it's urgent"))
        thread = f"handoff:{case}"
        await eventually(
            lambda: any("urgent" in d["text"] for d in desk_items(app) if d["meta"].get("desk_thread") == thread)
        )
        relay = next(d for d in desk_items(app) if "urgent" in d["text"])
        assert relay["text"] == "Customer (on telegram): are you there? it's urgent"
        assert len(tg.sent) == answered  # the bot stays silent there too: a person has it

        app.clock.advance(10)
        await desk_event(app, case, text="Hi, Ana here. Your parcel left today.")
        await eventually(lambda: any("parcel left today" in r.text for _, r in tg.sent), timeout=10)
        # Ended: the case no longer follows them; the bot answers on Telegram again.
        await desk_event(app, case, button="resolve")
        await eventually(lambda: any("back with" in r.text for _, r in tg.sent), timeout=10)
        profile = await app.store.profile(await app.store.person_of(TG.person))
        assert "open_case" not in profile, (profile.get("open_case"), case, profile.get("identities"))
        before = len(tg.sent)
        await app.engine.deliver(Inbound(address=TG, event_id="t3", text="Do you ship to Canada?"))
        await eventually(lambda: len(tg.sent) > before, timeout=10)
        assert tg.sent[-1][1].kind == "answer"  # the bot again: the case no longer follows them
        await chat.close()
