"""An operator links and unlinks a person's identities through the admin API: a reason is
required and kept in the audit log with who did it; refusals are 409 with a reason code,
malformed input 400, and no call says more than the caller asked."""

from __future__ import annotations

from urllib.parse import quote

from parley.core.kernel.messages import Address, Inbound

from parley.app import Bot
from tests.conftest import eventually
from tests.integration.test_admin_api import TOKEN, call

WA, WEB, TG = "whatsapp:+4915100000001", "web:s-1", "telegram:777"


async def test_link_and_unlink_with_reasons_in_the_audit_log(make_settings):
    async with Bot(make_settings(admin_token=TOKEN)) as app:
        address = Address(channel="whatsapp", chat="+4915100000001", user="+4915100000001")
        await app.engine.deliver(Inbound(address=address, event_id="e1", text="hello"))
        await eventually(lambda: _has_profile(app, WA))

        status, body = await call(app, "POST", f"/api/people/{WA}/identities", {"identity": WEB})
        assert status == 400 and "reason" in body["error"]
        status, body = await call(app, "POST", f"/api/people/{WA}/identities", {"identity": "nope", "reason": "x"})
        assert status == 400 and "identity" in body["error"]
        status, _ = await call(app, "POST", f"/api/people/{WA}/identities", raw=b"\xff{")
        assert status == 400

        status, body = await call(
            app, "POST", f"/api/people/{WA}/identities", {"identity": WEB, "reason": "ticket 4711: customer asked"}
        )
        assert status == 200 and body == {"person": WA, "identities": sorted([WA, WEB])}
        assert (await call(app, "GET", f"/api/people/{WEB}/identities"))[1]["identities"] == [WA, WEB]
        again = await call(app, "POST", f"/api/people/{WEB}/identities", {"identity": WA, "reason": "twice"})
        assert again == (409, {"error": "same"})

        status, body = await call(app, "DELETE", f"/api/people/{WA}/identities/{WEB}")
        assert status == 400  # no reason
        status, body = await call(app, "DELETE", f"/api/people/{WA}/identities/{TG}", {"reason": "r"})
        assert status == 409 and body["error"] == "not_linked"
        status, body = await call(app, "DELETE", f"/api/people/{WA}/identities/{WEB}", {"reason": "linked by mistake"})
        assert status == 200 and body["unlinked"] == WEB
        assert await app.store.person_of(WEB) == WEB and await app.store.person_of(WA) == WA

        log = await app.store.audit_log(50)
        of = app.subject.audit.pseudonyms.of
        # One entry per change (not the guard's generic one as well), by pseudonym only.
        assert [(e.action, e.actor, e.via, e.target, e.detail, e.reason) for e in log] == [
            ("person.unlink", "admin-token", "api", await of(WA), await of(WEB), "linked by mistake"),
            ("person.link", "admin-token", "api", await of(WA), await of(WEB), "ticket 4711: customer asked"),
        ]
        assert "4915100000001" not in repr(log) and "s-1" not in repr(log)
        for identity in (WA, WEB):  # asked with either side's id, the log finds both entries
            status, body = await call(app, "GET", f"/api/audit?person={quote(identity)}&action=person.")
            assert [e["action"] for e in body["entries"]] == ["person.unlink", "person.link"]
        status, body = await call(app, "GET", f"/api/audit?person={quote(TG)}")
        assert body["entries"] == []


async def test_an_identity_already_linked_elsewhere_is_refused_and_nothing_moves(make_settings):
    async with Bot(make_settings(admin_token=TOKEN)) as app:
        reason = {"reason": "test"}
        assert (await call(app, "POST", f"/api/people/{WA}/identities", {"identity": WEB, **reason}))[0] == 200
        assert (await call(app, "POST", f"/api/people/{TG}/identities", {"identity": "sms:+1555", **reason}))[0] == 200
        status, body = await call(app, "POST", f"/api/people/{TG}/identities", {"identity": WEB, **reason})
        assert status == 409 and body["error"] == "linked_elsewhere"
        assert await app.store.identities(WA) == [WA, WEB]
        assert await app.store.identities(TG) == [TG, "sms:+1555"]


async def _has_profile(app: Bot, person: str) -> bool:
    return bool(await app.store.profile(person))
