"""Privacy requests in the console, in a real headless Chromium: an admin exports a person with a
reason (a JSON download), erases them with a reason, and finds both in the audit log by the
person's id; a reason too long is refused on the page; screenshots at laptop and phone size."""

from __future__ import annotations

import json
from urllib.parse import quote

from tests.browser.test_console_browser import ANA, SIZES, app, sign_in  # noqa: F401 (app: a fixture)


async def test_an_admin_exports_and_erases_with_a_reason_and_finds_it_audited(browser, app, output_dir):  # noqa: F811
    context, page = await sign_in(browser, app, "ann")
    await page.goto(f"http://127.0.0.1:{app.port}/console/people/{ANA.person}")
    export = page.locator('form[action$="/export"]')  # the page has other reasons (consent, linking)
    await export.get_by_label("Reason").fill("access request 118")
    async with page.expect_download() as download:
        await export.get_by_role("button", name="Export").click()
    body = json.loads((await (await download.value).path()).read_text())
    assert body["index"][ANA.person]["name"] == "Ana Pérez" and body["identities"] == [ANA.person]

    page.on("dialog", lambda dialog: dialog.accept())  # the erase form asks to confirm
    await page.get_by_label("Reason").last.fill("x" * 500 + "y")  # maxlength stops the typing at 500
    assert len(await page.get_by_label("Reason").last.input_value()) == 500
    await page.get_by_label("Reason").last.fill("erasure request 119")
    await page.get_by_role("button", name="Erase").click()
    await page.wait_for_url(f"http://127.0.0.1:{app.port}/console/people/*/erase")
    assert "Erased." in await page.content()
    assert await app.scheduler.sched.person(ANA.person) is None

    for size in SIZES:
        view = await context.new_page()
        await view.set_viewport_size(SIZES[size])
        await view.goto(f"http://127.0.0.1:{app.port}/console/audit?person={quote(ANA.person)}")
        rows = await view.locator("tbody tr").all_inner_texts()
        assert len(rows) == 2 and "erasure request 119" in rows[0] and "access request 118" in rows[1]
        assert all("console" in r and "person#" in r and ANA.person not in r for r in rows)
        await view.screenshot(path=output_dir / f"console-audit-filtered-{size}.png", full_page=True)
        overflow = await view.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (size, overflow)
        await view.close()
    await context.close()


async def test_the_person_page_asks_for_a_reason_at_phone_size(browser, app, output_dir):  # noqa: F811
    context, page = await sign_in(browser, app, "ann", "phone")
    await page.goto(f"http://127.0.0.1:{app.port}/console/people/{ANA.person}")
    section = page.locator("section", has=page.get_by_role("heading", name="Personal data"))
    await section.scroll_into_view_if_needed()
    await section.screenshot(path=output_dir / "console-person-privacy-phone.png")
    assert await section.get_by_label("Reason").count() == 2
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    await context.close()
