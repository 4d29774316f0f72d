"""The web chat end to end over its websocket, against a real Parley on a random port."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest
from parley.channels.webchat.identity import Identities
from parley.core.kernel.messages import Address, Reply
from parley.core.storage.store import OutboxItem

from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_question_answered_with_source_and_disclosure(parley, http):
    chat = await ChatClient(http, parley.port).connect()
    event = await chat.say("How long does delivery take?")
    assert (await chat.next("ack"))["id"] == event
    reply = await chat.next("reply")
    assert "AI assistant" in reply["text"]  # the persona discloses on the first message
    assert "3 to 5 business days" in reply["text"]
    assert reply["sources"] == ["shipping.md#delivery-times"]


async def test_button_round_trip_to_a_human(parley, http):
    chat = await ChatClient(http, parley.port).connect()
    await chat.say("Tell me about quantum chromodynamics")
    fallback = await chat.next("reply")
    assert fallback["buttons"] == [{"title": "Talk to a person", "payload": "/human"}]
    await chat.press("/human", "Talk to a person")
    handoff = await chat.next("reply")
    assert "no one from our team" in handoff["text"]  # no desk channel configured: said honestly
    state = await parley.store.state(f"web:{chat.chat}:")
    assert state["handoff"]["status"] == "unstaffed"


async def test_the_same_event_twice_is_answered_once(parley, http):
    chat = await ChatClient(http, parley.port).connect()
    event = uuid.uuid4().hex
    await chat.say("do you take paypal", event)
    await chat.say("do you take paypal", event)  # a resend after a reconnect
    await chat.next("reply")
    await chat.say("thanks")
    last = await chat.next("reply")
    assert "welcome" in last["text"]
    assert sum(1 for f in chat.frames if f["type"] == "reply") == 2
    assert parley.metrics.duplicates.labels("web")._value.get() == 1


async def test_turns_of_one_conversation_run_in_order(parley, http):
    chat = await ChatClient(http, parley.port).connect()
    questions = [
        "do you take paypal",
        "how much is shipping",
        "where do I print the return label",
        "when do refunds arrive",
    ]
    for q in questions:
        await chat.say(q)
    replies = await chat.replies(len(questions))
    expected = ["payment-methods", "shipping-costs", "how-to-return-an-item", "refunds"]
    assert [r["sources"][0].split("#")[1] for r in replies] == expected
    history = (await parley.store.state(f"web:{chat.chat}:"))["history"]
    assert [h["text"] for h in history if h["role"] == "user"] == questions


async def test_bad_input_gets_a_clear_answer_and_others_keep_being_served(parley, http, caplog):
    caplog.set_level("INFO", logger="parley.webchat")
    chat = await ChatClient(http, parley.port).connect()
    await chat.ws.send_str("{not json")
    assert (await chat.next("error"))["code"] == "malformed"
    await chat.ws.send_bytes(b"\xff\xfe binary")
    assert (await chat.next("error"))["code"] == "text_only"
    await chat.ws.send_json({"type": "message", "id": "x", "text": "hi"})
    assert (await chat.next("error"))["code"] == "bad_id"
    await chat.say("   ")
    assert "didn't catch" in (await chat.next("reply"))["text"]
    await chat.say("a" * 5000)
    assert "too long" in (await chat.next("reply"))["text"]
    # A frame over the websocket limit closes that socket only (1009: message too big).
    other = await ChatClient(http, parley.port).connect()
    await chat.ws.send_str("x" * (70 * 1024))
    msg = await chat.ws.receive()
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    await eventually(lambda: parley.metrics.rejected.labels("web", "too_big")._value.get() == 1)
    assert "web chat frame refused" in caplog.text  # one log line, as for every bad frame
    await other.say("how much is shipping")
    assert "4.95" in (await other.next("reply"))["text"]


async def test_a_flood_is_told_to_slow_down_once_and_not_answered(make_settings, http):
    from parley.app import Bot

    async with Bot(make_settings(flood_per_minute=3)) as app:
        chat = await ChatClient(http, app.port).connect()
        for n in range(6):
            await chat.say(f"hello {n}")
        await chat.replies(4)  # three answers and one "slow down"
        await chat.say("one more")
        await chat.next("ack")
        await chat.say("and another")
        await chat.next("ack")
        texts = [f["text"] for f in chat.frames if f["type"] == "reply"]
        assert sum("faster than I can read" in t for t in texts) == 1
        assert len(texts) == 4


async def test_replies_wait_for_an_offline_page_and_arrive_on_reconnect(parley, http):
    page = await Identities(parley.store).issue()  # a page that was here before
    address = Address(channel="web", chat=page.chat, user=page.chat)
    await parley.store.enqueue([OutboxItem("offline-1", address, Reply(text="while you were away"), 0.0)])
    parley.outbox.wake()
    await asyncio.sleep(0)  # let the outbox try (and find no page)
    chat = await ChatClient(http, parley.port, page.cid, page.token).connect()
    reply = await chat.next("reply")
    assert reply["text"] == "while you were away" and reply["id"] == "offline-1"


async def test_an_edit_frame_is_acked_never_answered_and_corrects_the_transcript(parley, http):
    chat = await ChatClient(http, parley.port).connect()
    first = await chat.say("how long does delivry take?")
    await chat.next("reply")
    edit = await chat.edit(first, "how long does delivery take to Peru?")
    assert (await chat.next("ack"))["id"] == edit

    async def corrected():
        history = (await parley.store.state(f"web:{chat.chat}:")).get("history", [])
        return [e["text"] for e in history if e["role"] == "user"] == ["how long does delivery take to Peru?"]

    await eventually(corrected)
    await chat.say("thanks")
    last = await chat.next("reply")
    assert "welcome" in last["text"]  # the next reply is to "thanks": the edit was never answered
    assert sum(1 for f in chat.frames if f["type"] == "reply") == 2
