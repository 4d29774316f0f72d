"""The People pages: search from the index, a profile with tags and consent history, tag and
untag whatever the case, export for those who may, erase for admins; every change audited."""

from __future__ import annotations

import json
import uuid

import pytest
from parley.core.console.roles import Role
from parley.core.kernel.messages import Address
from parley.core.schedule.people_search import PeopleQuery
from parley.core.schedule.store import PersonEntry

from parley.app import Bot
from tests.contract.twilio_harness import forget
from tests.integration.console_support import add_user, client, page_csrf, sign_in

ANN = Address(channel="sms", chat="+15550100", user="+15550100")
BOB = Address(channel="telegram", chat="42", user="42")


@pytest.fixture(params=["memory", "redis"])
async def app(request, make_settings):
    """The pages on the in-memory store and on Redis (its people search is an index of its own)."""
    if request.param == "redis":
        redis_url = request.getfixturevalue("redis_url")
        prefix = f"console-{uuid.uuid4().hex[:8]}"
        settings = make_settings(store_url=f"{redis_url}?prefix={prefix}")
    else:
        settings = make_settings(store_url="memory://")
    try:
        async with Bot(settings) as parley:
            await seed(parley)
            yield parley
    finally:
        if request.param == "redis":
            await forget(redis_url, prefix)


async def seed(parley: Bot) -> None:
    for name, role in (("ann", Role.ADMIN), ("mo", Role.MARKETER), ("lee", Role.AGENT_LEAD), ("vic", Role.VIEWER)):
        await add_user(parley, name, role)
    sched = parley.scheduler.sched
    await sched.put_person(PersonEntry(ANN.person, ANN, "es", "", ("vip",), 1.0e9, False, "Ana Pérez"))
    await sched.put_person(PersonEntry(BOB.person, BOB, "en", "", (), 1.0e9, None, "Bob Stone"))
    history = [{"marketing": True, "at": "2026-01-02T10:00:00", "source": "sms:start"}]
    consent = {"marketing": False, "at": "2026-03-04T09:00:00", "source": "sms:stop", "history": history}
    await parley.store.save_profile(ANN.person, {"name": "Ana Pérez", "tags": ["vip"], "consent": consent})


def url(app: Bot, path: str) -> str:
    return f"http://127.0.0.1:{app.port}{path}"


async def test_search_lists_who_matches(app):
    async with client() as http:
        assert await sign_in(http, url(app, ""), "lee") == 303
        async with http.get(url(app, "/console/people"), params={"q": "ana"}) as resp:
            html = await resp.text()
        assert resp.status == 200 and "Ana Pérez" in html and "Bob Stone" not in html
        async with http.get(url(app, "/console/people"), params={"tag": "VIP", "channel": "sms"}) as resp:
            html = await resp.text()
        assert "Ana Pérez" in html and "Bob Stone" not in html
        async with http.get(url(app, f"/console/people/{ANN.person}")) as resp:
            html = await resp.text()
        assert resp.status == 200 and "opted out" in html and "sms:start" in html  # consent and its history
        assert "/export" not in html and "Add tag" not in html  # an agent lead reads, never exports or edits


async def test_tags_are_one_whatever_their_case_and_reach_the_index(app):
    async with client() as http:
        assert await sign_in(http, url(app, ""), "mo") == 303
        page = url(app, f"/console/people/{BOB.person}")
        csrf = await page_csrf(http, page)
        for tag in ("Gold", "gold", "GOLD"):
            async with http.post(f"{page}/tags", data={"csrf": csrf, "tag": tag}) as resp:
                assert resp.status == 200 and "Tag added." in await resp.text()
        assert (await app.scheduler.sched.person(BOB.person)).tags == ("Gold",)
        found = await app.scheduler.sched.find_people(PeopleQuery(tag="gold"), 10)
        assert [e.person for e in found] == [BOB.person]
        async with http.post(f"{page}/untag", data={"csrf": csrf, "tag": "gOLD"}) as resp:
            assert resp.status == 200
        assert (await app.scheduler.sched.person(BOB.person)).tags == ()
        actions = [(e.actor, e.action, e.detail) for e in await app.store.audit_log(10)]
        assert ("mo", "person.tag", "GOLD") in actions and ("mo", "person.untag", "gOLD") in actions


