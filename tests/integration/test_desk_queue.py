"""The desk's queue through the real pipeline, slack-bolt and the Slack fake: /parley queue, mine
and assign (acknowledged before they are answered), the App Home tab, and SLA reminders that
repeat and escalate while nobody claims a case."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlencode

import aiohttp
import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.schedule.store import followup_id

from parley.app import Bot
from parley.testing.fakes.slack import event_body, fake_slack, signed
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually

SECRET = "queue-signing-secret"
DESK, LEADS = "CDESK", "CLEAD"
THURSDAY_10 = 1_767_225_600.0 + 10 * 3600  # the desk (mon-fri 09:00-18:00 UTC) is open


@pytest.fixture
async def world(make_settings):
    clock = ManualClock(THURSDAY_10)
    async with fake_slack() as slack:
        settings = make_settings(
            slack={
                "bot_token": "xoxb-q",
                "signing_secret": SECRET,
                "api_base": slack.url + "/api/",
                "desk_channel": DESK,
            },
            handoff={
                "hours": "mon-fri 09:00-18:00",
                "timezone": "UTC",
                "remind_minutes": [5, 15],
                "escalation_channel": LEADS,
                "claim_timeout_minutes": 600,  # the customer-side timeout stays out of the way
            },
        )
        async with Bot(settings, clock=clock) as app, aiohttp.ClientSession() as http:
            yield app, slack, http, clock


async def post_slack(app, http, clock, raw: bytes, kind: str) -> int:
    headers = {"Content-Type": kind, **signed(SECRET, clock(), raw)}
    async with http.post(f"http://127.0.0.1:{app.port}/webhooks/slack", data=raw, headers=headers) as r:
        return r.status


async def command(app, http, clock, text: str, user: str = "UREP", channel: str = DESK) -> int:
    clock.advance(10)  # Slack's per-channel rate (1/s, bursts of 3) refills on the test's clock
    body = {"command": "/parley", "text": text, "user_id": user, "user_name": user.lower(), "channel_id": channel}
    body |= {"trigger_id": f"t-{user}-{text}-{clock()}", "team_id": "T0TEST", "api_app_id": "A0TEST"}
    return await post_slack(app, http, clock, urlencode(body).encode(), "application/x-www-form-urlencoded")


def ephemeral(slack, user: str) -> list[str]:
    return [p["text"] for p in slack.of("chat.postEphemeral") if p["user"] == user]


async def ask_for_a_person(app, http, *said: str) -> tuple[ChatClient, str]:
    chat = await ChatClient(http, app.port).connect()
    for text in said:
        await chat.say(text)
    await chat.replies(len(said) + 1)  # the answers, then "a person will answer" and the wait
    state = await app.store.state(f"web:{chat.chat}:")
    return chat, state["handoff"]["case"]


async def test_queue_mine_assign_and_the_home_tab(world):
    app, slack, http, clock = world
    jana, first = await ask_for_a_person(app, http, "my name is Jana Novak", "/human")
    clock.advance(120)
    other, second = await ask_for_a_person(app, http, "I want to talk to a human")
    await eventually(lambda: len([p for p in slack.of("chat.postMessage") if p["channel"] == DESK]) >= 2)

    held = slack.hold("chat.postEphemeral")
    assert await command(app, http, clock, "queue") == 200  # acknowledged while the answer is still held
    held.set()
    [queue] = await eventually(lambda: ephemeral(slack, "UREP"))
    assert queue.startswith("Open cases: 2 open")
    lines = queue.splitlines()
    assert "Jana Novak" in lines[1] and first in lines[1] and "waiting 2 min" in lines[1]  # the longest wait first
    assert second in lines[2] and "unclaimed" in lines[2]

    assert await command(app, http, clock, f"assign {second} <@UBOB|bob>") == 200
    await eventually(lambda: any(f"{second} is now bob's" in t for t in ephemeral(slack, "UREP")))
    joined = await other.next("reply")
    assert "bob from our team has joined" in joined["text"]
    update = await eventually(lambda: [u for u in slack.of("chat.update") if "Claimed by bob" in json.dumps(u)])
    assert update

    assert await command(app, http, clock, "mine", user="UBOB") == 200
    [mine] = await eventually(lambda: ephemeral(slack, "UBOB"))
    assert mine.startswith("Your cases: 1 open") and second in mine and first not in mine

    assert await command(app, http, clock, "dance") == 200
    await eventually(lambda: any(t.startswith("Usage: /parley") for t in ephemeral(slack, "UREP")))

    home = {"type": "app_home_opened", "user": "UREP", "channel": "DREP", "tab": "home", "event_ts": "1.0"}
    raw = json.dumps(event_body(home, "EvHome1")).encode()
    assert await post_slack(app, http, clock, raw, "application/json") == 200
    [view] = await eventually(lambda: slack.of("views.publish"))
    assert view["user_id"] == "UREP"
    shown = json.dumps(view["view"])
    assert "Open cases: 2 open" in shown and first in shown
    assert "Jana Novak" not in shown  # a Home tab is no place for a customer's name


async def test_reminders_repeat_and_escalate_until_someone_claims(world):
    app, slack, http, clock = world
    chat, case = await ask_for_a_person(app, http, "my name is Jana Novak", "/human")
    await eventually(lambda: [p for p in slack.of("chat.postMessage") if p["channel"] == DESK])
    # The card's ts is stored once Slack has answered the post (the fake records the call before).
    card_ts = await eventually(lambda: app.store.get(f"slack:deskcard:handoff:{case}"))

    def reminders() -> list[str]:
        return [
            p["text"] for p in slack.of("chat.postMessage") if p.get("thread_ts") == card_ts and "Reminder" in p["text"]
        ]

    def escalations() -> list[str]:
        return [p["text"] for p in slack.of("chat.postMessage") if p["channel"] == LEADS]

    clock.advance(5 * 60 + 1)
    app.scheduler.wake()
    [first] = await eventually(reminders)
    assert "Jana Novak has waited 5 min and nobody has claimed this" in first
    assert escalations() == []  # not yet: the last step escalates

    clock.advance(10 * 60)
    app.scheduler.wake()
    await eventually(lambda: len(reminders()) == 2)
    [escalated] = await eventually(escalations)
    assert "has waited 15 min unclaimed" in escalated and case in escalated

    clock.advance(15 * 60)  # past the last step: again every last step
    app.scheduler.wake()
    await eventually(lambda: len(reminders()) == 3 and len(escalations()) == 2)

    assert await command(app, http, clock, f"assign {case} me") == 200
    await eventually(lambda: any(f"{case} is now urep's" in t for t in ephemeral(slack, "UREP")))
    assert "urep from our team has joined" in (await chat.next("reply"))["text"]
    opened = (await app.store.state(f"web:{chat.chat}:"))["handoff"]["at"]
    fourth = followup_id(f"web:{chat.chat}:", "handoff", int(datetime.fromisoformat(opened).timestamp()) + 1 + 3)
    clock.advance(15 * 60)
    app.scheduler.wake()
    await eventually(lambda: _settled(app, fourth))
    assert len(reminders()) == 3 and len(escalations()) == 2  # claimed: the chain ended


async def _settled(app, send_id: str) -> bool:
    return await app.scheduler.sched.status(send_id) not in (None, "due", "inflight")
