"""Campaigns as a marketer builds them through the admin API: "tomorrow 10:00 local, tag vip, each
in their language", the preview's exclusions and first send times, waiting sends with their due
times, a test send, and a cancel that leaves nothing pending."""

from __future__ import annotations

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address
from parley.core.schedule.store import PersonEntry, campaign_send_id

from parley.app import Bot
from tests.integration.test_admin_api import TOKEN, call

PEOPLE = [  # chat, channel, locale, tz, tags, last seen, consent, name
    ("ann", "web", "es", "Europe/Madrid", ("vip",), 1.0, True, "Ana Ruiz"),
    ("bob", "web", "en", "America/New_York", ("VIP",), 1.0, True, "Bob Lee"),
    ("carol", "web", "en", "", ("vip",), 1.0, None, "Carol"),
    ("dan", "web", "en", "", ("Vip",), 1.0, False, "Dan"),
    ("eve", "web", "en", "", ("other",), 1.0, True, "Eve"),
    ("frank", "telegram", "en", "", ("vip",), 0.0, True, "Frank"),
]
VIP = {
    "id": "vip",
    "starts_on": "2026-01-02",  # the test clock's "tomorrow"
    "local_time": "10:00",
    "audience": {"tags": ["Vip"]},
    "messages": {"en": "Hi {{ first_name }}", "es": "Hola {{ first_name }}"},
}


@pytest.fixture
async def app(make_settings):
    clock = ManualClock()  # 2026-01-01T00:00Z, a Thursday
    async with Bot(make_settings(admin_token=TOKEN, scheduler={"enabled": False}), clock=clock) as parley:
        for chat, channel, locale, tz, tags, seen, consent, name in PEOPLE:
            address = Address(channel=channel, chat=chat, user=chat)
            entry = PersonEntry(address.person, address, locale, tz, tags, seen, consent, name)
            await parley.scheduler.sched.put_person(entry)
        yield parley


async def test_preview_says_who_when_and_who_not_and_why(app):
    status, seen = await call(app, "POST", "/api/campaigns/preview", VIP)
    assert status == 200, seen
    assert seen["count"] == 2 and seen["by_locale"] == {"es": 1, "en": 1}
    # 10:00 on the 2nd in each recipient's own zone (tags compared case-insensitively).
    firsts = {r["person"]: r["first_send"] for r in seen["recipients"]}
    assert firsts == {"web:ann": "2026-01-02T09:00:00+00:00", "web:bob": "2026-01-02T15:00:00+00:00"}
    assert seen["first_send"] == "2026-01-02T09:00:00+00:00"
    assert seen["excluded"] == {"no_consent": 1, "opted_out": 1, "never_wrote": 1}
    assert {x["person"]: x["reason"] for x in seen["left_out"]} == {
        "web:carol": "no_consent",
        "web:dan": "opted_out",
        "telegram:frank": "never_wrote",
    }
    assert seen["untargeted"] == {"tags": 1}
    assert seen["samples"] == {"es": "Hola Ana", "en": "Hi Bob"}


@pytest.mark.parametrize(
    ("starts", "ok"),
    [
        ({"starts_at": "2026-01-05T10:00:00+01:00"}, "2026-01-05T09:00:00+00:00"),
        ({"starts_at": "2026-01-05T09:00:00Z"}, "2026-01-05T09:00:00+00:00"),
        ({"starts_at": 1767603600}, "2026-01-05T09:00:00+00:00"),
    ],
)
async def test_starts_at_takes_an_iso_date_time_with_an_offset(app, starts, ok):
    body = {**VIP, "window": {"days": ["any"], "start": "00:00", "end": "23:59"}, **starts}
    body.pop("starts_on"), body.pop("local_time")
    status, seen = await call(app, "POST", "/api/campaigns/preview", body)
    assert status == 200 and seen["first_send"] == ok, seen


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"starts_at": "2026-01-05T10:00:00"}, "offset"),
        ({"starts_at": "next tuesday"}, "ISO date-time"),
        ({"local_time": None}, "local_time"),
        ({"starts_on": "2025-06-01"}, "in the past"),
        ({"audience": {"consent": "not_opted_out"}}, "opted in"),
    ],
)
async def test_bad_start_times_are_refused_with_what_to_fix(app, body, says):
    status, refused = await call(app, "POST", "/api/campaigns", {**VIP, **body})
    assert status == 422 and says in refused["error"], refused


async def test_waiting_sends_due_times_test_send_and_cancel(app):
    assert (await call(app, "POST", "/api/campaigns", VIP))[0] == 201
    assert (await call(app, "POST", "/api/campaigns/vip/start"))[0] == 200
    while (await app.scheduler.sched.campaign("vip")).planned_all is False:
        await app.scheduler.planner.step()
    status, listed = await call(app, "GET", "/api/campaigns/vip/sends")
    assert status == 200
    assert [(s["id"], s["due"]) for s in listed["sends"]] == [
        (campaign_send_id("vip", "web:ann"), "2026-01-02T09:00:00+00:00"),
        (campaign_send_id("vip", "web:bob"), "2026-01-02T15:00:00+00:00"),
    ]
    status, send = await call(app, "GET", f"/api/sends/{campaign_send_id('vip', 'web:ann')}")
    assert send == {
        "id": "c:vip:web:ann:0",
        "status": "due",
        "due": "2026-01-02T09:00:00+00:00",
        "due_epoch": 1767344400.0,
    }

    status, tested = await call(app, "POST", "/api/campaigns/vip/test", {"person": "web:ann"})
    assert status == 200 and tested["text"] == "[test] Hola Ana" and tested["locale"] == "es"
    assert (await call(app, "POST", "/api/campaigns/vip/test", {"person": 3}))[0] == 422
    status, shown = await call(app, "GET", "/api/campaigns/vip")
    assert shown["results"]["planned"] == 2 and shown["results"]["sent"] == 0  # a test counts nothing

    status, moved = await call(app, "POST", "/api/campaigns/vip/cancel")
    assert status == 200 and moved == {"id": "vip", "status": "cancelled", "cancelled_sends": 2}
    status, shown = await call(app, "GET", "/api/campaigns/vip")
    assert shown["results"]["pending"] == 0 and shown["results"]["skipped"] == {"cancelled": 2}
    assert (await call(app, "GET", "/api/campaigns/vip/sends"))[1]["sends"] == []
    status, listed = await call(app, "GET", "/api/campaigns")
    assert listed[0]["status"] == "cancelled" and listed[0]["results"]["pending"] == 0
