"""Per-user API tokens: made in the console (shown once, kept hashed), accepted by the admin API
with their owner's role, revoked at once; PARLEY_ADMIN_TOKEN still an admin; changes audited."""

from __future__ import annotations

import re

import pytest
from aiohttp import ClientSession
from parley.core.console.accounts import digest
from parley.core.console.roles import Role
from parley.core.kernel.messages import Address
from parley.core.schedule.store import PersonEntry

from parley.app import Bot
from tests.integration.console_support import add_user, client, page_csrf, sign_in

ADMIN_TOKEN = "admin-token-for-console-tests"
SECRET = re.compile(r'<code id="new-token">(pt_[A-Za-z0-9_-]+)</code>')


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(store_url="memory://", admin_token=ADMIN_TOKEN)) as parley:
        for name, role in (("ann", Role.ADMIN), ("vic", Role.VIEWER), ("lee", Role.AGENT_LEAD), ("mo", Role.MARKETER)):
            await add_user(parley, name, role)
        address = Address(channel="web", chat="c0", user="u0")  # someone for a campaign to reach
        await parley.scheduler.sched.put_person(PersonEntry(address.person, address, "en", "", (), 1.0, True))
        yield parley


async def token_for(app: Bot, name: str) -> str:
    base = f"http://127.0.0.1:{app.port}"
    async with client() as http:
        assert await sign_in(http, base, name) == 303
        csrf = await page_csrf(http, f"{base}/console/account")
        async with http.post(f"{base}/console/account/tokens", data={"csrf": csrf, "label": "script"}) as resp:
            found = SECRET.search(await resp.text())
    assert found, "the new token is shown once on the page"
    return found.group(1)


async def api(app: Bot, method: str, path: str, token: str, body=None) -> int:
    async with ClientSession() as http:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.request(method, f"http://127.0.0.1:{app.port}{path}", headers=headers, json=body) as resp:
            return resp.status


async def test_a_token_is_shown_once_and_stored_only_hashed(app):
    secret = await token_for(app, "vic")
    [stored] = await app.store.api_tokens("vic")
    assert stored.digest == digest(secret) and secret not in stored.to_json()
    base = f"http://127.0.0.1:{app.port}"
    async with client() as http:
        assert await sign_in(http, base, "vic") == 303
        async with http.get(f"{base}/console/account") as page:
            html = await page.text()
    assert secret not in html and stored.id in html


async def test_tokens_carry_their_owners_role(app):
    viewer, lead, marketer = await token_for(app, "vic"), await token_for(app, "lee"), await token_for(app, "mo")
    assert await api(app, "GET", "/api/campaigns", viewer) == 200
    spec = {"id": "c1", "kind": "transactional", "messages": {"en": "Hi"}, "templates": {"en": "HX1"}}
    assert await api(app, "POST", "/api/campaigns", viewer, spec) == 403  # a viewer cannot make campaigns
    assert await api(app, "POST", "/api/campaigns/c1/start", viewer) == 403  # nor start one
    assert await api(app, "GET", "/api/people/web:u1", lead) == 403  # an agent lead cannot export people
    assert await api(app, "POST", "/api/conversations/web:x:y/handoff", lead) == 404  # allowed, no such conversation
    assert await api(app, "POST", "/api/campaigns", marketer, spec) == 201
    assert await api(app, "POST", "/api/campaigns/c1/start", ADMIN_TOKEN) == 200  # the admin token still works
    assert await api(app, "GET", "/api/campaigns", "pt_made-up") == 403


async def test_a_revoked_or_orphaned_token_stops_at_once_and_changes_are_audited(app):
    secret = await token_for(app, "mo")
    spec = {"id": "c2", "kind": "transactional", "messages": {"en": "Hi"}, "templates": {"en": "HX1"}}
    assert await api(app, "POST", "/api/campaigns", secret, spec) == 201
    [entry] = [e for e in await app.store.audit_log(50) if e.action.startswith("api ")]
    assert (entry.actor, entry.action, entry.target) == ("mo", "api POST /api/campaigns", "/api/campaigns")
    await app.accounts.set_role("ann", "mo", Role.VIEWER)
    assert await api(app, "POST", "/api/campaigns/c2/start", secret) == 403  # a demotion applies to tokens
    [token] = await app.store.api_tokens("mo")
    assert await app.accounts.revoke_token("ann", "mo", token.id)
    assert await api(app, "GET", "/api/campaigns", secret) == 403
    other = await token_for(app, "vic")
    await app.accounts.remove("ann", "vic")
    assert await api(app, "GET", "/api/campaigns", other) == 403  # a removed user's tokens go with them
