"""The voice channel's <Gather> mode: one signed webhook per turn, Twilio doing the speech."""

from __future__ import annotations

import pytest

from parley.testing.fakes.conversationrelay import FakeRelay
from tests.contract.twilio_harness import PUBLIC_URL, twilio_parley

VOICE_FROM = "+15005550010"
CALLER = "+15551230077"
CALL = "CA" + "d" * 32


@pytest.fixture
async def gather(make_settings):
    async with twilio_parley(make_settings, voice_from=VOICE_FROM, voice_mode="gather") as h:
        yield h, FakeRelay(h.http, f"http://127.0.0.1:{h.app.port}", PUBLIC_URL)


def turn(said: str, **more: str) -> dict[str, str]:
    return {"CallSid": CALL, "From": CALLER, "To": VOICE_FROM, "SpeechResult": said, "Confidence": "0.9", **more}


async def test_a_call_in_gather_mode_is_greeted_with_the_disclosure_while_listening(gather):
    h, twilio = gather
    status, body = await twilio.incoming(CALL, CALLER, VOICE_FROM)
    assert status == 200
    assert '<Gather action="https://bot.example.com/webhooks/twilio/voice/gather?n=1"' in body
    assert 'bargeIn="true"' in body and 'input="speech dtmf"' in body
    assert '<Say language="en-US" voice="Google.en-US-Neural2-F">' in body
    assert "an AI assistant" in body  # the disclosure, first


async def test_each_turn_is_a_signed_webhook_answered_in_its_twiml(gather):
    h, twilio = gather
    await twilio.incoming(CALL, CALLER, VOICE_FROM)
    status, body = await twilio.webhook("/webhooks/twilio/voice/gather?n=1", turn("how much is shipping"))
    assert status == 200 and "shipping" in body.lower()
    assert "gather?n=2" in body  # the next turn
    assert "an AI assistant" not in body  # said once, at the start
    again, repeat = await twilio.webhook("/webhooks/twilio/voice/gather?n=1", turn("how much is shipping"))
    assert again == 200 and repeat == body  # Twilio's retry of the same turn: the same answer
    asked = [i.text for i in h.seen if i.address.channel == "voice" and i.text != "/start"]
    assert asked == ["how much is shipping"]


async def test_a_forged_turn_is_refused_and_silence_ends_the_call_politely(gather):
    h, twilio = gather
    status, _ = await twilio.webhook("/webhooks/twilio/voice/gather?n=1", turn("hi"), signature="forged")
    assert status == 403
    status, body = await twilio.webhook("/webhooks/twilio/voice/gather?n=3", turn(""))
    assert status == 200 and "<Hangup />" in body and "Goodbye" in body


async def test_a_keypress_answers_a_spoken_choice(gather):
    h, twilio = gather
    await twilio.incoming(CALL, CALLER, VOICE_FROM)
    _, body = await twilio.webhook("/webhooks/twilio/voice/gather?n=1", turn("what is the airspeed of a swallow"))
    assert "press 1" in body and 'numDigits="1"' in body
    _, body = await twilio.webhook("/webhooks/twilio/voice/gather?n=2", {**turn(""), "Digits": "1"})
    state = await h.app.store.state(f"voice:{CALL}:")
    assert state["handoff"]["reason"] == "asked"


async def test_saying_stop_calling_me_opts_out_of_proactive_calls(gather):
    h, twilio = gather
    await twilio.incoming(CALL, CALLER, VOICE_FROM)
    _, body = await twilio.webhook("/webhooks/twilio/voice/gather?n=1", turn("Please stop calling me."))
    assert "won't call you again" in body and "<Hangup />" in body
    assert await h.app.channels["voice"].account.consent.opted_out(f"voice:{CALLER}")


# -- an answer slower than Twilio waits for a webhook ----------------------------------------------
from parley.testing.fakes.openai import FakeOpenAI  # noqa: E402

SLOW_ANSWER = "Standard delivery takes three to five working days."


@pytest.fixture
async def slow_gather(make_settings):
    # The model writes for about a second; the webhook waits 0.2 s for it (Twilio's 15 s, scaled).
    async with FakeOpenAI(lambda body: {"text": SLOW_ANSWER, "chunk": 5, "gap": 0.1}) as fake:
        llm = {"base_url": fake.base_url, "api_key": "sk-test", "daily_tokens": 0, "feedback": False}
        async with twilio_parley(
            make_settings, extra={"llm": llm}, voice_from=VOICE_FROM, voice_mode="gather", voice_gather_wait=0.2
        ) as h:
            yield h, FakeRelay(h.http, f"http://127.0.0.1:{h.app.port}", PUBLIC_URL)


async def followed(twilio, n: int, body: str) -> str:
    """Follow the "still thinking" redirects of turn ``n``, as Twilio does, up to its answer."""
    wait = f"/webhooks/twilio/voice/gather?n={n}&wait=1"
    for _ in range(40):
        if "<Gather" in body:
            return body
        assert f'<Redirect method="POST">{PUBLIC_URL}{wait.replace("&", "&amp;")}</Redirect>' in body, body
        _, body = await twilio.webhook(wait, turn(""))
    raise AssertionError("no answer after 40 redirects")


async def test_a_slow_answer_keeps_the_line_with_a_pause_and_is_picked_up_by_the_redirect(slow_gather):
    h, twilio = slow_gather
    _, body = await twilio.incoming(CALL, CALLER, VOICE_FROM)
    assert "an AI assistant" in await followed(twilio, 0, body)  # the greeting (no model: quick)
    _, body = await twilio.webhook("/webhooks/twilio/voice/gather?n=1", turn("how long does delivery take"))
    assert "<Gather" not in body and '<Pause length="1" />' in body  # still thinking: the line is kept
    answer = await followed(twilio, 1, body)  # Twilio follows the redirect, as often as it is given one
    assert SLOW_ANSWER in answer and "gather?n=2" in answer  # the answer, then the next turn
    asked = [i.text for i in h.seen if i.address.channel == "voice" and i.text != "/start"]
    assert asked == ["how long does delivery take"]  # the redirects asked nothing again
