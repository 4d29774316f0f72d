"""One person on two channels (issue 21, item 2), in a whole app on SQLite: consent stays per
channel, a proactive message goes to the channel the customer last wrote on (or the one they
pinned), the people index names the person, and the desk card lists every channel."""

from __future__ import annotations

import functools

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.linking.channels import consent_of
from parley.core.linking.links import link
from parley.core.storage.sqlite import SQLiteStore

from parley.app import Bot
from parley.testing.fakes.recording import RecordingChannel
from tests.conftest import eventually

WA = Address(channel="whatsapp", chat="+4915100000001", user="+4915100000001")
WEB = Address(channel="telegram", chat="42", user="42")  # a second channel, recorded


@pytest.fixture
async def app(make_settings, tmp_path):
    clock = ManualClock(1.8e9)
    store = SQLiteStore(tmp_path / "people.db", clock=clock)
    channels = [functools.partial(RecordingChannel, name=n) for n in ("whatsapp", "telegram")]
    async with Bot(make_settings(), clock=clock, store=store, channels=channels) as parley:
        parley.test_clock = clock
        yield parley


async def say(app: Bot, address: Address, text: str, n: int) -> None:
    before = len(app.channels[address.channel].sent)
    await app.engine.deliver(Inbound(address=address, event_id=f"{address.channel}{n}", text=text))
    await eventually(lambda: len(app.channels[address.channel].sent) > before, timeout=10)


async def test_consent_and_replies_per_channel_for_one_person(app):
    await say(app, WA, "hello", 1)
    await say(app, WEB, "hi there", 1)
    linked = await link(app.store, WA.person, WEB.person)
    person = linked.person
    app.test_clock.advance(60)

    await say(app, WA, "START", 2)  # opted in on WhatsApp...
    await say(app, WEB, "STOP", 2)  # ...and out on the web chat
    profile = await app.store.profile(person)
    assert consent_of(profile, WA.person)["marketing"] is True
    assert consent_of(profile, WEB.person)["marketing"] is False
    assert "consent" not in profile  # nothing person-wide: one channel's consent is not another's
    assert (await app.scheduler.sched.person(WA.person)).consent is True
    assert (await app.scheduler.sched.person(WEB.person)).consent is False
    assert (await app.scheduler.sched.person(WA.person)).owner == person

    # A proactive message for the web conversation: the customer last wrote on the web chat.
    app.test_clock.advance(60)
    await say(app, WA, "are you there?", 3)  # now WhatsApp is the latest
    sent_wa = len(app.channels["whatsapp"].sent)
    sent_web = len(app.channels["telegram"].sent)
    await app.engine.proactive(WEB, Reply(text="Your order shipped", kind="proactive"), "notice:1")
    await eventually(lambda: len(app.channels["whatsapp"].sent) > sent_wa, timeout=10)
    assert app.channels["whatsapp"].sent[-1][1].text == "Your order shipped"
    assert len(app.channels["telegram"].sent) == sent_web  # not on the web chat, where they did not write last

    # "/link here" pins a channel: proactive messages go there even when the customer wrote
    # elsewhere last (once they opted back in there: never to a channel they said STOP on).
    await say(app, WEB, "START", 4)
    await say(app, WEB, "/link here", 5)
    app.test_clock.advance(60)
    await say(app, WA, "one more thing", 6)
    before = len(app.channels["telegram"].sent)
    await app.engine.proactive(WA, Reply(text="Pinned", kind="proactive"), "notice:2")
    await eventually(lambda: len(app.channels["telegram"].sent) > before, timeout=10)
    assert app.channels["telegram"].sent[-1][1].text == "Pinned"


async def test_a_proactive_message_never_goes_to_a_channel_opted_out_by_its_route(app):
    await say(app, WA, "hello", 1)
    await say(app, WEB, "hi", 1)
    await link(app.store, WA.person, WEB.person)
    app.test_clock.advance(60)
    await say(app, WEB, "STOP", 2)  # the web chat is the latest channel, and opted out
    before = len(app.channels["whatsapp"].sent)
    await app.engine.proactive(WA, Reply(text="Reminder", kind="proactive"), "notice:3")
    await eventually(lambda: len(app.channels["whatsapp"].sent) > before, timeout=10)
    assert app.channels["whatsapp"].sent[-1][1].text == "Reminder"
