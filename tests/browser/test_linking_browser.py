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


async def test_an_operator_links_changes_consent_and_unlinks_on_the_person_page(make_settings, browser, output_dir):
    ana = Address(channel="whatsapp", chat="+34600100200", user="+34600100200")
    web = Address(channel="web", chat="w" + "3f2a" * 8, user="w" + "3f2a" * 8)  # as long as a real one
    async with Bot(make_settings(store_url="memory://")) as app:
        await add_user(app, "ann", Role.ADMIN)
        for who in (ana, web):
            await app.scheduler.sched.put_person(PersonEntry(who.person, who, "es", "", (), 1.7e9, None, "Ana Pérez"))
            await app.store.save_profile(who.person, {"name": "Ana Pérez", "last_inbound": 1.7e9})
        for size in SIZES:
            context, page = await sign_in(browser, app, "ann", size)
            await page.goto(f"http://127.0.0.1:{app.port}/console/people/{ana.person}")
            linking = page.locator("form.link")
            await linking.get_by_label("Identity to link").fill(web.person)
            await linking.get_by_label("Reason").fill("ticket 4711: the customer asked by email")
            await linking.get_by_role("button", name="Link").click()
            await page.wait_for_selector("text=Linked.")
            assert await app.store.identities(ana.person) == [ana.person, web.person]

            web_consent = page.locator(f'.consent[data-identity="{web.person}"] form')
            await web_consent.get_by_label("Change consent").select_option("opt_in")
            await web_consent.get_by_label("Reason").fill("opted in on the paper form")
            await web_consent.get_by_role("button", name="Change consent").click()
            await page.wait_for_selector("text=Consent changed.")
            shown = page.locator(f'.consent[data-identity="{web.person}"] strong')
            assert await shown.inner_text() == "yes"
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (size, overflow)  # a phone never scrolls sideways, long ids and all
            await page.screenshot(path=output_dir / f"console-person-link-consent-{size}.png", full_page=True)

            unlinking = page.locator("form.unlink", has=page.locator(f'input[value="{web.person}"]'))
            await unlinking.get_by_label("Reason").fill("linked by mistake")
            await unlinking.get_by_role("button", name=f"Unlink {web.person}").click()
            await page.wait_for_selector("text=Unlinked.")
            assert await app.store.identities(ana.person) == [ana.person]
            assert await page.locator("form.unlink").count() == 0  # one identity: nothing to unlink
            await context.close()
        actions = [(e.action, e.via) for e in await app.store.audit_log(20) if e.action.startswith("person.")]
        assert actions == [("person.unlink", "console"), ("person.consent", "console"), ("person.link", "console")] * 2
