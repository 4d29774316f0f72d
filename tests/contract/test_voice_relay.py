"""The voice channel over ConversationRelay, with Twilio's side played by a fake relay client
over the real websocket (parley.testing.fakes.conversationrelay) and the real twilio SDK's
signature checks."""

from __future__ import annotations

import aiohttp
import pytest
from parley.core.kernel.channel import Rejected
from parley.core.kernel.messages import Address, Reply

from parley.testing.fakes.conversationrelay import FakeRelay
from tests.conftest import eventually
from tests.contract.twilio_harness import PUBLIC_URL, twilio_parley

VOICE_FROM = "+15005550010"
CALLER = "+15551230042"
SPANISH_CALLER = "+34600111222"


def relay_for(h) -> FakeRelay:
    return FakeRelay(h.http, f"http://127.0.0.1:{h.app.port}", PUBLIC_URL)


@pytest.fixture
async def voice(make_settings):
    async with twilio_parley(make_settings, voice_from=VOICE_FROM) as h:
        yield h


async def test_the_webhook_answers_twiml_that_connects_the_call_to_the_signed_socket(voice):
    relay = relay_for(voice)
    status, body = await relay.incoming("CA" + "1" * 32, SPANISH_CALLER, VOICE_FROM)
    assert status == 200
    assert "<ConversationRelay " in body and 'url="wss://bot.example.com/webhooks/twilio/relay"' in body
    assert 'language="es-ES"' in body  # the caller's number says Spanish
    assert 'dtmfDetection="true"' in body and 'interruptible="any"' in body
    assert body.count("<Language ") == 7  # every other shipped pack, for mid-call switches
    assert 'action="https://bot.example.com/webhooks/twilio/voice/action"' in body


async def test_an_unsigned_webhook_or_socket_is_refused(voice):
    relay = relay_for(voice)
    status, _ = await relay.webhook("/webhooks/twilio/voice", {"CallSid": "CA1", "From": CALLER}, signature="forged")
    assert status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await relay.connect("CA" + "2" * 32, CALLER, VOICE_FROM, signature="forged")
    assert refused.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await relay.connect("CA" + "2" * 32, CALLER, VOICE_FROM, signature="")
    assert 'reason="bad_signature"' in voice.metric("parley_rejected_total")


async def test_the_call_opens_with_the_ai_disclosure_in_the_callers_language(voice):
    call = await relay_for(voice).connect("CA" + "3" * 32, SPANISH_CALLER, VOICE_FROM)
    greeting = await call.answer()
    assert "asistente de IA" in greeting or "IA" in greeting, greeting
    assert call.sent("text")[-1]["last"] is True
    await call.hang_up()


async def test_partial_prompts_wait_for_the_final_one_which_is_answered_whole(voice):
    call = await relay_for(voice).connect("CA" + "4" * 32, CALLER, VOICE_FROM)
    await call.answer()  # greeting
    await call.prompt("how much is", last=False)
    await call.prompt("how much is shipping", last=False)
    await call.prompt("how much is shipping", last=True)
    said = await call.answer()
    asked = [i.text for i in voice.seen if i.address.channel == "voice" and i.text != "/start"]
    assert asked == ["how much is shipping"]  # one turn, on the final transcript
    assert said and not any(mark in said for mark in ("http", "**", "[1]", "](")), said
    assert len([f for f in call.sent("text") if f["last"]]) == 2  # greeting, answer: each whole
    await call.hang_up()


