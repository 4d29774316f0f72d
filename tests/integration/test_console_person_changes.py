"""The person page's changes that need a reason: link and unlink an identity, opt in or out of
marketing on one channel. Each is refused with a clear message and nothing changed when the
reason is missing or the input is wrong, needs the edit_people permission, and is audited by
pseudonym with the viewer's name and ``via: console``. On memory and Redis (the fixture)."""

from __future__ import annotations

import json

from parley.core.linking.channels import consent_of

from tests.integration.console_support import client, page_csrf, sign_in
from tests.integration.test_console_people import ANN, BOB, app, url

__all__ = ["app"]  # the fixture: the pages on memory and on Redis


async def post(http, app, person: str, what: str, form: dict) -> tuple[int, str]:
    csrf = await page_csrf(http, url(app, f"/console/people/{person}"))
    async with http.post(url(app, f"/console/people/{person}/{what}"), data={"csrf": csrf, **form}) as resp:
        return resp.status, await resp.text()


async def test_link_and_unlink_with_a_reason_audited_by_pseudonym(app):
    store = app.store
    async with client() as http:
        assert await sign_in(http, url(app, ""), "mo") == 303  # a marketer edits people
        status, html = await post(http, app, ANN.person, "link", {"identity": BOB.person})
        assert status == 422 and "A reason is required" in html
        status, html = await post(http, app, ANN.person, "link", {"identity": "bob", "reason": "r"})
        assert status == 422 and "That is not an identity" in html
        assert await store.identities(ANN.person) == [ANN.person]  # nothing linked by a refusal

        status, html = await post(http, app, ANN.person, "link", {"identity": BOB.person, "reason": "ticket 31"})
        assert status == 200 and "Linked." in html
        assert await store.identities(ANN.person) == [ANN.person, BOB.person]
        assert f'<input type="hidden" name="identity" value="{BOB.person}">' in html  # its unlink form
        status, html = await post(http, app, BOB.person, "link", {"identity": ANN.person, "reason": "again"})
        assert status == 409 and "already the same person" in html

        status, html = await post(http, app, ANN.person, "unlink", {"identity": BOB.person})
        assert status == 422 and await store.person_of(BOB.person) == ANN.person
        status, html = await post(http, app, ANN.person, "unlink", {"identity": "sms:+1999", "reason": "r"})
        assert status == 409 and "not linked to this person" in html
        status, html = await post(http, app, ANN.person, "unlink", {"identity": BOB.person, "reason": "wrong match"})
        assert status == 200 and "Unlinked." in html
        assert await store.person_of(BOB.person) == BOB.person

    of = app.subject.audit.pseudonyms.of
    log = [e for e in await store.audit_log(20) if e.action in ("person.link", "person.unlink")]
    assert [(e.action, e.actor, e.via, e.target, e.detail, e.reason) for e in log] == [
        ("person.unlink", "mo", "console", await of(ANN.person), await of(BOB.person), "wrong match"),
        ("person.link", "mo", "console", await of(ANN.person), await of(BOB.person), "ticket 31"),
    ]
    assert not any(ANN.chat in e.to_json() or BOB.person in e.to_json() for e in await store.audit_log(50))


async def test_consent_per_channel_with_a_reason(app):
    store = app.store
    async with client() as http:
        assert await sign_in(http, url(app, ""), "ann") == 303
        await post(http, app, ANN.person, "link", {"identity": BOB.person, "reason": "same customer"})
        change = {"identity": BOB.person, "consent": "opt_in"}
        status, html = await post(http, app, ANN.person, "consent", change)
        assert status == 422 and "A reason is required" in html
        status, html = await post(http, app, ANN.person, "consent", {**change, "consent": "sure", "reason": "r"})
        assert status == 422 and "Choose opt in or opt out" in html
        bad = {**change, "identity": "discord:1", "reason": "r"}
        status, html = await post(http, app, ANN.person, "consent", bad)
        assert status == 422 and "not one of this person" in html
        assert await store.get(f"consent:{BOB.person}") is None  # nothing changed by a refusal

        status, html = await post(http, app, ANN.person, "consent", {**change, "reason": "opted in at the till"})
        assert status == 200 and "Consent changed." in html
    profile = await store.profile(ANN.person)
    assert consent_of(profile, BOB.person)["marketing"] is True
    assert consent_of(profile, ANN.person)["marketing"] is False  # Ana's SMS STOP stays
    assert json.loads(await store.get(f"consent:{BOB.person}"))["status"] == "opted_in"
    assert (await app.scheduler.sched.person(BOB.person)).consent is True
    entry = next(e for e in await store.audit_log(20) if e.action == "person.consent")
    assert (entry.actor, entry.via, entry.detail, entry.reason) == (
        "ann",
        "console",
        "telegram: opted_in",
        "opted in at the till",
    )


async def test_only_who_may_edit_people_sees_and_uses_the_forms(app):
    async with client() as http:
        assert await sign_in(http, url(app, ""), "lee") == 303  # an agent lead reads people only
        async with http.get(url(app, f"/console/people/{ANN.person}")) as resp:
            html = await resp.text()
        assert resp.status == 200 and "/link" not in html and "/consent" not in html
        csrf = html.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        form = {"csrf": csrf, "identity": BOB.person, "reason": "r"}
        async with http.post(url(app, f"/console/people/{ANN.person}/link"), data=form) as resp:
            assert resp.status == 403
    assert await app.store.identities(ANN.person) == [ANN.person]
