"""Human handoff through the real pipeline: a web chat customer, desk events as the desk
channel delivers them (Inbounds tagged with desk_ref), cards and relays queued for the desk."""

from __future__ import annotations

import json
import uuid
from datetime import date

import aiohttp
import pytest
from parley.core.analytics.report import Costs, Query, report
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound

from parley.app import Bot
from parley.testing.fakes.loopback import start
from parley.testing.fakes.webchat import ChatClient
from tests.conftest import eventually

DESK = Address(channel="slack", chat="CDESK")


@pytest.fixture
async def app(make_settings):
    clock = ManualClock()  # Thursday 2026-01-01 00:00 UTC: the desk (09:00-18:00 UTC) is closed
    settings = make_settings(handoff={"hours": "mon-fri 09:00-18:00", "timezone": "UTC"})
    async with Bot(settings, clock=clock) as parley:
        parley.desk.desk = DESK  # as if PARLEY_SLACK__DESK_CHANNEL were set
        yield parley


@pytest.fixture
async def chat(app):
    async with aiohttp.ClientSession() as http:
        client = await ChatClient(http, app.port).connect()
        yield client


def desk_items(app) -> list[dict]:
    rows = app.store.db.execute("SELECT id, reply FROM outbox WHERE akey LIKE 'slack:%' ORDER BY seq").fetchall()
    return [{"id": i, **json.loads(r)} for i, r in rows]


async def desk_event(app, case: str, *, text: str = "", button: str = "", agent: str = "U_ANA") -> None:
    inbound = Inbound(
        address=Address(channel="slack", chat="CDESK", user=agent, thread="1700000000.000100"),
        event_id=uuid.uuid4().hex,
        text=text,
        kind="button" if button else "message",
        payload=f"handoff:{case}:{button}" if button else "",
        user_name="Ana",
        meta={"desk": "1", "desk_ref": f"handoff:{case}"},
    )
    assert await app.engine.deliver(inbound)


async def test_full_handoff_round_trip(app, chat):
    await chat.say("I want to talk to a human")
    started, wait = await chat.replies(2)
    assert "person from our team" in started["text"]
    assert "away right now" in wait["text"] and "Thursday 09:00" in wait["text"]
    state = await app.store.state(f"web:{chat.chat}:")
    case = state["handoff"]["case"]
    [card] = desk_items(app)
    assert card["meta"]["desk_ref"] == f"handoff:{case}"
    assert [b["title"] for b in card["buttons"]] == ["Claim", "Resolve", "Return to bot"]
    assert "I want to talk to a human" in card["text"]

    # The bot stays silent while the case is open; the customer's words go to the card's thread.
    await chat.say("how much is shipping?")
    await chat.next("ack")
    await eventually(lambda: any(d["meta"].get("desk_thread") == f"handoff:{case}" for d in desk_items(app)))
    app.clock.advance(30)  # within the conversation's lock lease: a waiting desk, not a crash
    await desk_event(app, case, button="claim")
    joined = await chat.next("reply")
    assert "Ana from our team has joined" in joined["text"]
    relays = [d for d in desk_items(app) if d["meta"].get("desk_thread") == f"handoff:{case}"]
    assert relays[0]["text"] == "Customer: how much is shipping?"
    await eventually(lambda: any("Claimed by Ana" in d["text"] for d in desk_items(app)))

    app.clock.advance(30)
    await desk_event(app, case, text="Shipping is 4.95, free over 50.")
    relayed = await chat.next("reply")
    assert relayed["text"] == "Ana: Shipping is 4.95, free over 50."
    assert relayed["kind"] == "agent"

    await desk_event(app, case, button="resolve")
    back, csat = await chat.replies(2)
    assert "AI assistant" in back["text"]
    assert [b["payload"] for b in csat["buttons"]] == [f"csat:{n}" for n in range(1, 6)]
    await chat.press("csat:5", "5")
    assert "feedback" in (await chat.next("reply"))["text"]
    assert app.metrics.csat._sum.get() == 5

    await chat.say("do you take paypal")
    assert "PayPal" in (await chat.next("reply"))["text"]  # the bot answers again
    frames = [f for f in chat.frames if f["type"] == "reply"]
    assert not any("4.95" in f["text"] and f["kind"] != "agent" for f in frames)  # never two answers

    # The aggregates, in the customer's conversation: handed over, 30 s to claim, 60 to reply, CSAT 5.
    await app.analytics.flush()
    totals = (await report(app.analytics_store, Query(date(2026, 1, 1), date(2026, 1, 1)), Costs()))["totals"]
    assert totals["conversations"] == 1 and totals["handoffs"] == 1 and totals["contained"] == 0
    assert totals["claim_minutes"] == 0.5 and totals["first_reply_minutes"] == 1.0
    assert totals["csat"] == 5.0 and totals["csat_answers"] == 1


async def test_a_number_typed_answers_csat_and_a_closed_case_refuses_relays(app, chat):
    await chat.say("/human")
    await chat.replies(2)
    case = (await app.store.state(f"web:{chat.chat}:"))["handoff"]["case"]
    await desk_event(app, case, text="Hello, how can I help?")  # replying claims the case
    assert (await chat.next("reply"))["text"].startswith("Ana: ")
    await desk_event(app, case, button="return")
    await chat.replies(2)
    await chat.say("4")
    assert "feedback" in (await chat.next("reply"))["text"]
    await desk_event(app, case, text="one more thing")
    await eventually(lambda: any(d["text"] == "This case is closed." for d in desk_items(app)))
    assert app.metrics.time_to_claim._sum.get() >= 0