async def test_who_may_export_and_erase(app):
    export = url(app, f"/console/people/{ANN.person}/export")
    async with client() as http:
        assert await sign_in(http, url(app, ""), "lee") == 303
        async with http.get(export) as resp:
            assert resp.status == 403  # an agent lead cannot export people
    async with client() as http:
        assert await sign_in(http, url(app, ""), "vic") == 303
        async with http.get(url(app, "/console/people")) as resp:
            assert resp.status == 403  # a viewer reads reports, not people
    async with client() as http:
        assert await sign_in(http, url(app, ""), "mo") == 303
        async with http.get(export) as resp:
            assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
            body = json.loads(await resp.text())
        assert body["profiles"][ANN.person]["name"] == "Ana Pérez" and body["index"][ANN.person]["locale"] == "es"
        csrf = await page_csrf(http, url(app, f"/console/people/{ANN.person}"))
        async with http.post(url(app, f"/console/people/{ANN.person}/erase"), data={"csrf": csrf}) as resp:
            assert resp.status == 403  # erasure is an admin's
    async with client() as http:
        assert await sign_in(http, url(app, ""), "ann") == 303
        csrf = await page_csrf(http, url(app, f"/console/people/{ANN.person}"))
        erase = url(app, f"/console/people/{ANN.person}/erase")
        async with http.post(erase, data={"csrf": csrf, "reason": "x" * 501}) as resp:
            assert resp.status == 422 and "at most 500" in await resp.text()  # nothing erased
        assert await app.store.profile(ANN.person)
        async with http.post(erase, data={"csrf": csrf, "reason": "ticket 7"}) as resp:
            assert resp.status == 200 and "Erased." in await resp.text()
        async with http.get(url(app, f"/console/people/{ANN.person}")) as resp:
            assert resp.status == 404
    assert await app.scheduler.sched.person(ANN.person) is None and await app.store.profile(ANN.person) == {}
    actions = [(e.actor, e.action, e.reason, e.via) for e in await app.store.audit_log(20)]
    assert ("mo", "person.export", "", "console") in actions and (
        "ann",
        "person.erase",
        "ticket 7",
        "console",
    ) in actions
    assert not any(ANN.person in e.to_json() for e in await app.store.audit_log(20))  # named by pseudonym only


CSV = (
    "channel,chat,locale,tags,consent,name,plan\n"
    "sms,+15550100,,VIP;gold,,,\n"  # Ana, known: tags added once whatever their case
    "whatsapp,+34600100300,es,new,yes,Luz Díaz,pro\n"
    ",missing-channel,,,,,\n"
    "sms,+15550199,,,,Tim,\n"
).encode()


async def upload(http, app: Bot, dry: bool):
    from aiohttp import FormData

    csrf = await page_csrf(http, url(app, "/console/people/import"))
    form = FormData()
    form.add_field("csrf", csrf)
    form.add_field("file", CSV, filename="people.csv", content_type="text/csv")
    if dry:
        form.add_field("dry_run", "on")
    async with http.post(url(app, "/console/people/import"), data=form) as resp:
        return resp.status, await resp.text()


async def test_a_csv_import_is_checked_in_a_dry_run_then_merged(app):
    sched = app.scheduler.sched
    async with client() as http:
        assert await sign_in(http, url(app, ""), "lee") == 303
        async with http.get(url(app, "/console/people/import")) as resp:
            assert resp.status == 403  # agent leads do not change people
    async with client() as http:
        assert await sign_in(http, url(app, ""), "mo") == 303
        status, html = await upload(http, app, dry=True)
        assert status == 200 and "Dry run: nothing was changed" in html
        assert "3 people in the file: 2 new, 1 already known." in html
        assert "people.csv:4: channel and chat are required" in html and "Luz Díaz" in html
        assert await sched.person("whatsapp:+34600100300") is None
        assert (await sched.person(ANN.person)).tags == ("vip",)
        status, html = await upload(http, app, dry=False)
        assert status == 200 and "Imported" in html
    luz = await sched.person("whatsapp:+34600100300")
    assert luz.name == "Luz Díaz" and luz.consent is True and luz.fields == {"plan": "pro"}
    ana = await sched.person(ANN.person)
    assert ana.tags == ("vip", "gold") and ana.name == "Ana Pérez" and ana.last_seen == 1.0e9  # merged, kept
    [entry] = [e for e in await app.store.audit_log(10) if e.action == "people.import"]
    assert (entry.actor, entry.target, entry.detail) == ("mo", "people.csv", "3 rows, 1 refused")
