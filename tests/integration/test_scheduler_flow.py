"""The scheduler inside a whole app (SQLite store, a recording channel, an injected clock):
campaigns end to end, consent, reminders, follow-ups cancelled by a reply, quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from aiohttp import ClientSession
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.schedule.store import PersonEntry, campaign_send_id, followup_id
from parley.core.storage.sqlite import SQLiteStore

from parley.app import Bot
from parley.testing.fakes.recording import RecordingChannel
from tests.conftest import eventually

TOKEN = "s3cret-admin-token"
TUESDAY_1030 = datetime(2026, 1, 6, 10, 30, tzinfo=UTC).timestamp()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def app(make_settings, tmp_path):
    clock = ManualClock(TUESDAY_1030)
    store = SQLiteStore(tmp_path / "flow.db", clock=clock)  # the store's lock leases use the same clock
    settings = make_settings(
        admin_token=TOKEN,
        scheduler={"followup_hours": 1, "followup_leads_only": False, "cancel_on_reply": ["followup"]},
    )
    async with Bot(settings, clock=clock, store=store, channels=[RecordingChannel]) as parley:
        parley.rec = parley.channels["rec"]
        parley.test_clock = clock
        parley.scheduler.dispatcher.idle_poll = 0.02
        yield parley


async def person(app: Bot, n: int, consent: bool | None, *, tz: str = "UTC", locale: str = "en", tags=()):
    address = Address(channel="rec", chat=f"c{n}", user=f"u{n}")
    entry = PersonEntry(address.person, address, locale, tz, tuple(tags), app.test_clock() - 3600, consent, f"Ann {n}")
    await app.scheduler.sched.put_person(entry)
    if consent is not None:
        await app.store.save_profile(address.person, {"consent": {"marketing": consent, "at": "", "source": "test"}})
    return address


def spec(**overrides) -> dict:
    body = {
        "id": "spring",
        "messages": {"en": "Hello {first_name}, spring sale!"},
        "window": {"days": ["tue"], "start": "10:00", "end": "12:00"},
        "audience": {"channels": ["rec"]},
    }
    body.update(overrides)
    return body


async def api(app: Bot, method: str, path: str, body=None, headers=AUTH):
    async with ClientSession() as http:
        url = f"http://127.0.0.1:{app.port}{path}"
        async with http.request(method, url, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


async def test_campaign_reaches_opted_in_people_once_and_reports_progress(app):
    a = await person(app, 1, True)
    await person(app, 2, False)  # opted out: not in the audience
    await person(app, 3, None)  # never asked: marketing does not reach them
    late = await person(app, 4, True)
    # Opted out after the index saw them: the send-time check under the lock catches it.
    await app.store.save_profile(late.person, {"consent": {"marketing": False, "at": "", "source": "rec:stop"}})

    status, preview = await api(app, "POST", "/api/campaigns/preview", spec())
    assert status == 200 and preview["count"] == 2 and preview["samples"] == {"en": "Hello Ann, spring sale!"}
    status, created = await api(app, "POST", "/api/campaigns", spec())
    assert status == 201 and created["status"] == "draft"
    assert (await api(app, "POST", "/api/campaigns/spring/start"))[1]["status"] == "running"

    async def progressed():
        body = (await api(app, "GET", "/api/campaigns/spring"))[1]["progress"]
        return body if body["pending"] == 0 and body["planned"] == 2 and body["delivered"] == 1 else None

    await app.scheduler.planner.step()
    app.test_clock.advance(1)  # sends are spread at the channel's rate: the second is a hair later
    progress = await eventually(progressed)
    assert progress["sent"] == 1 and progress["skipped"] == {"opted_out": 1}
    assert app.rec.texts() == ["Hello Ann, spring sale!"] and app.rec.sent[0][0].chat == a.chat
    # A re-plan creates nothing twice, and a second start is refused.
    assert await app.scheduler.sched.add([]) == 0
    assert (await api(app, "POST", "/api/campaigns/spring/start"))[0] == 409
    # Attribution: a reply inside the window counts once.
    await app.engine.deliver(Inbound(address=a, event_id="r1", text="how much?"))
    await app.engine.deliver(Inbound(address=a, event_id="r2", text="ok"))
    await eventually(lambda: app.scheduler.sched.progress("spring"))
    assert (await eventually(lambda: _replied(app)))["replied"] == 1
    status, conv = await api(app, "POST", f"/api/people/{a.person}/conversions", {"value": 12.5})
    assert conv["attributed"] == "spring"
    results = (await api(app, "GET", "/api/campaigns/spring"))[1]["results"]
    assert results["converted"] == 1 and results["value_cents"] == 1250
    assert sum(hour["delivered"] for hour in results["timeline"]) == 1
    # /metrics: each finished campaign send by result (bounded labels: kind and result head).
    sample = app.metrics.registry.get_sample_value
    assert sample("parley_schedule_dispatched_total", {"kind": "campaign", "result": "sent"}) == 1
    assert sample("parley_schedule_dispatched_total", {"kind": "campaign", "result": "skipped"}) == 1
    # The conversion is in the analytics too, under its campaign.
    await app.analytics.flush()
    status, report = await api(app, "GET", "/api/analytics?from=2026-01-01&to=2026-01-07")
    assert report["conversions_by_campaign"] == {"spring": 1} and report["totals"]["conversion_value"] == 12.5


async def _replied(app):
    counts = await app.scheduler.sched.progress("spring")
    return counts if counts.get("replied") else None


async def test_frequency_cap_holds_across_campaigns(app):
    await person(app, 1, True)
    for name in ("first", "second"):
        await api(app, "POST", "/api/campaigns", spec(id=name, messages={"en": name}))
        await api(app, "POST", f"/api/campaigns/{name}/start")
        await app.scheduler.planner.step()
        await eventually(lambda name=name: _done(app, name))
    assert app.rec.texts() == ["first"]
    assert (await app.scheduler.sched.progress("second"))["skipped:frequency_cap"] == 1


async def _done(app, campaign):
    counts = await app.scheduler.sched.progress(campaign)
    return (
        counts.get("planned")
        and sum(n for k, n in counts.items() if k.split(":")[0] in ("sent", "skipped")) == counts["planned"]
    )


async def test_pause_holds_sends_and_cancel_skips_them(app):
    await person(app, 1, True)
    await api(app, "POST", "/api/campaigns", spec())
    await api(app, "POST", "/api/campaigns/spring/start")
    await api(app, "POST", "/api/campaigns/spring/pause")
    await app.scheduler.planner.step()
    assert (await api(app, "POST", "/api/campaigns/spring/cancel"))[1]["status"] == "cancelled"
    await app.scheduler.dispatcher.pump()
    status = await app.scheduler.sched.status(campaign_send_id("spring", "rec:u1"))
    assert status in (None, "skipped:cancelled")
    assert app.rec.sent == []


async def test_stop_opts_out_of_everything_and_start_opts_in(app):
    a = Address(channel="rec", chat="c9", user="u9")
    await app.engine.deliver(Inbound(address=a, event_id="s1", text="STOP"))
    await eventually(lambda: app.rec.texts("c9"))
    assert "unsubscribed" in app.rec.texts("c9")[0]
    entry = await app.scheduler.sched.person(a.person)
    assert entry.consent is False and (await app.store.profile(a.person))["consent"]["source"] == "rec:stop"
    await app.engine.deliver(Inbound(address=a, event_id="s2", text="start"))
    await eventually(lambda: len(app.rec.texts("c9")) == 2)
    assert (await app.scheduler.sched.person(a.person)).consent is True
    assert '"opted_in"' in await app.store.get(f"consent:{a.person}")  # the record SMS keeps too
    await app.engine.deliver(Inbound(address=a, event_id="s3", text="yes"))  # "yes" alone is an answer
    await eventually(lambda: len(app.rec.texts("c9")) == 3)
    assert "subscribed" not in app.rec.texts("c9")[2]


async def test_an_sms_stop_kept_by_the_twilio_channel_is_honoured(app):
    a = await person(app, 1, True)
    record = '{"status": "opted_out", "at": "2026-01-06T10:00:00+00:00", "source": "sms:STOP"}'
    await app.store.put(f"consent:{a.person}", record)
    await api(app, "POST", "/api/campaigns", spec())
    await api(app, "POST", "/api/campaigns/spring/start")
    await app.scheduler.planner.step()
    await eventually(lambda: _done(app, "spring"))
    assert app.rec.sent == []
    assert (await app.scheduler.sched.progress("spring"))["skipped:opted_out"] == 1


async def test_reminder_goes_at_the_time_asked(app):
    a = Address(channel="rec", chat="c5", user="u5")
    await app.engine.deliver(Inbound(address=a, event_id="m1", text="remind me in 2 hours to call Bob"))
    await eventually(lambda: app.rec.texts("c5"))
    assert app.rec.texts("c5")[0].endswith("OK, I'll remind you on Tuesday 12:30.")
    app.test_clock.advance(2 * 3600 + 1)
    app.scheduler.dispatcher.wake()
    await eventually(lambda: "Reminder: call Bob" in app.rec.texts("c5"))


async def test_followup_is_cancelled_by_a_reply_and_deferred_by_quiet_hours(app):
    a = Address(channel="rec", chat="c6", user="u6")
    start = int(app.test_clock())
    await app.engine.deliver(Inbound(address=a, event_id="m1", text="hello"))
    await eventually(lambda: app.rec.texts("c6"))
    first = followup_id(a.conversation, "followup", start)
    assert await app.scheduler.sched.status(first) == "due"
    app.test_clock.advance(600)
    await app.engine.deliver(Inbound(address=a, event_id="m2", text="and shipping?"))
    await eventually(lambda: len(app.rec.texts("c6")) == 2)
    assert await app.scheduler.sched.status(first) == "cancelled"
    second = followup_id(a.conversation, "followup", start + 600)
    # The follow-up falls due at 11:40 UTC; the person's zone is UTC: it goes out.
    app.test_clock.advance(3600 + 1)
    app.scheduler.dispatcher.wake()
    await eventually(lambda: len(app.rec.texts("c6")) == 3)
    assert "checking in" in app.rec.texts("c6")[2]

    async def second_sent() -> bool:  # the platform has the text a moment before the job is marked sent
        return await app.scheduler.sched.status(second) == "sent"

    await eventually(second_sent)


async def test_quiet_hours_reschedule_instead_of_dropping(app):
    a = Address(channel="rec", chat="c7", user="u7")
    await app.store.save_profile(a.person, {"tz": "Asia/Tokyo"})  # 10:30 UTC is 19:30 in Tokyo
    await app.engine.deliver(Inbound(address=a, event_id="m1", text="hello"))
    await eventually(lambda: app.rec.texts("c7"))
    send = followup_id(a.conversation, "followup", int(app.test_clock()))
    app.test_clock.advance(2 * 3600)  # 21:30 in Tokyo: quiet
    await app.scheduler.dispatcher.pump()
    assert await app.scheduler.sched.status(send) == "due"
    assert len(app.rec.texts("c7")) == 1
    app.test_clock.advance(11.5 * 3600 + 1)  # 09:00 the next day in Tokyo
    app.scheduler.dispatcher.wake()
    await eventually(lambda: len(app.rec.texts("c7")) == 2)


async def test_the_lead_cards_follow_up_button_schedules_one(app):
    a = Address(channel="rec", chat="c8", user="u8")
    case = SimpleNamespace(address=a.model_dump(), locale="en")
    when = await app.leads.followup(case, SimpleNamespace(now=datetime.fromtimestamp(app.test_clock(), UTC)))
    assert when == "2026-01-06 11:30 UTC"  # followup_hours is 1 in this app
    app.test_clock.advance(3601)
    app.scheduler.dispatcher.wake()
    await eventually(lambda: app.rec.texts("c8"))
    assert "checking in" in app.rec.texts("c8")[0]
