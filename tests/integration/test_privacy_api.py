"""Privacy requests through the admin API of a whole app (SQLite store, a recording channel, a
moved clock): the issue's reproduction (an erased person's campaign sends and audience entries
must go), the audit log and its filters, and bad input: unknown people, bad ids, bad reasons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiohttp import ClientSession
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.schedule.store import PersonEntry, campaign_send_id
from parley.core.storage.sqlite import SQLiteStore

from parley.app import Bot
from parley.testing.fakes.recording import RecordingChannel
from tests.conftest import eventually

TOKEN = "s3cret-admin-token"
MONDAY_1030 = datetime(2026, 1, 5, 10, 30, tzinfo=UTC).timestamp()
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ANN = Address(channel="rec", chat="c1", user="u1")
BOB = Address(channel="rec", chat="c2", user="u2")


@pytest.fixture
async def app(make_settings, tmp_path):
    clock = ManualClock(MONDAY_1030)
    store = SQLiteStore(tmp_path / "privacy.db", clock=clock)
    async with Bot(make_settings(admin_token=TOKEN), clock=clock, store=store, channels=[RecordingChannel]) as parley:
        parley.test_clock = clock
        yield parley


async def api(app: Bot, method: str, path: str, body=None, headers=AUTH):
    async with ClientSession() as http:
        async with http.request(method, f"http://127.0.0.1:{app.port}{path}", json=body, headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)


async def talked(app: Bot, address: Address, n: int = 1) -> None:
    await app.engine.deliver(Inbound(address=address, event_id=f"{address.user}-{n}", text="hello"))
    await eventually(lambda: app.store.state(address.conversation))
    entry = PersonEntry(address.person, address, "en", "", (), app.test_clock() - 60, True, f"Name {address.user}")
    await app.scheduler.sched.put_person(entry)


async def test_erase_takes_their_waiting_campaign_sends_and_their_place_in_audiences(app):
    """The issue's reproduction: after the erasure answered, two campaign sends still waited as
    due under the person's id, and the id stayed in the campaign's audience."""
    await talked(app, ANN)
    await talked(app, BOB)
    for name in ("spring", "autumn"):
        spec = {
            "id": name,
            "kind": "transactional",
            "messages": {"en": "Hello"},
            "window": {"days": ["tue"], "start": "10:00", "end": "12:00"},  # tomorrow: the sends wait
            "audience": {"persons": [ANN.person, BOB.person]},
        }
        assert (await api(app, "POST", "/api/campaigns", spec))[0] == 201
        assert (await api(app, "POST", f"/api/campaigns/{name}/start"))[0] == 200
    await app.scheduler.planner.step()
    for name in ("spring", "autumn"):
        assert await app.scheduler.sched.status(campaign_send_id(name, ANN.person)) == "due"

    status, body = await api(app, "DELETE", f"/api/people/{ANN.person}?reason=ticket%2042")
    assert status == 200 and body["removed"] >= 5 and body["conversations"] == 1

    for name in ("spring", "autumn"):
        assert await app.scheduler.sched.status(campaign_send_id(name, ANN.person)) is None
        assert await app.scheduler.sched.status(campaign_send_id(name, BOB.person)) == "due"
        _, sends = await api(app, "GET", f"/api/campaigns/{name}/sends")
        assert ANN.person not in str(sends) and BOB.person in str(sends)
        record = await app.scheduler.sched.campaign(name)
        assert record.spec["audience"]["persons"] == [BOB.person]
        assert (await app.scheduler.sched.progress(name))["skipped:erased"] == 1
    assert await app.store.state(ANN.conversation) == {} and await app.store.state(BOB.conversation) != {}
    # Idempotent: the second erasure finds nothing, and answers as for someone never seen.
    again = await api(app, "DELETE", f"/api/people/{ANN.person}")
    never = await api(app, "DELETE", "/api/people/rec:never-seen")
    assert again == never == (404, {"error": "no data held about this person"})


async def test_every_request_is_in_the_audit_log_with_who_why_and_no_id(app):
    await talked(app, ANN)
    await talked(app, BOB)
    status, export = await api(app, "GET", f"/api/people/{ANN.person}?reason=access%20request%207")
    assert status == 200 and export["identities"] == [ANN.person] and ANN.conversation in export["conversations"]
    assert (await api(app, "DELETE", f"/api/people/{BOB.person}", {"reason": "erasure request 8"}))[0] == 200

    status, log = await api(app, "GET", "/api/audit?action=person.")
    entries = log["entries"]
    assert status == 200 and [(e["action"], e["reason"], e["via"], e["actor"]) for e in entries] == [
        ("person.erase", "erasure request 8", "api", "admin-token"),
        ("person.export", "access request 7", "api", "admin-token"),
    ]
    assert ANN.person not in str(log) and BOB.person not in str(log)  # pseudonyms only
    # A data-protection officer finds one person's entries by their id.
    _, mine = await api(app, "GET", f"/api/audit?person={ANN.person}")
    assert [e["action"] for e in mine["entries"]] == ["person.export"]
    _, later = await api(app, "GET", f"/api/audit?since={app.test_clock() + 1}")
    assert later["entries"] == []
    # Append-only: the store has no call that rewrites an entry, and SQLite refuses an UPDATE.
    with pytest.raises(Exception, match="append-only"):
        app.store.db.execute("UPDATE audit SET body = '{}'")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "says"),
    [
        ("DELETE", "/api/people/no-colon", None, 400, "not a person id"),
        ("GET", "/api/people/rec:" + "x" * 400, None, 400, "not a person id"),
        ("DELETE", "/api/people/rec:%07bell", None, 400, "not a person id"),
        ("DELETE", "/api/people/rec:u1?reason=" + "r" * 501, None, 422, "longer than 500"),
        ("DELETE", "/api/people/rec:u1", {"reason": "two\nlines"}, 422, "control"),
        ("DELETE", "/api/people/rec:u1", {"reason": 42}, 422, "must be text"),
        ("GET", "/api/audit?limit=0", None, 400, "limit"),
        ("GET", "/api/audit?limit=many", None, 400, "whole numbers"),
        ("GET", "/api/audit?since=nan", None, 400, "limit"),
    ],
)
async def test_bad_input_gets_a_clear_4xx_and_loses_nothing(app, caplog, method, path, body, status, says):
    await talked(app, ANN)
    got, answer = await api(app, method, path, body)
    assert got == status and says in answer["error"]
    assert await app.store.state(ANN.conversation) != {}  # nothing erased by a refused request
    assert not [r for r in caplog.records if r.exc_info]  # a log line, never a traceback


async def test_a_malformed_body_is_a_400(app):
    await talked(app, ANN)
    async with ClientSession() as http:
        url = f"http://127.0.0.1:{app.port}/api/people/{ANN.person}"
        async with http.delete(url, data=b"\xff{not json", headers=AUTH) as resp:
            assert resp.status == 400
    assert await app.store.state(ANN.conversation) != {}
