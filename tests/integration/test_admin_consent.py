"""An operator changes a person's marketing consent, per channel, through the admin API: the
change reaches everything a send reads (the profile's per-identity record with its history, the
channel's consent record, the people index), is in the audit log by pseudonym with who, via and
why, and bad input gets a clear 4xx with nothing changed."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest
from aiohttp import ClientSession
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.linking.channels import consent_of
from parley.core.schedule.store import PersonEntry
from parley.core.storage.sqlite import SQLiteStore

from parley.app import Bot
from parley.testing.fakes.recording import RecordingChannel
from tests.conftest import eventually
from tests.integration.test_privacy_api import AUTH, MONDAY_1030, TOKEN

ANN = Address(channel="rec", chat="c1", user="u1")
ANN_SMS = "sms:+15550100"  # Ann's second channel, linked by an operator
IMPORTED = Address(channel="sms", chat="+15550199", user="+15550199")  # on a list, never wrote


@pytest.fixture
async def app(make_settings, tmp_path):
    clock = ManualClock(MONDAY_1030)
    store = SQLiteStore(tmp_path / "consent.db", clock=clock)
    async with Bot(make_settings(admin_token=TOKEN), clock=clock, store=store, channels=[RecordingChannel]) as parley:
        await parley.engine.deliver(Inbound(address=ANN, event_id="e1", text="hello"))
        await eventually(lambda: parley.scheduler.sched.person(ANN.person))
        link = {"identity": ANN_SMS, "reason": "same customer, ticket 12"}
        assert (await api(parley, "POST", f"/api/people/{ANN.person}/identities", link))[0] == 200
        await parley.scheduler.sched.put_person(PersonEntry(IMPORTED.person, IMPORTED, "en", consent=None))
        yield parley


async def api(app: Bot, method: str, path: str, body=None, raw: bytes | None = None):
    async with ClientSession() as http:
        kwargs = {"data": raw} if raw is not None else {"json": body}
        url = f"http://127.0.0.1:{app.port}{path}"
        async with http.request(method, url, headers=AUTH, **kwargs) as resp:
            return resp.status, await resp.json(content_type=None)


async def test_an_opt_out_reaches_every_record_a_send_reads_and_the_audit_log(app):
    store = app.store
    change = {"channel": "rec", "consent": "opt_out", "reason": "asked by phone, call 881"}
    status, body = await api(app, "POST", f"/api/people/{ANN.person}/consent", change)
    assert status == 200
    assert body["person"] == ANN.person and body["identity"] == ANN.person and body["marketing"] is False

    profile = await store.profile(ANN.person)
    record = consent_of(profile, ANN.person)
    assert record["marketing"] is False and record["source"] == "operator:api"
    assert record["history"][-1]["marketing"] is False
    assert consent_of(profile, ANN_SMS) == {}  # SMS consent is not this channel's
    assert json.loads(await store.get(f"consent:{ANN.person}"))["status"] == "opted_out"
    assert (await app.scheduler.sched.person(ANN.person)).consent is False

    # The other channel by its name, then back in: each change is kept in the history.
    sms = {"channel": "sms", "consent": "opt_in", "reason": "signed the paper form"}
    status, body = await api(app, "POST", f"/api/people/{ANN_SMS}/consent", sms)
    assert status == 200 and body["identity"] == ANN_SMS and body["person"] == ANN.person
    back_in = {**change, "consent": "opt_in", "reason": "changed her mind"}
    assert (await api(app, "POST", f"/api/people/{ANN.person}/consent", back_in))[0] == 200
    profile = await store.profile(ANN.person)
    assert [h["marketing"] for h in consent_of(profile, ANN.person)["history"]] == [False, True]
    assert consent_of(profile, ANN_SMS)["marketing"] is True

    # The export says the same, per channel, whichever identity it is asked with.
    async with ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{app.port}/api/people/{quote(ANN_SMS)}", headers=AUTH) as resp:
            exported = json.loads(await resp.text())
    assert exported["consent"][ANN.person]["marketing"]["marketing"] is True
    assert exported["consent"][ANN.person]["channel"]["status"] == "opted_in"
    assert exported["consent"][ANN_SMS]["marketing"]["source"] == "operator:api"

    of = app.subject.audit.pseudonyms.of
    status, found = await api(app, "GET", f"/api/audit?person={quote(ANN_SMS)}&action=person.consent")
    assert [(e["actor"], e["via"], e["target"], e["detail"], e["reason"]) for e in found["entries"]] == [
        ("admin-token", "api", await of(ANN.person), "rec: opted_in", "changed her mind"),
        ("admin-token", "api", await of(ANN.person), "sms: opted_in", "signed the paper form"),
        ("admin-token", "api", await of(ANN.person), "rec: opted_out", "asked by phone, call 881"),
    ]
    log = await store.audit_log(50)
    assert "u1" not in repr(log) and "15550100" not in repr(log)
    assert not [e for e in log if e.action.startswith("api ")]  # one entry per change, not two


async def test_someone_imported_who_never_wrote_can_be_opted_in(app):
    change = {"channel": "sms", "consent": "opt_in", "reason": "double opt-in by email"}
    status, body = await api(app, "POST", f"/api/people/{IMPORTED.person}/consent", change)
    assert status == 200 and body["identity"] == IMPORTED.person
    assert (await app.scheduler.sched.person(IMPORTED.person)).consent is True
    assert consent_of(await app.store.profile(IMPORTED.person), IMPORTED.person)["marketing"] is True


@pytest.mark.parametrize(
    ("person", "body", "status", "says"),
    [
        ("sms:+19990000000", {"channel": "sms", "consent": "opt_out", "reason": "r"}, 404, "no data held"),
        (ANN.person, {"channel": "telegram", "consent": "opt_out", "reason": "r"}, 422, "not one of"),
        (ANN.person, {"channel": "whatsapp:+1555", "consent": "opt_out", "reason": "r"}, 422, "not one of"),
        (ANN.person, {"consent": "opt_out", "reason": "r"}, 422, "channel"),
        (ANN.person, {"channel": "rec", "consent": "maybe", "reason": "r"}, 422, "opt_in or opt_out"),
        (ANN.person, {"channel": "rec", "consent": True, "reason": "r"}, 422, "opt_in or opt_out"),
        (ANN.person, {"channel": "rec", "consent": "opt_out"}, 422, "reason: required"),
        (ANN.person, {"channel": "rec", "consent": "opt_out", "reason": "  "}, 422, "reason: required"),
        (ANN.person, {"channel": "rec", "consent": "opt_out", "reason": "a\nb"}, 422, "control"),
        (ANN.person, {"channel": "rec", "consent": "opt_out", "reason": "r" * 501}, 422, "longer than 500"),
        ("no-colon", {"channel": "rec", "consent": "opt_out", "reason": "r"}, 400, "not a person id"),
    ],
)
async def test_bad_input_gets_a_clear_4xx_and_changes_nothing(app, caplog, person, body, status, says):
    before = await app.store.profile(ANN.person)
    caplog.set_level(logging.INFO, "parley.admin")
    got, answer = await api(app, "POST", f"/api/people/{quote(person)}/consent", body)
    assert got == status and says in answer["error"]
    assert await app.store.profile(ANN.person) == before
    assert await app.store.get(f"consent:{ANN.person}") is None
    assert not [e for e in await app.store.audit_log(50) if e.action == "person.consent"]
    refusals = [r for r in caplog.records if r.name == "parley.admin" and "refused" in r.getMessage()]
    assert len(refusals) == 1 and not refusals[0].exc_info  # one line, never a traceback


async def test_a_body_that_is_not_json_is_a_400(app):
    status, answer = await api(app, "POST", f"/api/people/{ANN.person}/consent", raw=b"\xff{")
    assert status == 400 and answer["error"]
