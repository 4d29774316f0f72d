"""A campaign reaches each person once, on their best channel (issue 21, item 3): linked people
get one message, on the channel consent and the platform allow (WhatsApp only inside its 24-hour
window without a template), the campaign's preferred channel first, else the one they answered
most recently; the choice and its reason are in the send listing."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address
from parley.core.linking.links import link
from parley.core.schedule.store import PersonEntry, campaign_send_id
from parley.core.storage.sqlite import SQLiteStore

from parley.app import Bot
from parley.testing.fakes.recording import RecordingChannel
from tests.conftest import eventually
from tests.integration.test_scheduler_flow import TOKEN, api

TUESDAY_1030 = datetime(2026, 1, 6, 10, 30, tzinfo=UTC).timestamp()
HOUR = 3600.0


@pytest.fixture
async def app(make_settings, tmp_path):
    clock = ManualClock(TUESDAY_1030)
    store = SQLiteStore(tmp_path / "best.db", clock=clock)
    channels = [functools.partial(RecordingChannel, name=n) for n in ("whatsapp", "sms")]
    async with Bot(make_settings(admin_token=TOKEN), clock=clock, store=store, channels=channels) as parley:
        parley.test_clock = clock
        parley.scheduler.dispatcher.idle_poll = 0.02
        yield parley


async def identity(app: Bot, channel: str, number: str, ago: float, consent: bool | None) -> Address:
    address = Address(channel=channel, chat=number, user=number)
    seen = app.test_clock() - ago
    entry = PersonEntry(address.person, address, "en", "", (), seen, consent, f"Ana {number[-2:]}")
    await app.scheduler.sched.put_person(entry)
    profile = {"last_inbound": seen, "name": entry.name}
    if consent is not None:
        profile["consent"] = {"marketing": consent, "at": "", "source": "test"}
    await app.store.save_profile(address.person, profile)
    return address


async def linked(app: Bot, *addresses: Address) -> str:
    joined = await link(app.store, addresses[0].person, addresses[1].person)
    for address in addresses:  # the people index learns the owner at the next turn; here, now
        entry = await app.scheduler.sched.person(address.person)
        await app.scheduler.sched.put_person(PersonEntry(**{**entry.__dict__, "owner": joined.person}))
    return joined.person


async def test_each_person_once_on_their_best_channel(app):
    # 1: WhatsApp quiet for 30 h (window closed, no template) -> SMS, though WhatsApp is preferred.
    wa1 = await identity(app, "whatsapp", "+4915100000001", 30 * HOUR, True)
    sms1 = await identity(app, "sms", "+4915100000001", 2 * HOUR, True)
    one = await linked(app, wa1, sms1)
    # 2: both open; the campaign prefers WhatsApp although SMS was answered more recently.
    wa2 = await identity(app, "whatsapp", "+4915100000002", 1 * HOUR, True)
    sms2 = await identity(app, "sms", "+4915100000002", 0.2 * HOUR, True)
    two = await linked(app, wa2, sms2)
    # 3: opted out on WhatsApp (preferred, and their latest channel), opted in on SMS -> SMS.
    wa3 = await identity(app, "whatsapp", "+4915100000003", 0.1 * HOUR, False)
    sms3 = await identity(app, "sms", "+4915100000003", 3 * HOUR, True)
    three = await linked(app, wa3, sms3)
    # 4: one identity, as before linking.
    sms4 = await identity(app, "sms", "+4915100000004", 5 * HOUR, True)
    body = {
        "id": "spring",
        "messages": {"en": "Hello {first_name}, spring sale!"},
        "window": {"days": ["tue"], "start": "10:00", "end": "12:00"},
        "audience": {"channels": ["whatsapp", "sms"]},
        "channels": ["whatsapp"],
        "rate": 1000,
    }
    status, preview = await api(app, "POST", "/api/campaigns/preview", body)
    assert status == 200 and preview["count"] == 4  # people, not identities
    created = await api(app, "POST", "/api/campaigns", body)
    assert created[0] == 201, created
    assert (await api(app, "POST", "/api/campaigns/spring/start"))[0] == 200
    await app.scheduler.planner.step()
    app.test_clock.advance(5)

    def sent() -> list[tuple[str, str]]:
        return sorted((a.channel, a.chat) for ch in ("whatsapp", "sms") for a, _ in app.channels[ch].sent)

    await eventually(lambda: len(sent()) == 4, timeout=10)
    assert sent() == sorted([("sms", sms1.chat), ("whatsapp", wa2.chat), ("sms", sms3.chat), ("sms", sms4.chat)])
    routes = {}
    for person in (one, two, three, sms4.person):
        status, shown = await api(app, "GET", f"/api/sends/{campaign_send_id('spring', person)}")
        assert status == 200 and shown["status"] == "sent"
        routes[person] = shown.get("route")
    assert routes[one]["channel"] == "sms" and routes[one]["why"] == "answered_most_recently"
    assert ["whatsapp", "whatsapp_window_closed"] in routes[one]["left_out"]
    assert routes[two] == {
        "channel": "whatsapp", "why": "campaign_preference", "window": "open", "left_out": [["sms", "not_chosen"]]
    }  # fmt: skip
    assert routes[three]["channel"] == "sms" and ["whatsapp", "opted_out"] in routes[three]["left_out"]
    assert routes[sms4.person] is None  # one identity: nothing was chosen
    progress = (await api(app, "GET", "/api/campaigns/spring"))[1]["progress"]
    assert progress["planned"] == 4 and progress["sent"] == 4  # four people, four sends
    assert len(sent()) == 4  # and nobody twice


async def test_a_template_opens_whatsapp_outside_the_window(app):
    wa = await identity(app, "whatsapp", "+4915100000009", 48 * HOUR, True)
    sms = await identity(app, "sms", "+4915100000009", 1 * HOUR, True)
    person = await linked(app, wa, sms)
    body = {
        "id": "tpl",
        "messages": {"en": "Hi"},
        "templates": {"en": "HX0123456789abcdef0123456789abcdef"},
        "window": {"days": ["tue"], "start": "10:00", "end": "12:00"},
        "channels": ["whatsapp", "sms"],
        "rate": 1000,
    }
    assert (await api(app, "POST", "/api/campaigns", body))[0] == 201
    assert (await api(app, "POST", "/api/campaigns/tpl/start"))[0] == 200
    await app.scheduler.planner.step()
    app.test_clock.advance(5)
    await eventually(lambda: app.channels["whatsapp"].sent, timeout=10)
    route = (await api(app, "GET", f"/api/sends/{campaign_send_id('tpl', person)}"))[1]["route"]
    assert route["channel"] == "whatsapp" and route["window"] == "template"
    assert not app.channels["sms"].sent
