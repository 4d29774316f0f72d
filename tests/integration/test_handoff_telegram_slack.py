"""Issue 10's round trip through the real SDKs and both fakes: a Telegram customer asks for a
person, the card lands at the Slack fake, an agent claims it and answers in its thread (signed
like Slack signs), the bot stays silent, Resolve brings back the bot and a CSAT question."""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest
from parley.channels.telegram.channel import SECRET_HEADER, SECRET_KEY

from parley.app import Bot
from parley.testing.fakes.slack import TEAM, event_body, fake_slack, signed
from parley.testing.fakes.telegram import FakeTelegram
from tests.conftest import eventually

SECRET = "desk-signing-secret"
DESK = "CDESK"
CUSTOMER = 4242
_ids = itertools.count(9000)


@pytest.fixture
async def world(make_settings):
    async with FakeTelegram() as tg, fake_slack() as slack:
        settings = make_settings(
            public_url="https://bot.example.com",
            telegram={"token": tg.token, "api_base": tg.url, "mode": "webhook"},
            slack={
                "bot_token": "xoxb-desk",
                "signing_secret": SECRET,
                "api_base": slack.url + "/api/",
                "desk_channel": DESK,
            },
            handoff={"hours": "mon-sun 00:00-23:59", "timezone": "UTC"},
            console={"enabled": True},
        )
        async with Bot(settings) as app, aiohttp.ClientSession() as http:
            await eventually(lambda: tg.webhook)
            yield app, tg, slack, http


async def customer_says(app, http, text: str = "", data: str = "") -> None:
    user = {"id": CUSTOMER, "is_bot": False, "first_name": "Kai", "language_code": "en"}
    chat = {"id": CUSTOMER, "type": "private"}
    uid = next(_ids)
    if data:
        message = {"message_id": uid, "date": 1, "chat": chat}
        body = {
            "update_id": uid,
            "callback_query": {"id": f"cb{uid}", "from": user, "chat_instance": "c", "data": data, "message": message},
        }
    else:
        body = {"update_id": uid, "message": {"message_id": uid, "date": 1, "chat": chat, "from": user, "text": text}}
    headers = {SECRET_HEADER: await app.store.get(SECRET_KEY)}
    async with http.post(f"http://127.0.0.1:{app.port}/webhooks/telegram", json=body, headers=headers) as r:
        assert r.status == 200


async def slack_posts(app, http, body: dict, form: bool = False) -> None:
    raw = (urlencode({"payload": json.dumps(body)}) if form else json.dumps(body)).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    headers = {"Content-Type": kind, **signed(SECRET, time.time(), raw)}
    async with http.post(f"http://127.0.0.1:{app.port}/webhooks/slack", data=raw, headers=headers) as r:
        assert r.status == 200


def click(card: dict, title: str, agent: str = "UAGENT") -> dict:
    button = next(
        e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"] if e["text"]["text"] == title
    )
    ts = card["ts"]
    return {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": agent, "username": "ana"},
        "api_app_id": "A0TEST",
        "container": {"type": "message", "message_ts": ts, "channel_id": DESK},
        "channel": {"id": DESK, "name": "desk"},
        "message": {"ts": ts, "text": card["text"]},
        "actions": [{**button, "block_id": "b", "action_ts": f"{time.time():.6f}"}],
    }


def blocks_of(call: dict) -> list[dict]:
    """The blocks of a Web API call: a form sends them as a JSON string, a JSON body as a list."""
    return json.loads(call["blocks"]) if isinstance(call["blocks"], str) else call["blocks"]


