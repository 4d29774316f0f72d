"""The console in a real headless Chromium (Debian's): signing in with the keyboard, what each
role sees, a forged cross-site form refused, and a screenshot of every page at laptop
(1366x768) and phone (390x844) size in the test output folder (tests/browser/conftest.py)."""

from __future__ import annotations

import pytest
from aiohttp import web
from parley.core.console.roles import Role
from parley.core.kernel.messages import Address, Inbound
from parley.core.schedule.store import PersonEntry

from parley.app import Bot
from tests.conftest import eventually
from tests.integration.console_support import PASSWORD, add_user

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
CHAT = Address(channel="web", chat="w1", user="w1")
ANA = Address(channel="whatsapp", chat="+34600100200", user="+34600100200")
PAGES = {
    "home": "/console",
    "people": "/console/people",
    "person": f"/console/people/{ANA.person}",
    "import": "/console/people/import",
    "conversations": "/console/conversations",
    "transcript": f"/console/conversations/{CHAT.conversation}",
    "users": "/console/users",
    "account": "/console/account",
    "audit": "/console/audit",
}


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(store_url="memory://")) as parley:
        for name, role in (("ann", Role.ADMIN), ("vic", Role.VIEWER), ("lee", Role.AGENT_LEAD)):
            await add_user(parley, name, role)
        sched = parley.scheduler.sched
        await sched.put_person(
            PersonEntry(ANA.person, ANA, "es", "Europe/Madrid", ("vip", "wholesale"), 1.7e9, True, "Ana Pérez")
        )
        for n in range(12):
            who = Address(channel=("sms", "telegram", "web")[n % 3], chat=f"{n}", user=f"+1555010{n:02d}")
            await sched.put_person(
                PersonEntry(
                    who.person, who, "en", "", ("vip",) if n % 4 == 0 else (), 1.7e9, n % 2 == 0, f"Customer {n}"
                )
            )
        await parley.engine.deliver(Inbound(address=CHAT, event_id="e1", text="How long does delivery take?"))
        await eventually(lambda: parley.scheduler.sched.person(CHAT.person))
        yield parley


async def sign_in(browser, app: Bot, name: str, size: str = "laptop"):
    context = await browser.new_context(viewport=SIZES[size], locale="en-US")
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{app.port}/console")
    assert page.url.endswith("/console/login?next=/console")
    await page.get_by_label("User name").fill(name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"http://127.0.0.1:{app.port}/console")  # exact: the login URL ends in next=/console
    return context, page


async def test_every_page_at_laptop_and_phone_size(browser, app, output_dir):
    for size in SIZES:
        context, page = await sign_in(browser, app, "ann", size)
        for name, path in PAGES.items():
            response = await page.goto(f"http://127.0.0.1:{app.port}{path}")
            assert response.status == 200, path
            await page.screenshot(path=output_dir / f"console-{name}-{size}.png", full_page=True)
            # Nothing wider than the screen: a phone never scrolls sideways (tables scroll inside).
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, size, overflow)
        await context.close()
    context = await browser.new_context(viewport=SIZES["phone"], locale="en-US")
    page = await context.new_page()
    await page.goto(f"http://127.0.0.1:{app.port}/console/login")
    await page.screenshot(path=output_dir / "console-login-phone.png", full_page=True)
    await context.close()


async def test_the_keyboard_reaches_the_skip_link_first_and_focus_is_visible(browser, app):
    context, page = await sign_in(browser, app, "ann")
    await page.keyboard.press("Tab")
    focused = await page.evaluate(
        "[document.activeElement.className, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == ["skip", "solid"]
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    await context.close()


async def test_what_each_role_sees(browser, app):
    context, page = await sign_in(browser, app, "vic")
    nav = await page.locator("header nav a").all_inner_texts()
    # Reports (campaign results, analytics) but no People, Users or Audit log for a viewer.
    assert nav == ["Home", "Campaigns", "Analytics", "My account"]
    response = await page.goto(f"http://127.0.0.1:{app.port}/console/users")
    assert response.status == 403
    assert await page.locator("h1").inner_text() == "Not allowed"
    await context.close()
    context, page = await sign_in(browser, app, "ann")
    assert "Users" in await page.locator("header nav a").all_inner_texts()
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"http://127.0.0.1:{app.port}/console/login")
    await page.goto(f"http://127.0.0.1:{app.port}/console/users")
    assert "/console/login" in page.url  # signed out for real
    await context.close()


async def test_an_admin_adds_a_user_and_it_is_audited(browser, app):
    context, page = await sign_in(browser, app, "ann")
    await page.goto(f"http://127.0.0.1:{app.port}/console/users")
    await page.locator("#new-username").fill("mo")
    await page.locator("#new-role").select_option("marketer")
    await page.locator("#new-password").fill("a marketer's passphrase")
    await page.get_by_role("button", name="Add a user").click()
    assert "User added." in await page.locator("[role=status]").inner_text()
    assert (await app.store.account("mo")).role == "marketer"
    await page.goto(f"http://127.0.0.1:{app.port}/console/audit")
    first = page.locator("tbody tr").first
    assert "user.add" in await first.inner_text() and "mo" in await first.inner_text()
    await context.close()


async def test_a_form_on_another_site_cannot_make_changes(browser, app, unused_tcp_port):
    """A page elsewhere posts to the console while the admin is signed in: the browser sends the
    cookie (same site: only the port differs), the console refuses it (no token, wrong origin)."""
    forged = (
        f'<form id="f" method="post" action="http://127.0.0.1:{app.port}/console/users">'
        '<input name="username" value="eve"><input name="role" value="admin">'
        '<input name="password" value="evil passphrase!"></form>'
        "<script>document.getElementById('f').submit()</script>"
    )

    async def forged_page(request: web.Request) -> web.Response:
        return web.Response(text=forged, content_type="text/html")

    evil = web.Application()
    evil.router.add_get("/", forged_page)
    runner = web.AppRunner(evil)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        context, page = await sign_in(browser, app, "ann")
        async with page.expect_response("**/console/users") as posted:
            await page.goto(f"http://127.0.0.1:{unused_tcp_port}/")
        assert (await posted.value).status == 403
        assert await app.store.account("eve") is None
        await context.close()
    finally:
        await runner.cleanup()


async def test_an_agent_lead_reads_people_but_cannot_export_them(browser, app):
    context, page = await sign_in(browser, app, "lee")
    await page.get_by_role("link", name="People").first.click()
    await page.get_by_role("link", name="Ana Pérez").click()
    assert await page.locator("h1").inner_text() == "Ana Pérez"
    assert await page.get_by_role("link", name="Export").count() == 0
    response = await page.goto(f"http://127.0.0.1:{app.port}/console/people/{ANA.person}/export")
    assert response.status == 403
    await context.close()
