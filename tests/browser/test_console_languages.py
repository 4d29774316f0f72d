"""The console in other languages, in a real Chromium: Arabic right to left (the page mirrored:
the brand on the right, the nav reading from the right, tables aligned to the start) and German
(long words on a phone), chosen by the browser and by the user's own setting; the Leads page
where an agent lead records a won deal. Screenshots at laptop (1280x800) and phone (390x844)."""

from __future__ import annotations

import pytest
from parley.core.analytics.store import ALL
from parley.core.console.roles import Role
from parley.core.kernel.facts import Fact, Metric
from parley.core.kernel.messages import Address
from parley.core.schedule.store import PersonEntry

from parley.app import Bot
from parley.testing.contracts.leads import lead
from tests.integration.console_support import PASSWORD, add_user

SIZES = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
LAILA = Address(channel="whatsapp", chat="+966500000100", user="+966500000100")
PAGES = ["/console", "/console/leads", "/console/analytics", "/console/people", f"/console/people/{LAILA.person}"]


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(store_url="memory://", analytics={"currency": "SAR"})) as parley:
        await add_user(parley, "ann", Role.ADMIN)
        await add_user(parley, "lee", Role.AGENT_LEAD)
        entry = PersonEntry(LAILA.person, LAILA, "ar", "Asia/Riyadh", ("vip",), 1.77e9, True, "ليلى حداد")
        await parley.scheduler.sched.put_person(entry)
        for n, source in enumerate(("whatsapp", "spring-sale", "whatsapp")):
            await parley.store.put_lead(_lead(n, source))
        now = parley.clock()
        for day in range(3):
            facts = [Fact(Metric.CONVERSATIONS)] * 40 + [Fact(Metric.HANDED)] * 6 + [Fact(Metric.CSAT, 4.5)] * 5
            parley.analytics.record(("whatsapp", "ar", ALL), facts, now - day * 86400)
        await parley.analytics.flush()
        yield parley


def _lead(n: int, source: str):
    from dataclasses import replace

    return replace(lead(n, person=LAILA.person, created=1.77e9 + n), source=source, name="ليلى حداد", locale="ar")


async def sign_in(browser, app: Bot, name: str, size: str, locale: str):
    context = await browser.new_context(viewport=SIZES[size], locale=locale)
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{app.port}/console")
    await page.locator("#username").fill(name)
    await page.locator("#password").fill(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"http://127.0.0.1:{app.port}/console")
    return context, page


@pytest.mark.parametrize("size", SIZES)
async def test_arabic_reads_right_to_left_at_laptop_and_phone_size(browser, app, output_dir, size):
    context, page = await sign_in(browser, app, "ann", size, "ar-SA")
    width = SIZES[size]["width"]
    for path in PAGES:
        response = await page.goto(f"http://127.0.0.1:{app.port}{path}")
        assert response.status == 200, path
        assert await page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
        brand = await page.locator(".brand").bounding_box()
        assert brand["x"] + brand["width"] > width * 0.6, "the brand sits on the right"
        start = await page.locator("main h1").evaluate(
            "h => getComputedStyle(h).textAlign + ' ' + getComputedStyle(h).direction"
        )
        assert start.endswith("rtl")
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, size, overflow)
        name = path.strip("/").replace("/", "-").replace(":", "-").replace("+", "") or "console"
        await page.screenshot(path=output_dir / f"ar-{name}-{size}.png", full_page=True)
    nav = await page.locator("header nav a").all_inner_texts()
    assert nav[0] == "الرئيسية" and "العملاء المحتملون" in nav
    # The first nav entry is the rightmost one: the row reads from the right.
    first, second = [await page.locator("header nav a").nth(i).bounding_box() for i in (0, 1)]
    if first["y"] == second["y"]:
        assert first["x"] > second["x"]
    await context.close()


async def test_german_on_a_phone_and_a_users_own_language_over_the_browsers(browser, app, output_dir):
    context, page = await sign_in(browser, app, "ann", "phone", "de-DE")
    for path in ("/console", "/console/leads", "/console/analytics", "/console/campaigns/new"):
        await page.goto(f"http://127.0.0.1:{app.port}{path}")
        assert await page.evaluate("document.documentElement.lang") == "de"
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        wide = await page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
        )
        assert overflow <= 0, (path, overflow, wide)  # long German words wrap, nothing sideways
        await page.screenshot(path=output_dir / f"de-{path.strip('/').replace('/', '-')}-phone.png", full_page=True)
    assert await page.locator("header nav a").first.inner_text() == "Start"
    await page.goto(f"http://127.0.0.1:{app.port}/console/campaigns/new")
    await page.evaluate("document.querySelectorAll('details.locale').forEach((d) => { d.open = true; })")
    await page.fill("#message_de", "Hallo {{ first_name }}!")
    assert (
        "keine Vorlage: nur innerhalb des 24-Stunden-Fensters" in await page.locator('[data-preview="de"]').inner_text()
    )
    await page.fill("#template_de", "HX123")
    assert "Vorlage HX123: wird auch" in await page.locator('[data-preview="de"]').inner_text()
    await page.goto(f"http://127.0.0.1:{app.port}/console/account")
    await page.locator("#language").select_option("ja")
    await page.get_by_role("button", name="Speichern").click()
    await page.wait_for_load_state()
    assert await page.locator("p.alert.ok").inner_text() == "言語を保存しました。"
    await page.goto(f"http://127.0.0.1:{app.port}/console/leads")
    assert await page.locator("h1").inner_text() == "リード"  # the browser still asks for German
    await page.screenshot(path=output_dir / "ja-leads-phone.png", full_page=True)
    await context.close()


async def test_an_agent_lead_marks_a_lead_won_and_the_analytics_show_it(browser, app, output_dir):
    context, page = await sign_in(browser, app, "lee", "laptop", "en-US")
    await page.locator("header nav").get_by_role("link", name="Leads").click()
    await page.wait_for_url("**/console/leads")
    row = page.locator("#lead-lead1")
    await row.get_by_label("Outcome of ليلى حداد").select_option("won")
    await row.get_by_label("Value").fill("4800")
    await row.get_by_role("button", name="Save").click()
    await page.wait_for_load_state()
    assert await page.locator("p.alert.ok").inner_text() == "Outcome saved."
    assert "4800.00 SAR" in await page.locator("#lead-lead1").inner_text()
    await page.screenshot(path=output_dir / "en-leads-laptop.png", full_page=True)
    await app.analytics.flush()
    await page.goto(f"http://127.0.0.1:{app.port}/console/analytics")
    table = await page.locator("[data-test=leads-by-outcome]").inner_text()
    assert "spring-sale" in table and "4800" in table
    assert "Won leads: 1, worth 4800.00 SAR." in await page.locator(".roi").inner_text()
    await page.wait_for_function("document.querySelector('#leads') && Chart.getChart('leads') !== undefined")
    await page.screenshot(path=output_dir / "en-analytics-leads-laptop.png", full_page=True)
    await context.close()
