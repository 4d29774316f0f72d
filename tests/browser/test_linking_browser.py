"""Linking in a real headless Chromium: the console's person page of a linked customer.
Screenshots at laptop and phone width."""

from __future__ import annotations

from parley.core.console.roles import Role
from parley.core.kernel.messages import Address
from parley.core.linking.links import link
from parley.core.schedule.store import PersonEntry

from parley.app import Bot
from tests.browser.test_console_browser import SIZES, sign_in
from tests.integration.console_support import add_user


async def test_the_console_person_page_shows_linked_channels(make_settings, browser, output_dir):
    ana = Address(channel="whatsapp", chat="+34600100200", user="+34600100200")
    web = Address(channel="web", chat="w-ana", user="w-ana")
    async with Bot(make_settings(store_url="memory://")) as app:
        await add_user(app, "ann", Role.ADMIN)
        for who, seen in ((ana, 1.7e9), (web, 1.7e9 + 60)):
            await app.scheduler.sched.put_person(
                PersonEntry(who.person, who, "es", "", ("vip",), seen, True, "Ana Pérez")
            )
            await app.store.save_profile(who.person, {"name": "Ana Pérez", "last_inbound": seen})
        await link(app.store, ana.person, web.person)
        for size in SIZES:
            context, page = await sign_in(browser, app, "ann", size)
            await page.goto(f"http://127.0.0.1:{app.port}/console/people/{web.person}")
            block = page.locator("dd", has=page.locator("a.chip"))
            assert await page.get_by_text("Linked channels").count() == 1
            assert await block.locator("a.chip").inner_text() == ana.person  # the other one, a link
            await page.screenshot(path=output_dir / f"console-person-linked-{size}.png", full_page=True)
            await page.locator("a.chip").click()
            await page.wait_for_selector(f"dd code:text-is('{ana.person}')")  # that person's own page
            await context.close()
