"""Calls Parley places (reminders, call backs) through the twilio SDK's Calls API against the
Twilio fake, with consent and quiet hours checked when the call would be placed."""

from __future__ import annotations

import pytest
from parley.core.kernel.channel import Rejected, RetryAfter, Unreachable
from parley.core.kernel.messages import Address, Reply

from parley.testing.fakes.conversationrelay import FakeRelay
from tests.conftest import eventually
from tests.contract.twilio_harness import PUBLIC_URL, twilio_parley

VOICE_FROM = "+15005550010"
CALLER = "+15551230099"
HOUR = 3600


@pytest.fixture
async def voice(make_settings):
    async with twilio_parley(make_settings, voice_from=VOICE_FROM) as h:
        h.clock.advance(10 * HOUR)  # 10:00 UTC: outside the default quiet hours
        h.app.scheduler.dispatcher.idle_poll = 0.02
        yield h


async def test_a_reminder_asked_for_on_a_call_rings_back_through_the_calls_api(voice):
    relay = FakeRelay(voice.http, f"http://127.0.0.1:{voice.app.port}", PUBLIC_URL)
    call = await relay.connect("CA" + "e" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("remind me in 2 hours to call Bob")
    said = await call.answer()
    assert "remind you" in said
    await call.hang_up()
    voice.clock.advance(2 * HOUR + 1)
    voice.app.scheduler.dispatcher.wake()
    placed = await eventually(lambda: voice.fake.calls)
    assert placed[0]["To"] == CALLER and placed[0]["From"] == VOICE_FROM
    twiml = placed[0]["Twiml"]
    assert "Reminder: call Bob" in twiml
    assert twiml.index("an AI assistant") < twiml.index("Reminder")  # the disclosure first
    assert "press 9" in twiml and 'action="https://bot.example.com/webhooks/twilio/voice/optout"' in twiml


async def test_pressing_9_on_a_placed_call_stops_further_calls(voice):
    channel = voice.app.channels["voice"]
    address = Address(channel="voice", chat="CA" + "f" * 32, user=CALLER)
    await channel.send(address, Reply(text="Your order ships today.", kind="proactive"))
    assert len(voice.fake.calls) == 1
    relay = FakeRelay(voice.http, f"http://127.0.0.1:{voice.app.port}", PUBLIC_URL)
    form = {"CallSid": voice.fake.calls[0]["Sid"], "From": VOICE_FROM, "To": CALLER, "Digits": "9"}
    status, body = await relay.webhook("/webhooks/twilio/voice/optout", form)
    assert status == 200 and "won't call you again" in body and "<Hangup />" in body
    with pytest.raises(Unreachable):  # checked again when the next call would be placed
        await channel.send(address, Reply(text="Another reminder.", kind="proactive"))
    assert len(voice.fake.calls) == 1
    forged = await relay.webhook("/webhooks/twilio/voice/optout", form, signature="forged")
    assert forged[0] == 403


async def test_no_call_is_placed_in_the_persons_quiet_hours(voice):
    voice.clock.advance(12 * HOUR)  # 22:00 UTC
    channel = voice.app.channels["voice"]
    address = Address(channel="voice", chat="CA" + "0" * 31 + "1", user=CALLER)
    with pytest.raises(RetryAfter) as later:
        await channel.send(address, Reply(text="Your order ships today.", kind="proactive"))
    assert later.value.reason == "quiet_hours"
    assert later.value.seconds == pytest.approx(11 * HOUR, abs=1)  # 09:00 the next morning
    assert voice.fake.calls == []


async def test_a_call_api_error_maps_to_the_outbox_outcomes(voice):
    voice.fake.fail_next(400, 21215)  # geo permissions: this number cannot be called
    channel = voice.app.channels["voice"]
    address = Address(channel="voice", chat="CA" + "0" * 31 + "2", user=CALLER)
    with pytest.raises(Rejected):
        await channel.send(address, Reply(text="Your order ships today.", kind="proactive"))
