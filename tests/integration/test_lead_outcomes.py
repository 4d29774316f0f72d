"""Leads and their outcome: a handler's lead is kept as an open LeadRecord; the admin API (with
role checks) and ``bot.py leads`` record won (with a value) or lost; the analytics count leads by
source and outcome and the won value; a changed decision is counted once, as it stands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiohttp import ClientSession
from parley.core.analytics.store import ALL
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.storage.sqlite import SQLiteStore

from parley import Bot, Router, Turn
from parley.testing.fakes.recording import RecordingChannel
from tests.conftest import eventually
from tests.integration.test_cli import bot as run_cli

TOKEN = "admin-token-for-leads"
DAY = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


async def call(app: Bot, method: str, path: str, body=None, token: str = TOKEN):
    async with ClientSession() as http:
        url = f"http://127.0.0.1:{app.port}{path}"
        async with http.request(method, url, headers={"Authorization": f"Bearer {token}"}, json=body) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def app(make_settings, tmp_path):
    clock = ManualClock(DAY.timestamp())
    router = Router()

    @router.command("/quote")
    async def quote(turn: Turn, *, what: str) -> None:
        turn.lead(name="Ana Ruiz", need=what, contact="ana@example.com")
        turn.say("Someone will call you.")

    store = SQLiteStore(tmp_path / "leads.db", clock=clock)
    settings = make_settings(admin_token=TOKEN, analytics={"currency": "EUR"})
    async with Bot(settings, clock=clock, store=store, routers=[router], channels=[RecordingChannel]) as parley:
        for n in (1, 2):
            address = Address(channel="rec", chat=f"c{n}", user=f"u{n}")
            await parley.engine.deliver(Inbound(address=address, event_id=f"m{n}", text="/quote 40 chairs"))
        await eventually(lambda: len_leads(parley, 2), timeout=20)
        yield parley


async def len_leads(parley: Bot, n: int) -> bool:
    return len(await parley.store.leads(None, 0, 10)) == n


async def report(parley: Bot) -> dict:
    await parley.analytics.flush()
    status, body = await call(parley, "GET", "/api/analytics?from=2026-03-10&to=2026-03-10")
    assert status == 200
    return body


async def test_a_handlers_lead_is_kept_open_with_its_source(app):
    status, body = await call(app, "GET", "/api/leads")
    assert status == 200 and body["next"] is None
    assert {x["person"] for x in body["leads"]} == {"rec:u1", "rec:u2"}
    lead = body["leads"][0]
    assert (lead["outcome"], lead["source"], lead["name"], lead["value"]) == ("open", "rec", "Ana Ruiz", None)
    assert (await call(app, "GET", f"/api/leads/{lead['id']}"))[1] == lead
    assert (await call(app, "GET", "/api/leads/nope"))[0] == 404


async def test_won_and_lost_are_recorded_and_counted_by_source_and_outcome(app):
    first, second = sorted(x["id"] for x in (await call(app, "GET", "/api/leads"))[1]["leads"])
    status, won = await call(app, "POST", f"/api/leads/{first}/outcome", {"outcome": "won", "value": 1200.5})
    assert status == 200
    assert (won["outcome"], won["value"], won["currency"], won["set_by"]) == ("won", 1200.5, "EUR", "admin-token")
    assert (await call(app, "POST", f"/api/leads/{second}/outcome", {"outcome": "lost"}))[0] == 200
    assert [x["id"] for x in (await call(app, "GET", "/api/leads?outcome=won"))[1]["leads"]] == [first]
    body = await report(app)
    assert body["leads_by_outcome"] == [
        {"source": "rec", "leads": 2, "won": 1, "lost": 1, "open": 0, "won_value": 1200.5}
    ]
    assert (body["totals"]["leads_won"], body["totals"]["leads_lost"], body["roi"]["won_value"]) == (1, 1, 1200.5)
    # Changed minds: the lost one is won after all, the won one re-valued. Counted as they stand.
    await call(app, "POST", f"/api/leads/{second}/outcome", {"outcome": "won", "value": 300})
    await call(app, "POST", f"/api/leads/{first}/outcome", {"outcome": "won", "value": 1000})
    body = await report(app)
    assert body["leads_by_outcome"][0] | {} == {
        "source": "rec",
        "leads": 2,
        "won": 2,
        "lost": 0,
        "open": 0,
        "won_value": 1300.0,
    }
    rows = await app.analytics_store.rows("2026-03-10", "2026-03-10", "rec", ALL, ALL)
    assert sum(r.value for r in rows if r.metric == "lead_won") == 2  # the channel's rollup agrees
    audit = [e.action for e in await app.store.audit_log(10)]
    assert audit.count("api POST /api/leads/{id}/outcome") == 4


async def test_bad_outcomes_are_refused_with_what_to_fix(app):
    lead = (await call(app, "GET", "/api/leads"))[1]["leads"][0]["id"]
    for body, fix in [
        ({"outcome": "maybe"}, "open, won or lost"),
        ({"outcome": "won", "value": "lots"}, "must be a number"),
        ({"outcome": "won", "value": -5}, "between 0"),
        ({"outcome": "won", "value": 1e300}, "between 0"),
        ({"outcome": "won", "value": 5, "currency": "euros"}, "three-letter"),
    ]:
        status, answer = await call(app, "POST", f"/api/leads/{lead}/outcome", body)
        assert status == 422 and fix in answer["error"], (body, answer)
    assert (await call(app, "POST", f"/api/leads/{lead}/outcome", ["won"]))[0] == 400
    assert (await call(app, "POST", "/api/leads/nope/outcome", {"outcome": "won"}))[0] == 404
    assert (await call(app, "GET", "/api/leads?outcome=maybe"))[0] == 400
    assert (await app.store.lead(lead)).outcome == "open"  # nothing refused was kept


async def test_roles_a_marketer_reads_leads_an_agent_lead_decides_a_viewer_neither(app):
    tokens = {}
    for name, role in (("mia", "marketer"), ("lee", "agent_lead"), ("vic", "viewer")):
        from parley.core.console.roles import Role

        await app.accounts.store.save_account(await _account(app, name, Role(role)))
        tokens[name], _ = await app.accounts.create_token("test", name)
    lead = (await call(app, "GET", "/api/leads"))[1]["leads"][0]["id"]
    assert (await call(app, "GET", "/api/leads", token=tokens["mia"]))[0] == 200
    assert (await call(app, "POST", f"/api/leads/{lead}/outcome", {"outcome": "won"}, tokens["mia"]))[0] == 403
    assert (await call(app, "GET", "/api/leads", token=tokens["vic"]))[0] == 403
    status, body = await call(app, "POST", f"/api/leads/{lead}/outcome", {"outcome": "won"}, tokens["lee"])
    assert status == 200 and body["set_by"] == "lee"


async def _account(app: Bot, name: str, role):
    from parley.core.storage.accounts import Account

    return Account(name, role.value, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", app.clock())


async def test_erasing_a_person_erases_their_leads_and_export_has_them(app):
    status, body = await call(app, "GET", "/api/people/rec:u1")
    assert status == 200 and [x["name"] for x in body["leads"]] == ["Ana Ruiz"]
    assert (await call(app, "DELETE", "/api/people/rec:u1"))[0] == 200
    assert [x["person"] for x in (await call(app, "GET", "/api/leads"))[1]["leads"]] == ["rec:u2"]


def test_the_leads_command_lists_sets_and_refuses(tmp_path):
    path = tmp_path / "cli.db"

    async def seed() -> str:
        from parley.testing.contracts.leads import lead

        store = SQLiteStore(path)
        await store.open()
        await store.put_lead(lead(1, person="web:ana"))
        await store.close()
        return "lead1"

    lead_id = asyncio.run(seed())
    env = {"PARLEY_STORE_URL": f"sqlite:///{path}", "PARLEY_ANALYTICS__CURRENCY": "EUR"}
    listed = run_cli("leads", "list", env=env)
    assert listed.returncode == 0 and "lead1" in listed.stdout and "\topen" in listed.stdout
    done = run_cli("leads", "set", lead_id, "won", "--value", "99.90", env=env)
    assert done.returncode == 0, done.stderr
    assert "won 99.90 EUR (by cli" in done.stdout
    assert "lead1" in run_cli("leads", "list", "won", env=env).stdout
    assert run_cli("leads", "list", "lost", env=env).stdout == ""
    for args, fix in [
        (("set", lead_id, "maybe"), "open, won or lost"),
        (("set", lead_id, "won", "--value", "ten"), "must be a number"),
        (("set", "nope", "won"), "no lead"),
        (("list", "maybe"), "not open, won or lost"),
    ]:
        refused = run_cli("leads", *args, env=env)
        assert refused.returncode == 2 and fix in refused.stderr and "Traceback" not in refused.stderr, args

    async def check() -> None:
        from parley.core.analytics.sqlite import SQLiteAnalyticsStore

        store = SQLiteStore(path)
        await store.open()
        analytics = SQLiteAnalyticsStore(path, share=store)
        await analytics.open()
        try:
            assert [e.actor for e in await store.audit_log(10)] == ["cli"]
            rows = await analytics.rows("2000-01-01", "2100-01-01", ALL, ALL, ALL)
            assert {r.metric: r.value for r in rows} == {"lead_won": 1, "lead_value": 9990}
        finally:
            await analytics.close()
            await store.close()

    asyncio.run(check())
