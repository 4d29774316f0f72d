"""The campaign and analytics pages' roles and input: a viewer reads campaigns and analytics but
cannot create or start one (403, and no buttons for it), a start needs the CSRF token, a bad
campaign is refused with what to fix (422), and the analytics CSV downloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from parley.core.console.roles import Role
from parley.core.kernel.messages import Address
from parley.core.schedule.store import PersonEntry

from parley.app import Bot
from tests.integration.console_support import add_user, client, page_csrf, sign_in

TOMORROW = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()  # the bot runs on the real clock here
VIP = {"id": "vip", "name": "VIP", "tags": "vip", "when": "local", "starts_on": TOMORROW, "local_time": "10:00"}


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(scheduler={"enabled": False})) as bot:
        await add_user(bot, "mia", Role.MARKETER)
        await add_user(bot, "vic", Role.VIEWER)
        address = Address(channel="web", chat="c1", user="u1")
        await bot.scheduler.sched.put_person(PersonEntry(address.person, address, "en", "", ("VIP",), 1.0, True, "Ann"))
        yield bot


def base(app: Bot) -> str:
    return f"http://127.0.0.1:{app.port}"


async def test_a_marketer_creates_and_starts_a_viewer_only_reads(app):
    async with client() as http:
        assert await sign_in(http, base(app), "mia") == 303
        csrf = await page_csrf(http, f"{base(app)}/console/campaigns/new")
        bad = {**VIP, "csrf": csrf, "action": "create", "message_en": "Hi {{ user.password }}"}
        async with http.post(f"{base(app)}/console/campaigns/new", data=bad) as resp:
            assert resp.status == 422 and "messages.en" in await resp.text()
        good = {**VIP, "csrf": csrf, "action": "create", "message_en": "Hi {{ first_name }}"}
        async with http.post(f"{base(app)}/console/campaigns/new", data=good) as resp:
            assert resp.status == 200 and str(resp.url).endswith("/console/campaigns/vip")
        async with http.post(f"{base(app)}/console/campaigns/vip/start", data={}) as resp:
            assert resp.status == 403  # no CSRF token: refused
        async with http.post(f"{base(app)}/console/campaigns/vip/start", data={"csrf": csrf}) as resp:
            assert resp.status == 200
        assert (await app.scheduler.sched.campaign("vip")).status == "running"
    async with client() as http:
        assert await sign_in(http, base(app), "vic") == 303
        async with http.get(f"{base(app)}/console/campaigns/vip") as resp:
            html = await resp.text()
            assert resp.status == 200 and "Pause" not in html and "Send test" not in html
        csrf = await page_csrf(http, f"{base(app)}/console/campaigns")
        async with http.post(f"{base(app)}/console/campaigns/vip/pause", data={"csrf": csrf}) as resp:
            assert resp.status == 403
        async with http.get(f"{base(app)}/console/campaigns/new") as resp:
            assert resp.status == 403
        assert (await app.scheduler.sched.campaign("vip")).status == "running"
        async with http.get(f"{base(app)}/console/analytics.csv?from=2026-01-01&to=2026-01-03") as resp:
            assert resp.status == 200 and (await resp.text()).startswith("start,conversations,contained")
        async with http.get(f"{base(app)}/console/analytics?from=nope") as resp:
            assert resp.status == 400 and "from/to" in await resp.text()
