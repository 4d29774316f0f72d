"""A person on the line: inside business hours the call is transferred (``end`` with
handoffData, then <Dial> from the action URL); outside them the caller is offered a call back,
booked through the scheduler, and the desk's card lands in Slack either way."""

from __future__ import annotations

import json

import pytest
from parley.core.handoff.events import KIND
from parley.core.schedule.store import followup_id

from parley.testing.fakes.conversationrelay import FakeRelay
from parley.testing.fakes.slack import fake_slack
from tests.conftest import eventually
from tests.contract.twilio_harness import PUBLIC_URL, twilio_parley

VOICE_FROM = "+15005550010"
CALLER = "+15551230111"
DESK_NUMBER = "+15550001111"
HOUR = 3600


@pytest.fixture
async def desk(make_settings):
    async with fake_slack() as slack:
        extra = {
            "slack": {
                "bot_token": "xoxb-test",
                "signing_secret": "s3",
                "api_base": slack.url + "/api/",
                "desk_channel": "CDESK",
            },
            "handoff": {"hours": "mon-fri 09:00-18:00", "timezone": "UTC"},
        }
        async with twilio_parley(make_settings, extra=extra, voice_from=VOICE_FROM, voice_transfer=DESK_NUMBER) as h:
            h.app.scheduler.dispatcher.idle_poll = 0.02
            yield h, slack, FakeRelay(h.http, f"http://127.0.0.1:{h.app.port}", PUBLIC_URL)


def cards(slack) -> list[dict]:
    return [c for c in slack.of("chat.postMessage") if c.get("channel") == "CDESK"]


async def test_asking_for_a_person_in_business_hours_transfers_the_call(desk):
    h, slack, relay = desk
    h.clock.advance(10 * HOUR)  # Thursday 10:00 UTC: the desk is open
    call = await relay.connect("CA" + "1" * 31 + "a", CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("how much is shipping")
    await call.answer()
    await call.prompt("I want to talk to a person")
    said = await call.answer()
    assert "put you through" in said
    end = await call.frame()
    assert end["type"] == "end"
    handoff = json.loads(end["handoffData"])
    assert handoff["reason"] == "handoff"
    await eventually(lambda: cards(slack))  # the desk's card, with the call's transcript
    assert "shipping" in json.dumps(cards(slack)[0]).lower()
    status, body = await relay.webhook(
        "/webhooks/twilio/voice/action",
        {
            "CallSid": call.call_sid,
            "From": CALLER,
            "To": VOICE_FROM,
            "SessionStatus": "ended",
            "HandoffData": end["handoffData"],
        },
    )
    assert status == 200 and f'<Dial callerId="{VOICE_FROM}"><Number>{DESK_NUMBER}</Number></Dial>' in body
    await call.hang_up()


async def test_outside_business_hours_the_caller_is_offered_a_call_back(desk):
    h, slack, relay = desk
    h.clock.advance(20 * HOUR)  # Thursday 20:00 UTC: the desk is closed
    call = await relay.connect("CA" + "1" * 31 + "b", CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("I want to talk to a person")
    said = await call.answer()
    assert "call you back" in said and "press 1" in said
    assert not call.sent("end")  # no transfer: nobody is there
    await eventually(lambda: cards(slack))
    await call.dtmf("1")
    booked = await call.answer()
    assert "get back to you" in booked
    friday_nine = int(h.clock() + 13 * HOUR)  # the desk's next opening
    booked_id = followup_id(f"voice:{call.call_sid}:", KIND, friday_nine)
    assert await h.app.scheduler.sched.status(booked_id) == "due"  # the call back, in the scheduler
    await call.hang_up()


async def test_the_action_url_after_a_normal_end_hangs_up_and_is_signed(desk):
    h, slack, relay = desk
    form = {"CallSid": "CA" + "1" * 32, "From": CALLER, "To": VOICE_FROM, "SessionStatus": "completed"}
    status, body = await relay.webhook("/webhooks/twilio/voice/action", form)
    assert status == 200 and "<Hangup />" in body and "<Dial" not in body
    forged, _ = await relay.webhook("/webhooks/twilio/voice/action", form, signature="forged")
    assert forged == 403


async def test_the_booked_call_back_rings_the_caller_and_puts_them_through(desk):
    h, slack, relay = desk
    h.clock.advance(20 * HOUR)  # Thursday 20:00 UTC: closed
    call = await relay.connect("CA" + "1" * 31 + "c", CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("I want to talk to a person")
    await call.answer()
    await call.dtmf("1")
    await call.answer()
    await call.hang_up()
    h.clock.advance(13 * HOUR + 1)  # Friday 09:00: the desk opens, the call back is due
    h.app.scheduler.dispatcher.wake()
    placed = await eventually(lambda: h.fake.calls)
    assert placed[0]["To"] == CALLER and placed[0]["From"] == VOICE_FROM
    assert "put you through" in placed[0]["Twiml"]
    assert f"<Number>{DESK_NUMBER}</Number>" in placed[0]["Twiml"]
