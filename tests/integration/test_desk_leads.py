"""Leads and complaints through the real pipeline, slack-bolt and the Slack fake: Spanish leads
qualified in Spanish, their budget and timeline read, scored by the sales persona, routed round
robin within a Slack user group (usergroups.users.list) with the rep mentioned on the card; a
complaint opens an urgent case, the apology already sent in the customer's language; with a
model configured the handoff card's summary is the model's, and PII reaches neither it nor the logs."""

from __future__ import annotations

import json
import logging
import re

import aiohttp
import pytest
from parley.core.kernel.clock import ManualClock

from parley.app import Bot
from parley.testing.fakes.openai import FakeOpenAI
from parley.testing.fakes.slack import TEAM, fake_slack
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually
from tests.contract.llm_support import llm_settings
from tests.integration.test_cli import bot
from tests.integration.test_desk_thread import post
from tests.integration.test_startup_errors import one_line

DESK = "CDESK"
THURSDAY_10 = 1_767_225_600.0 + 10 * 3600  # 2026-01-01 10:00 UTC


@pytest.fixture
async def world(make_settings):
    clock = ManualClock(THURSDAY_10)
    async with fake_slack() as slack:
        slack.groups["S0SALESES"] = ["U0BEA", "U0ALE"]
        settings = make_settings(
            persona="sales",
            slack={"bot_token": "xoxb-l", "signing_secret": "s", "api_base": slack.url + "/api/", "desk_channel": DESK},
            handoff={
                "hours": "mon-sun 00:00-23:59",
                "lead_routes": [{"locales": ["es"], "group": "S0SALESES"}, {"users": ["U0CARL"]}],
            },
        )
        async with Bot(settings, clock=clock) as app, aiohttp.ClientSession() as http:
            yield app, slack, http, clock


def cards(slack) -> list[dict]:
    return [p for p in slack.of("chat.postMessage") if p["channel"] == DESK and "blocks" in p]


def blocks_of(post: dict) -> list[dict]:
    return json.loads(post["blocks"]) if isinstance(post["blocks"], str) else post["blocks"]


async def qualify(http, app, locale: str, *answers: str) -> ChatClient:
    chat = await ChatClient(http, app.port).connect(locale)
    await chat.say(answers[0])
    await chat.replies(2)  # the greeting, the first question
    for answer in answers[1:]:
        await chat.say(answer)
        await chat.next("reply")
    return chat


SPANISH = ("hola", "Uniformes para 40 empleados de hotel", "entre 5 y 10 mil euros", "la semana que viene")


async def test_spanish_leads_are_read_scored_and_routed_round_robin(world):
    app, slack, http, clock = world
    await qualify(http, app, "es-ES", *SPANISH, "ana@hotel.example, Ana Ruiz de Hotel Sol")
    [first] = await eventually(lambda: cards(slack))
    blocks = blocks_of(first)
    assert blocks[0]["text"]["text"] == "🔥 Lead · hot 90/100"  # contact 20, company 10, name 5, 25, 30
    assert blocks[1]["text"]["text"] == "For <@U0ALE> (locale es, group S0SALESES)"  # sorted members, first turn
    assert first["text"].startswith("<@U0ALE> ")  # the notification pings the rep
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert "*Budget*\n5,000–10,000 EUR · “entre 5 y 10 mil euros”" in fields
    assert "*Timeline*\nnext week (by 2026-01-11) · “la semana que viene”" in fields
    assert ("usergroups.users.list", {"usergroup": "S0SALESES"}) in [
        (m, {k: v for k, v in a.items() if k == "usergroup"}) for m, a in slack.calls
    ]

    clock.advance(10)  # Slack's per-channel rate (1/s, bursts of 3) refills on the test's clock
    command = {"command": "/parley", "text": "mine", "user_id": "U0ALE", "channel_id": DESK, "trigger_id": "t1"}
    assert await post(app, http, {**command, "team_id": TEAM}, command=True, secret="s", at=clock()) == 200
    [mine] = await eventually(lambda: [p["text"] for p in slack.of("chat.postEphemeral")])
    assert mine.startswith("Your cases: 1 open") and "Lead · Ana Ruiz" in mine  # routed to them, unclaimed

    clock.advance(10)
    await qualify(http, app, "es-ES", *SPANISH[:3], "cuanto antes", "beto@tienda.example, Beto de Tienda Azul")
    await eventually(lambda: len(cards(slack)) == 2)
    assert "For <@U0BEA>" in json.dumps(blocks_of(cards(slack)[1]))  # the next member's turn

    await qualify(http, app, "en-US", "hello", "Gifts for 30 clients", "not sure yet", "no rush", "carl@x.example")
    await eventually(lambda: len(cards(slack)) == 3)
    english = blocks_of(cards(slack)[2])
    assert english[1]["text"]["text"] == "For <@U0CARL> (round robin)"  # the catch-all route
    assert english[0]["text"]["text"] == "Lead · score 20/100"  # a contact and nothing else