async def test_sales_persona_qualifies_a_lead_that_lands_on_the_desk_and_the_crm(make_settings, tmp_path):
    from aiohttp import web
    from parley.channels.crm_webhook.channel import verify

    received: list[tuple[dict, dict]] = []

    async def crm(request: web.Request) -> web.Response:
        body = await request.read()
        received.append((dict(request.headers), json.loads(body)))
        ok = verify(
            "crm-secret",
            request.headers["X-Parley-Timestamp"],
            body,
            request.headers["X-Parley-Signature"],
            now=float(request.headers["X-Parley-Timestamp"]),
        )
        return web.Response(status=200 if ok else 401)

    receiver = web.Application()
    receiver.router.add_post("/leads", crm)
    runner, port = await start(receiver)
    settings = make_settings(
        persona="sales",
        handoff={"lead_webhook_url": f"http://127.0.0.1:{port}/leads", "lead_webhook_secret": "crm-secret"},
    )
    try:
        async with Bot(settings) as app, aiohttp.ClientSession() as http:
            app.desk.desk = app.leads.desk = DESK
            chat = await ChatClient(http, app.port).connect()
            await chat.say("hello")
            greeting, need = await chat.replies(2)
            assert "What are you looking for" in need["text"]
            await chat.say("Uniforms for 40 hotel staff")
            assert "budget" in (await chat.next("reply"))["text"]
            await chat.say("around 5000 euros")
            await chat.next("reply")  # timeline
            await chat.say("next month")
            contact = await chat.next("reply")
            await chat.say("not telling")  # no email or phone: asked again
            assert (await chat.next("reply"))["text"] == contact["text"]
            await chat.say("ana@hotel.example, Ana Ruiz from Hotel Sol")
            assert "sales team" in (await chat.next("reply"))["text"]
            await eventually(lambda: received)
            headers, lead = received[0]
            assert lead["need"] == "Uniforms for 40 hotel staff" and lead["contact"] == "ana@hotel.example"
            assert lead["name"] == "Ana Ruiz" and lead["company"] == "Hotel Sol"  # read out of the answer
            assert lead["event"] == "lead.created" and headers["X-Parley-Event-Id"]
            [card] = [d for d in desk_items(app) if d["meta"].get("desk_ref", "").startswith("lead:")]
            assert "Budget: 5,000 EUR · “around 5000 euros”" in card["text"]  # read, beside what they said
            assert "Timeline: next month (by " in card["text"] and "Score: " in card["text"]
            facts = {f["label"]: f["value"] for f in card["card"]["facts"]}
            assert (facts["Contact"], facts["Name"], facts["Company"]) == ("ana@hotel.example", "Ana Ruiz", "Hotel Sol")
            assert card["card"]["title"] == "Lead"
            assert [b["title"] for b in card["buttons"]] == ["Claim", "Follow up tomorrow"]
            assert app.metrics.leads.labels("web", "web")._value.get() == 1
    finally:
        await runner.cleanup()


async def test_no_claim_in_time_offers_a_follow_up_at_the_next_business_morning(make_settings):
    clock = ManualClock(1_767_225_600.0 + 10 * 3600)  # Thursday 10:00 UTC: the desk is open
    settings = make_settings(handoff={"hours": "mon-fri 09:00-18:00", "timezone": "UTC", "claim_timeout_minutes": 15})
    async with Bot(settings, clock=clock) as app, aiohttp.ClientSession() as http:
        app.desk.desk = DESK
        chat = await ChatClient(http, app.port).connect()
        await chat.say("/human")
        started, wait = await chat.replies(2)
        assert "usually within 5 minutes" in wait["text"]
        clock.advance(16 * 60)  # nobody claims it
        app.scheduler.wake()
        timeout = await chat.next("reply")
        assert "still busy" in timeout["text"] and "Friday 09:00" in timeout["text"]
        [button] = timeout["buttons"]
        await chat.press(button["payload"], button["title"])
        booked = await chat.next("reply")
        assert "get back to you Friday 09:00" in booked["text"]
        clock.advance(23 * 3600)  # Friday 09:00 UTC and a bit
        app.scheduler.wake()
        again = await chat.next("reply")
        assert "usually within 5 minutes" in again["text"]
        await eventually(lambda: any("still waiting" in d["text"] for d in desk_items(app)))


async def test_the_admin_api_can_hand_a_conversation_to_the_desk(make_settings):
    settings = make_settings(admin_token="admin-secret", handoff={"hours": "mon-sun 00:00-23:59"})
    async with Bot(settings) as app, aiohttp.ClientSession() as http:
        app.desk.desk = DESK
        chat = await ChatClient(http, app.port).connect()
        await chat.say("do you take paypal")
        await chat.next("reply")
        url = f"http://127.0.0.1:{app.port}/api/conversations/web:{chat.chat}:/handoff"
        async with http.post(url) as r:
            assert r.status == 401
        async with http.post(url, headers={"Authorization": "Bearer admin-secret"}) as r:
            assert r.status == 200
            assert (await r.json())["handoff"]["status"] == "queued"
        assert "person from our team" in (await chat.next("reply"))["text"]
        await eventually(lambda: any(d["meta"].get("desk_ref", "").startswith("handoff:") for d in desk_items(app)))
        async with http.post(url.replace(chat.chat, "nobody"), headers={"Authorization": "Bearer admin-secret"}) as r:
            assert r.status == 404
