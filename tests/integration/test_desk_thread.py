"""Working a case from its thread, through the real pipeline, slack-bolt and the Slack fake:
internal notes (a "note:" prefix, and the Internal note shortcut's modal) that never reach the
customer, saved replies (the card's menu, /parley reply) sent in the customer's language, and
/parley mine listing a lead routed to the rep."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from parley.app import Bot
from parley.testing.fakes.slack import TEAM, desk_settings, event_body, fake_slack, signed
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually

SECRET = "thread-signing-secret"
DESK = "CDESK"


@pytest.fixture
async def world(make_settings):
    async with fake_slack() as slack:
        settings = make_settings(slack=desk_settings(slack, SECRET), handoff={"hours": "mon-sun 00:00-23:59"})
        async with Bot(settings) as app, aiohttp.ClientSession() as http:
            yield app, slack, http


async def post(
    app, http, body: dict, form: bool = False, command: bool = False, secret: str = SECRET, at: float = 0.0
) -> int:
    """Post ``body`` to the Slack route as Slack would, signed at ``at`` (the bot's clock) or now."""
    if command:
        raw = urlencode(body).encode()
    else:
        raw = (urlencode({"payload": json.dumps(body)}) if form else json.dumps(body)).encode()
    kind = "application/x-www-form-urlencoded" if form or command else "application/json"
    headers = {"Content-Type": kind, **signed(secret, at or time.time(), raw)}
    async with http.post(f"http://127.0.0.1:{app.port}/webhooks/slack", data=raw, headers=headers) as r:
        return r.status


def blocks_of(call: dict) -> list[dict]:
    return json.loads(call["blocks"]) if isinstance(call["blocks"], str) else call["blocks"]


def in_thread(slack, ts: str) -> list[str]:
    return [p["text"] for p in slack.of("chat.postMessage") if p.get("thread_ts") == ts]


async def spanish_customer_waiting(app, http, slack) -> tuple[ChatClient, dict]:
    chat = await ChatClient(http, app.port).connect("es-ES")
    await chat.say("Quiero hablar con una persona")
    await chat.replies(2)  # a person is coming, and when
    [card] = await eventually(lambda: [p for p in slack.of("chat.postMessage") if p["channel"] == DESK])
    return chat, {**card, "ts": "1767225600.000001", "blocks": blocks_of(card)}


def rep_says(text: str, card_ts: str, n: int) -> dict:
    event = {"type": "message", "channel": DESK, "channel_type": "channel", "user": "UREP", "text": text}
    return event_body({**event, "ts": f"{time.time():.6f}", "thread_ts": card_ts}, f"EvRep{n}")


async def test_notes_stay_in_the_thread_and_saved_replies_reach_the_customer_in_their_language(world):
    app, slack, http = world
    chat, card = await spanish_customer_waiting(app, http, slack)
    [select] = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"] if e["type"] != "button"]
    assert select["type"] == "static_select" and select["placeholder"]["text"] == "Send a saved reply"
    titles = [o["text"]["text"] for o in select["options"]]
    assert titles == ["Tracking link on its way", "Refund started", "Sorry for the wait"]

    assert await post(app, http, rep_says("note: she already called twice about this", card["ts"], 1)) == 200
    await eventually(lambda: any("Kept as an internal note" in t for t in in_thread(slack, card["ts"])))
    await eventually(lambda: any("1 internal note" in json.dumps(u["blocks"]) for u in slack.of("chat.update")))
    assert await post(app, http, rep_says("// check the courier first", card["ts"], 2)) == 200
    await eventually(lambda: len([t for t in in_thread(slack, card["ts"]) if "internal note" in t]) == 2)

    option = select["options"][1]  # Refund started
    choose = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": "UREP", "username": "ana"},
        "api_app_id": "A0TEST",
        "container": {"type": "message", "message_ts": card["ts"], "channel_id": DESK},
        "channel": {"id": DESK, "name": "desk"},
        "message": {"ts": card["ts"], "text": card["text"]},
        "actions": [{**select, "block_id": "b", "selected_option": option, "action_ts": f"{time.time():.6f}"}],
    }
    assert await post(app, http, choose, form=True) == 200
    sent = await chat.next("reply")
    assert (
        sent["text"]
        == "ana: He iniciado tu reembolso. Normalmente llega a tu cuenta en un plazo de 5 a 10 días hábiles."
    )
    await eventually(
        lambda: any("sent the saved reply “refund_started” (es)" in t for t in in_thread(slack, card["ts"]))
    )
    await eventually(lambda: any("Claimed by ana" in json.dumps(u["blocks"]) for u in slack.of("chat.update")))

    case = (await app.store.state(f"web:{chat.chat}:"))["handoff"]["case"]
    command = {"command": "/parley", "user_id": "UREP", "user_name": "ana", "channel_id": DESK, "team_id": TEAM}
    assert (
        await post(app, http, {**command, "text": f"reply {case} sorry_wait", "trigger_id": "t1"}, command=True) == 200
    )
    assert (await chat.next("reply"))["text"].startswith("ana: Gracias por tu paciencia y perdona la espera.")
    assert await post(app, http, {**command, "text": f"reply {case} nope", "trigger_id": "t2"}, command=True) == 200
    [refused] = await eventually(lambda: [p["text"] for p in slack.of("chat.postEphemeral") if "nope" in p["text"]])
    assert refused == "No saved reply “nope”. Saved replies: tracking, refund_started, sorry_wait."

    with pytest.raises(TimeoutError):  # neither note, nor the refusal, ever reached the customer
        await chat.next("reply", timeout=0.5)
    assert not [f for f in chat.frames if "courier" in json.dumps(f) or "twice" in json.dumps(f)]
    assert all(not slack.invalid(m, a) for m, a in slack.calls)