async def test_a_complaint_opens_an_urgent_case_with_the_apology_sent_and_says_why(world):
    app, slack, http, clock = world
    chat = await ChatClient(http, app.port).connect("es-ES")
    await chat.say("hola")
    await chat.replies(2)
    await chat.say("Mi pedido llegó dañado y es la tercera vez")
    apology = await chat.next("reply")
    assert apology["text"].startswith("Lamento")  # the Spanish apology, sent before anyone claims
    [card] = await eventually(lambda: [c for c in cards(slack) if "Complaint" in c["text"]])
    blocks = blocks_of(card)
    assert blocks[0]["text"]["text"] == "🔴 Complaint · urgent"
    assert blocks[1]["text"]["text"] == "*Why it is urgent*\n> Mi pedido llegó dañado y es la tercera vez"
    assert "*Why*\nComplaint detected" in [f["text"] for f in blocks[2]["fields"]]


def test_a_broken_lead_route_stops_start_up_with_one_clear_line():
    line = one_line(bot("check", env={"PARLEY_HANDOFF__LEAD_ROUTES": '[{"locales": ["es"], "group": "sales"}]'}))
    assert "PARLEY_HANDOFF__LEAD_ROUTES" in line or "lead_routes" in line
    assert "a Slack user group id starts with S" in line


async def test_the_handoff_card_carries_the_models_summary_and_pii_stays_out_of_the_model_and_logs(
    make_settings, caplog
):
    caplog.set_level(logging.DEBUG)

    def model(body: dict) -> dict:
        said = body["messages"][-1]["content"]
        if "<transcript>" in said:  # the desk's summary request
            email = re.findall(r"\[EMAIL_\d+\]", said)[0]
            return {"text": f"Jana wants her damaged-free refund for order 4471; reach her at {email}."}
        return {"text": "Let me check that for you."}

    async with FakeOpenAI(model) as fake, fake_slack() as slack:
        settings = make_settings(
            **llm_settings(fake.base_url),
            slack={"bot_token": "xoxb-l", "signing_secret": "s", "api_base": slack.url + "/api/", "desk_channel": DESK},
            handoff={"hours": "mon-sun 00:00-23:59"},
        )
        async with Bot(settings) as app, aiohttp.ClientSession() as http:
            chat = await ChatClient(http, app.port).connect("en-US")
            await chat.say("my name is Jana Novak, refund for order 4471 please, jana@novak.example")
            await chat.next("reply")
            await chat.say("/human")
            [card] = await eventually(lambda: cards(slack))
    shown = json.dumps(blocks_of(card), ensure_ascii=False)
    assert "*Summary*\\nJana wants her damaged-free refund for order 4471; reach her at jana@novak.example." in shown
    assert "*Contact*\\njana@novak.example" in shown  # the desk sees it...
    assert "jana@novak.example" not in fake.sent_text()  # ...the model never did
    # Nor any of Parley's log lines, even at DEBUG (the SDKs' own loggers are held at WARNING and
    # pass the same redacting filter: parley.core.config.logs).
    ours = [r.getMessage() + str(r.__dict__) for r in caplog.records if r.name.startswith("parley")]
    assert ours and not any("jana@novak.example" in line for line in ours)
