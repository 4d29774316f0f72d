"""The web chat against someone who is not the page: stolen ids, other sites, floods, junk frames."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from parley.testing.fakes.webchat import ChatClient


async def test_a_client_id_without_its_token_gets_a_fresh_conversation_not_the_victims(parley, http):
    victim = await ChatClient(http, parley.port).connect()
    thief = await ChatClient(http, parley.port, victim.cid, "0" * 64).connect()  # the id, a guessed token
    assert thief.cid != victim.cid and thief.chat != victim.chat
    await victim.say("do you take paypal")
    assert "PayPal" in (await victim.next("reply"))["text"]
    await thief.say("hello there")
    await thief.next("reply")
    assert not any("PayPal" in f.get("text", "") for f in thief.frames)  # never saw the victim's answer
    # The real page, reconnecting with its token, keeps its own conversation.
    again = await ChatClient(http, parley.port, victim.cid, victim.token).connect()
    assert again.chat == victim.chat
    state = await parley.store.state(f"web:{victim.chat}:")
    assert any("paypal" in h["text"] for h in state["history"])


async def test_a_socket_from_another_site_is_refused_before_the_upgrade(parley, http):
    url = f"http://127.0.0.1:{parley.port}/chat/ws"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(url, origin="https://evil.example")
    assert refused.value.status == 403
    # The page's own origin (and a client that sends none) may connect.
    async with http.ws_connect(url, origin=f"http://127.0.0.1:{parley.port}") as ws:
        await ws.send_json({"type": "hello"})
        assert (await ws.receive_json())["type"] == "welcome"


async def test_an_allowed_embedding_origin_may_connect(make_settings, http):
    from parley.app import Bot

    settings = make_settings(webchat={"allowed_origins": ["https://shop.example.com/"]})
    async with Bot(settings) as app:
        async with http.ws_connect(f"http://127.0.0.1:{app.port}/chat/ws", origin="https://shop.example.com") as ws:
            await ws.send_json({"type": "hello"})
            assert (await ws.receive_json())["type"] == "welcome"


async def test_message_ids_are_scoped_per_client(parley, http):
    a = await ChatClient(http, parley.port).connect()
    b = await ChatClient(http, parley.port).connect()
    await a.say("do you take paypal", "shared-id-0001")
    await a.next("reply")
    await b.say("how much is shipping", "shared-id-0001")  # the same id, another client
    assert (await b.next("ack"))["id"] == "shared-id-0001"
    assert "4.95" in (await b.next("reply"))["text"]


async def test_junk_frames_get_an_error_frame_and_the_socket_keeps_serving(parley, http, caplog):
    chat = await ChatClient(http, parley.port).connect()
    junk = [
        '{"type":"message","id":"lone-surrogate-1","text":"\\ud800 hi"}',
        "[" * 5000 + "]" * 5000,
        '{"type":"message","id":"huge-number-01","text":1e400}',
        '{"type":"message","id":"not-text-0001","text":{"a":[1,[2,[3,[4]]]]}}',
        '{"type":"message","id":"x","text":"short id"}',
        "NaN",
    ]
    caplog.set_level(logging.INFO)
    for frame in junk:
        await chat.ws.send_str(frame)
    answered = await chat.next("reply")  # the lone surrogate was cleaned and answered
    errors = [f for f in chat.frames if f["type"] == "error"]
    while len(errors) < 5:
        errors.append(await chat.next("error"))
    assert answered["text"]
    assert {e.get("id") for e in errors} >= {"huge-number-01", "not-text-0001", "x"}  # the page can drop them
    await chat.say("how much is shipping")  # still serving
    assert "4.95" in (await chat.next("reply"))["text"]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


async def test_a_flood_on_one_socket_is_refused_frame_by_frame(make_settings, http):
    from parley.app import Bot

    async with Bot(make_settings(webchat={"rate": 1, "burst": 3})) as app:
        chat = await ChatClient(http, app.port).connect()
        ids = [f"flood-{n:04d}" for n in range(10)]
        for event_id in ids:
            await chat.say("hi", event_id)
        refused = []
        acked = []
        while len(refused) + len(acked) < len(ids):
            frame = await _ack_or_error(chat)
            (acked if frame["type"] == "ack" else refused).append(frame["id"])
        assert len(acked) <= 4 and len(refused) >= 6  # the burst, then refusals naming each message
        assert all(f["code"] == "rate_limited" for f in chat.frames if f["type"] == "error")


async def _ack_or_error(chat: ChatClient) -> dict:
    while True:
        msg = await chat.ws.receive()
        frame = json.loads(msg.data)
        chat.frames.append(frame)
        if frame["type"] in ("ack", "error"):
            return frame


async def test_client_ids_never_reach_the_log(parley, http, caplog):
    caplog.set_level(logging.DEBUG)
    chat = await ChatClient(http, parley.port).connect()
    await chat.say("do you take paypal")
    await chat.next("reply")
    other = await ChatClient(http, parley.port, chat.cid, "bad-token").connect()
    await other.close()
    assert chat.cid not in caplog.text and chat.token not in caplog.text
