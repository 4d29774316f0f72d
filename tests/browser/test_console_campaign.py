"""A marketer, in the console alone: "tomorrow 10:00 local, tag vip, each in their language".
Signs in, builds the campaign in the editor (live preview per channel), previews the audience
(who, when, who not and why), saves and starts it, watches it run to the end against the
Telegram fake on a clock the test moves, reads the results and the analytics. Screenshots of
each page at laptop (1366x768) and phone (390x844) width go to build/screenshots/."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import aiohttp
import pytest
from parley.core.console.roles import Role
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.facts import Fact, Metric

from parley.app import Bot
from parley.testing.fakes.telegram import FakeTelegram
from tests.conftest import eventually
from tests.paths import ROOT

SHOTS = ROOT / "build" / "screenshots"
SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
PASSWORD = "correct horse battery staple"
_ids = itertools.count(1000)
PEOPLE = [  # chat, language, zone, tags, consent
    (101, "es", "Europe/Madrid", ["VIP"], True),
    (102, "en", "America/New_York", ["vip"], True),
    (103, "en", "UTC", ["regular"], True),
    (104, "en", "UTC", ["vip"], None),  # never opted in: the preview says so
]


def update(text: str, chat: int, lang: str) -> dict:
    uid = next(_ids)
    user = {
        "id": chat,
        "is_bot": False,
        "first_name": f"Ana{chat}" if lang == "es" else f"Bob{chat}",
        "language_code": lang,
    }
    msg = {"message_id": uid, "date": 1767225600, "chat": {"id": chat, "type": "private"}, "from": user, "text": text}
    return {"update_id": uid, "message": msg}


async def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        await page.screenshot(path=str(SHOTS / f"console-{name}-{size}.png"), full_page=True)
    await page.set_viewport_size(SIZES["laptop"])


@pytest.fixture
async def world(make_settings):
    clock = ManualClock()  # Thursday 2026-01-01 00:00 UTC: "tomorrow" is Friday the 2nd
    async with FakeTelegram() as tg:
        # A session outlives the day and a half the test moves the clock (12 hours by default).
        telegram = {"token": tg.token, "api_base": tg.url, "mode": "polling"}
        settings = make_settings(telegram=telegram, console={"session_hours": 72})
        async with Bot(settings, clock=clock) as bot:
            await bot.accounts.add("test", "mia", Role.MARKETER, PASSWORD)
            for chat, lang, *_ in PEOPLE:
                tg.push(update("hola" if lang == "es" else "hello", chat, lang))
            await eventually(lambda: all(tg.texts(chat) for chat, *_ in PEOPLE), timeout=15)
            for chat, lang, tz, tags, consent in PEOPLE:  # what a CSV import or a handler would set
                person = f"telegram:{chat}"
                profile = await bot.store.profile(person)
                profile.update(tags=tags, tz=tz)
                if consent:
                    profile["consent"] = {"marketing": True, "at": "2025-12-01T00:00:00+00:00", "source": "signup"}
                await bot.store.save_profile(person, profile)
                tg.push(update("gracias" if lang == "es" else "thanks", chat, lang))  # the index sees them again

            async def indexed():
                entries = [await bot.scheduler.sched.person(f"telegram:{chat}") for chat, *_ in PEOPLE]
                return all(e is not None and e.tags for e in entries)

            await eventually(indexed, timeout=15)
            yield bot, tg, clock


async def test_a_marketer_schedules_tomorrow_10_local_for_vips_each_in_their_language(browser, world):
    bot, tg, clock = world
    base = f"http://127.0.0.1:{bot.port}"
    page = await browser.new_page(viewport=SIZES["laptop"])
    await page.goto(f"{base}/console/campaigns/new")  # not signed in: the login page, then back
    await page.fill("#username", "mia")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/console/campaigns/new")

    await page.fill("#id", "vip-tomorrow")
    await page.fill("#name", "VIP preview, tomorrow 10:00")
    assert await page.input_value("#starts_on") == "2026-01-02"  # tomorrow, by the bot's clock
    await page.fill("#local_time", "10:00")
    await page.fill("#tags", "vip")
    await page.evaluate("document.querySelectorAll('details.locale').forEach((d) => { d.open = true; })")
    await page.fill("#message_en", "Hi {{ first_name }}, your VIP preview opens today.")
    await page.fill("#message_es", "Hola {{ first_name }}, tu preestreno VIP abre hoy.")
    es = page.locator('[data-preview="es"]')
    assert "Hola Ana, tu preestreno VIP abre hoy." in await es.inner_text()  # the live preview
    assert "1 SMS" in await es.inner_text()
    assert "only inside the 24-hour window" in await es.inner_text()  # no WhatsApp template given
    await page.click("button[value=preview]")

    preview = page.locator("#audience-preview")
    await preview.wait_for()
    assert await page.locator("[data-test=count]").inner_text() == "2"
    text = await preview.inner_text()
    assert "2026-01-02T09:00:00+00:00" in text  # 10:00 in Madrid
    assert "2026-01-02T15:00:00+00:00" in text  # 10:00 in New York
    assert "no marketing consent" in text  # chat 104: chosen by the tag, left out, and why
    assert "Hola Ana101, tu preestreno VIP abre hoy." in text
    await shoot(page, "campaign-editor")

    await page.click("button[value=create]")
    await page.wait_for_url(f"{base}/console/campaigns/vip-tomorrow")
    await page.click("text=Start")
    await page.wait_for_url(f"{base}/console/campaigns/vip-tomorrow")
    assert "running" in await page.locator('[data-live="status"]').inner_text()

    async def planned():
        return (await bot.scheduler.sched.progress("vip-tomorrow")).get("planned") == 2

    await eventually(planned, timeout=15)
    assert not tg.texts(101)[2:]  # nothing before its time
    clock.advance(86400 + 16 * 3600)  # Friday 16:00 UTC: past 10:00 in Madrid and in New York
    await eventually(lambda: tg.texts(101)[2:] and tg.texts(102)[2:], timeout=15)
    assert tg.texts(101)[-1] == "Hola Ana101, tu preestreno VIP abre hoy."
    assert tg.texts(102)[-1] == "Hi Bob102, your VIP preview opens today."
    assert not tg.texts(103)[2:] and not tg.texts(104)[2:]
    tg.push(update("¡Me interesa!", 101, "es"))  # a reply inside the attribution window

    await page.locator('[data-live="delivered"]', has_text="2").wait_for(timeout=15000)
    await page.locator('[data-live="replied"]', has_text="1").wait_for(timeout=15000)
    await page.locator('[data-live="status"]', has_text="done").wait_for(timeout=15000)
    assert await page.locator('[data-live="pending"]').inner_text() == "0"
    await shoot(page, "campaign-results")

    await page.goto(f"{base}/console/campaigns")
    assert "VIP preview, tomorrow 10:00" in await page.inner_text("main")
    await shoot(page, "campaigns")

    # The shop reports Ana's order through the admin API (a marketer's API token): the campaign
    # it came from counts a conversion, read on the campaign's page.
    secret, _ = await bot.accounts.create_token("mia", "mia", "shop")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {secret}"}) as http:
        async with http.post(f"{base}/api/people/telegram:101/conversions", json={"value": 120}) as resp:
            assert (await resp.json())["attributed"] == "vip-tomorrow"
    await page.goto(f"{base}/console/campaigns/vip-tomorrow")
    assert await page.locator('[data-live="converted"]').inner_text() == "1"
    assert await page.locator('[data-live="failed"]').inner_text() == "None yet."
    await shoot(page, "campaign-converted")

    await bot.analytics.flush()
    await page.goto(f"{base}/console/analytics?from=2026-01-01&to=2026-01-07")
    assert int(await page.locator("[data-test=conversations]").inner_text()) >= 4
    assert "vip-tomorrow: 1" in await page.inner_text("main")  # conversions by campaign
    assert await page.locator("canvas#volume").is_visible()
    await shoot(page, "analytics")
    await page.close()


async def test_a_team_lead_reads_containment_csat_and_roi_for_last_week(browser, world):
    bot, _, clock = world
    base = f"http://127.0.0.1:{bot.port}"
    await bot.accounts.add("test", "lee", Role.AGENT_LEAD, PASSWORD)
    # Last week (Monday 22 to Sunday 28 December) as the turns, the desk and CSAT left it.
    for day in range(22, 29):
        at = datetime(2025, 12, day, 12, tzinfo=UTC).timestamp()
        facts = [Fact(Metric.CONVERSATIONS)] * 50 + [Fact(Metric.HANDED)] * 10 + [Fact(Metric.CSAT, 4)] * 4
        bot.analytics.record(("telegram", "es", "demo"), facts, at)
    await bot.analytics.flush()
    page = await browser.new_page(viewport=SIZES["laptop"])
    await page.goto(f"{base}/console/analytics")
    await page.fill("#username", "lee")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/console/analytics")
    await page.click("text=Last week")
    await page.wait_for_url("**from=2025-12-22&to=2025-12-28")
    assert await page.locator("[data-test=conversations]").inner_text() == "350"
    tiles = await page.locator(".tiles").inner_text()
    assert "280" in tiles and "(80%)" in tiles  # contained, and containment
    assert "4.0" in tiles  # CSAT
    assert await page.locator("[data-test=roi-net]").inner_text() == "1120.00 USD"  # 280 x 4.0, no LLM cost
    assert await page.locator(".presets [aria-current]").inner_text() == "Last week"
    await shoot(page, "analytics-last-week")
    await page.close()