async def test_telegram_customer_to_slack_desk_and_back(world):
    app, tg, slack, http = world
    await customer_says(app, http, "Hi, my name is Jana Novak. Fish & chips <3 arrived cold, call +420 601 234 567")
    await eventually(lambda: len(tg.texts(CUSTOMER)) >= 1)
    await customer_says(app, http, "I want to talk to a human")
    await eventually(lambda: len(tg.texts(CUSTOMER)) >= 3)
    assert "person from our team" in tg.texts(CUSTOMER)[-2]

    cards = await eventually(lambda: [p for p in slack.of("chat.postMessage") if p["channel"] == DESK])
    card = {**cards[0], "ts": "1767225600.000001"}  # the fake numbers its messages from here
    card["blocks"] = blocks_of(card)
    header, facts, *_ = card["blocks"]
    assert header["text"]["text"] == "Handoff · normal"
    shown = {f["text"].split("\n")[0].strip("*"): f["text"].split("\n", 1)[1] for f in facts["fields"]}
    assert shown["Name"] == "Jana Novak" and shown["Contact"] == "+420 601 234 567"
    assert shown["Channel"] == "telegram" and shown["Language"] == "en" and shown["Business hours"] == "open now"
    assert shown["Waiting since"].startswith("<!date^")
    said = next(b["text"]["text"] for b in card["blocks"] if "Last messages" in b.get("text", {}).get("text", ""))
    assert "Fish &amp; chips &lt;3 arrived cold" in said and "&amp;amp;" not in said  # escaped exactly once
    link = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"] if "url" in e)
    assert link["url"] == "https://bot.example.com/console/conversations/telegram%3A4242%3A"
    assert card["text"].startswith("Handoff")  # the plain-text fallback

    await slack_posts(app, http, click(card, "Claim"), form=True)
    await eventually(lambda: any("has joined" in t for t in tg.texts(CUSTOMER)))
    claimed = await eventually(lambda: [u for u in slack.of("chat.update") if "Claimed by" in str(u["blocks"])])
    assert claimed[0]["ts"] == card["ts"] and claimed[0]["channel"] == DESK  # the same card, redrawn

    before = len(tg.texts(CUSTOMER))
    await customer_says(app, http, "how much is shipping?")
    relay = await eventually(
        lambda: [
            p
            for p in slack.of("chat.postMessage")
            if p.get("thread_ts") == card["ts"] and "Customer: how much is shipping?" in p["text"]
        ]
    )
    assert relay
    assert len(tg.texts(CUSTOMER)) == before  # the bot said nothing

    reply = {
        "type": "message",
        "channel": DESK,
        "channel_type": "channel",
        "user": "UAGENT",
        "text": "It's 4.95, free over 50.",
        "ts": f"{time.time():.6f}",
        "thread_ts": card["ts"],
    }
    await slack_posts(app, http, event_body(reply, "EvAgent1"))
    agent_line = await eventually(lambda: [t for t in tg.texts(CUSTOMER) if "It's 4.95, free over 50." in t])
    assert agent_line[0].endswith(": It's 4.95, free over 50.")
    assert len(tg.texts(CUSTOMER)) == before + 1  # only the agent's answer, never the bot's too

    await slack_posts(app, http, click(card, "Resolve"), form=True)
    await eventually(lambda: any("How did we do" in t for t in tg.texts(CUSTOMER)))
    resolved = blocks_of(slack.of("chat.update")[-1])
    assert "Resolved by" in str(resolved)
    assert [e["text"]["text"] for b in resolved if b["type"] == "actions" for e in b["elements"]] == [
        "Open conversation"  # nothing left to claim
    ]
    keyboard = tg.sent[-1]["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for row in keyboard for b in row] == [f"csat:{n}" for n in range(1, 6)]
    await customer_says(app, http, data="csat:4")
    await eventually(lambda: any("feedback" in t for t in tg.texts(CUSTOMER)))
    assert app.metrics.csat._sum.get() == 4
    await eventually(lambda: "CSAT 4/5" in str(slack.of("chat.update")[-1]["blocks"]))
    assert all(not slack.invalid(m, a) for m, a in slack.calls)  # within Block Kit's limits throughout
    state = await app.store.state(f"telegram:{CUSTOMER}:")
    assert state["csat_scores"][-1]["score"] == 4 and state["handoff"]["status"] == "ended"