async def test_the_internal_note_shortcut_opens_a_modal_whose_note_stays_in_the_thread(world):
    app, slack, http = world
    chat, card = await spanish_customer_waiting(app, http, slack)
    shortcut = {
        "type": "message_action",
        "callback_id": "desk_note",
        "trigger_id": "trig-1",
        "team": {"id": TEAM},
        "user": {"id": "UREP", "username": "ana"},
        "channel": {"id": DESK, "name": "desk"},
        "message": {"ts": card["ts"], "text": card["text"], "type": "message"},
        "message_ts": card["ts"],
        "action_ts": "1.1",
    }
    assert await post(app, http, shortcut, form=True) == 200
    [opened] = slack.of("views.open")  # opened before the ack: the trigger lasts 3 s
    view = json.loads(opened["view"]) if isinstance(opened["view"], str) else opened["view"]
    assert opened["trigger_id"] == "trig-1" and view["callback_id"] == "desk_note"
    assert json.loads(view["private_metadata"])["thread"] == card["ts"]

    empty = {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": "UREP", "username": "ana"}}
    empty["view"] = {**view, "id": "VM1", "hash": "h1", "state": {"values": {"note": {"text": {"value": " "}}}}}
    async with http.post(
        f"http://127.0.0.1:{app.port}/webhooks/slack",
        data=(raw := urlencode({"payload": json.dumps(empty)}).encode()),
        headers={"Content-Type": "application/x-www-form-urlencoded", **signed(SECRET, time.time(), raw)},
    ) as r:
        assert r.status == 200 and (await r.json())["response_action"] == "errors"  # the modal stays open

    note = {**empty, "view": {**empty["view"], "state": {"values": {"note": {"text": {"value": "VIP: be gentle"}}}}}}
    assert await post(app, http, note, form=True) == 200
    [posted] = await eventually(lambda: [t for t in in_thread(slack, card["ts"]) if "VIP: be gentle" in t])
    assert posted.startswith("📝 Internal note from ana (the customer did not see it):")
    with pytest.raises(TimeoutError):
        await chat.next("reply", timeout=0.5)

    elsewhere = {**shortcut, "trigger_id": "trig-2", "channel": {"id": "CRANDOM"}, "message": {"ts": "5.5"}}
    assert await post(app, http, elsewhere, form=True) == 200
    [why] = [p["text"] for p in slack.of("chat.postEphemeral")]
    assert why.startswith("Internal notes belong to a case")
    assert len(slack.of("views.open")) == 1