async def test_a_keypress_chooses_among_spoken_choices(voice):
    call = await relay_for(voice).connect("CA" + "5" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("what is the airspeed of a laden swallow")
    said = await call.answer()
    assert "press 1" in said  # the fallback's "talk to a person" button, spoken
    await call.dtmf("1")
    await call.answer()
    state = await voice.app.store.state(f"voice:{call.call_sid}:")
    assert state["handoff"]["reason"] == "asked"  # the choice was "talk to a person"
    await call.hang_up()


async def test_an_interruption_keeps_what_the_caller_heard(voice):
    call = await relay_for(voice).connect("CA" + "6" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("how long do refunds take")
    full = await call.answer()
    await call.interrupt("Refunds reach")
    conversation = f"voice:{call.call_sid}:"

    async def heard() -> bool:
        history = (await voice.app.store.state(conversation)).get("history", [])
        bot = [h for h in history if h["role"] == "bot"]
        return bool(bot) and bot[-1].get("interrupted") is not None

    await eventually(heard)
    history = (await voice.app.store.state(conversation))["history"]
    assert [h for h in history if h["role"] == "bot"][-1]["text"] == "Refunds reach"
    assert full.startswith("Refunds") or full  # the whole answer had been sent to Twilio
    await call.hang_up()


async def test_a_language_switch_follows_the_caller(voice):
    call = await relay_for(voice).connect("CA" + "7" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("¿Podemos hablar en español, por favor?")
    await call.answer()
    switch = call.sent("language")
    assert switch and switch[-1]["ttsLanguage"] == "es-ES" and switch[-1]["transcriptionLanguage"] == "es-ES"
    assert call.sent("text")[-1]["lang"] == "es-ES"
    await call.hang_up()


async def test_a_socket_dropped_mid_call_ends_the_turn_cleanly(voice, caplog):
    call = await relay_for(voice).connect("CA" + "8" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("how much is shipping")
    await call.hang_up()  # before the answer is spoken
    conversation = f"voice:{call.call_sid}:"

    async def answered() -> bool:
        history = (await voice.app.store.state(conversation)).get("history", [])
        return any(h["role"] == "bot" and "shipping" in h["text"].lower() for h in history)

    await eventually(answered)  # the turn was committed: nothing lost
    await eventually(voice._settled)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_twilio_retrying_nothing_means_event_ids_are_per_call_and_deduplicated(voice):
    call = await relay_for(voice).connect("CA" + "9" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("hello")
    await call.answer()
    ids = [i.event_id for i in voice.seen if i.address.channel == "voice"]
    assert ids == [f"{call.call_sid}:p1"]  # the greeting ("/start") is answered before this record
    again = await voice.app.engine.deliver(voice.inbound(f"{call.call_sid}:p1"))
    assert again is False  # the same Twilio event twice is one turn
    await call.hang_up()


async def test_replies_to_a_call_that_has_ended_are_not_retried(voice):
    call = await relay_for(voice).connect("CA" + "a" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.hang_up()
    channel = voice.app.channels["voice"]
    await eventually(lambda: call.call_sid not in channel.calls)
    with pytest.raises(Rejected):
        await channel.send(Address(channel="voice", chat=call.call_sid, user=CALLER), Reply(text="late answer"))


# -- with an LLM that streams ---------------------------------------------------------------------
from parley.testing.fakes.openai import FakeOpenAI  # noqa: E402

ANSWER = "Standard delivery takes **three to five** working days [1]. See [our page](https://shop.example/ship)."


@pytest.fixture
async def streaming(make_settings):
    async with FakeOpenAI(lambda body: {"text": ANSWER, "chunk": 6, "gap": 0.0}) as fake:
        llm = {"base_url": fake.base_url, "api_key": "sk-test", "daily_tokens": 0, "feedback": False}
        async with twilio_parley(make_settings, extra={"llm": llm}, voice_from=VOICE_FROM) as h:
            yield h, fake


async def test_an_llm_answer_is_spoken_token_by_token_without_marks_or_links(streaming):
    h, fake = streaming
    fake.responder = lambda body: {"text": ANSWER, "chunk": 6, "gap": 0.03}  # a model writing as it thinks
    call = await relay_for(h).connect("CA" + "b" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("how long does delivery take")
    said = await call.answer()
    tokens = [f for f in call.sent("text") if f is not call.sent("text")[0]]
    assert len([t for t in tokens if not t["last"] and t["token"]]) > 3  # streamed, not whole
    assert "three to five working days" in said
    assert not any(mark in said for mark in ("**", "[1]", "https://", "](")), said
    assert "our page" in said  # the link's words are said, its address is not
    await call.hang_up()


async def test_tokens_that_arrive_together_are_spoken_in_one_frame_after_the_first_words(streaming):
    h, fake = streaming  # the fake model sends the whole answer at once: one burst of tokens
    call = await relay_for(h).connect("CA" + "e" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("how long does delivery take")
    first = await call.first_token()
    said = first["token"] + await call.answer()
    words = [f for f in call.sent("text")[1:] if not f["last"]]
    assert first["token"] == "Standard"  # the first words are not held back for the rest
    assert len(words) == 2  # then the burst, in one frame (a frame per 6-character token was 13)
    assert said.startswith("Standard delivery takes three to five working days. See our page.")
    await call.hang_up()


async def test_an_interruption_cuts_a_streaming_answer(streaming):
    h, fake = streaming
    fake.responder = lambda body: {"text": ANSWER * 3, "chunk": 4, "gap": 0.03}
    call = await relay_for(h).connect("CA" + "c" * 32, CALLER, VOICE_FROM)
    await call.answer()
    await call.prompt("how long does delivery take")
    first = await call.first_token()
    await call.interrupt(first["token"].strip())
    conversation = f"voice:{call.call_sid}:"

    async def settled() -> bool:
        history = (await h.app.store.state(conversation)).get("history", [])
        bot = [e for e in history if e["role"] == "bot"]
        return len(bot) == 2 and "interrupted" in bot[-1]

    await eventually(settled)
    await eventually(h._settled)
    await call.drain()
    spoken = [f for f in call.frames[1:] if f["type"] == "text"]
    assert not any(f["last"] for f in spoken)  # the cut answer is never closed with more words
    assert len("".join(f["token"] for f in spoken)) < len(ANSWER * 3) // 2
    history = (await h.app.store.state(conversation))["history"]
    assert history[-1]["text"] == first["token"].strip()  # what the caller heard, not the whole
    await call.hang_up()
