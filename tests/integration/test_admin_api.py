"""The admin API: bearer auth (401/403, disabled without a token), OpenAPI, bad input refused
with a clear message, people export and erase."""

from __future__ import annotations

import pytest
from aiohttp import ClientSession
from parley.core.kernel.messages import Address, Inbound
from parley.core.schedule.store import PersonEntry

from parley.app import Bot
from tests.conftest import eventually

TOKEN = "admin-token-for-tests"


async def call(app: Bot, method: str, path: str, body=None, token: str | None = TOKEN, raw: str | bytes | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with ClientSession() as http:
        url = f"http://127.0.0.1:{app.port}{path}"
        kwargs = {"data": raw} if raw is not None else {"json": body}
        async with http.request(method, url, headers=headers, **kwargs) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(admin_token=TOKEN)) as parley:
        for n, (channel, locale, consent) in enumerate([("web", "en", True), ("whatsapp", "en", True)]):
            address = Address(channel=channel, chat=f"c{n}", user=f"u{n}")
            await parley.scheduler.sched.put_person(PersonEntry(address.person, address, locale, "", (), 1.0, consent))
        yield parley


async def test_without_a_configured_token_every_call_is_refused(make_settings):
    async with Bot(make_settings()) as app:
        status, body = await call(app, "GET", "/api/campaigns")
        assert status == 403 and "PARLEY_ADMIN_TOKEN" in body["error"]
        assert (await call(app, "GET", "/api/openapi.json", token=None))[0] == 200


async def test_missing_and_wrong_tokens(app):
    assert (await call(app, "GET", "/api/campaigns", token=None))[0] == 401
    assert (await call(app, "GET", "/api/campaigns", token="nope"))[0] == 403
    assert (await call(app, "DELETE", "/api/people/web:u0", token="nope"))[0] == 403
    assert (await call(app, "GET", "/api/campaigns"))[0] == 200


async def test_openapi_describes_every_route(app):
    status, doc = await call(app, "GET", "/api/openapi.json", token=None)
    assert status == 200 and doc["openapi"].startswith("3.")
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for route in app.admin.routes():
        path = route.path.replace("{action:start|pause|resume|cancel}", "start")
        assert (route.method, path) in described, route
    assert "Campaign" in doc["components"]["schemas"]


def campaign(**overrides) -> dict:
    body = {"id": "c1", "kind": "transactional", "messages": {"en": "Hi"}, "templates": {"en": "HX123"}}
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"messages": {"xx": "?"}}, "unknown locale(s) xx"),
        ({"window": {"days": ["tue"], "start": "22:00", "end": "23:00"}}, "never opens"),
        ({"window": {"days": ["tue"], "start": "12:00", "end": "10:00"}}, "must be after start"),
        ({"window": {"days": ["someday"]}}, "unknown day"),
        ({"timezone": "Mars/Olympus"}, "does not exist"),
        ({"audience": {"tags": ["nobody-has-this"]}}, "no one matches"),
        ({"templates": {}}, "WhatsApp template missing for locale(s) en"),
        ({"id": "bad id!"}, "id:"),
        ({"frequency": {"max": 0}}, "frequency.max"),
        ({"messages": {"en": "{{ name.__class__.__mro__[1] }}"}}, "messages.en: item access ([]) is not allowed"),
        ({"messages": {"en": "Hi {{ password }}"}}, "unknown field 'password'"),
        ({"messages": {"en": "Hi {{ name"}}, "messages.en: line 1"),
        ({"starts_at": 1e300}, "starts_at"),
        ({"attribution_hours": 1e300}, "attribution_hours"),
    ],
)
async def test_bad_campaigns_are_refused_with_a_clear_message(app, overrides, says):
    status, body = await call(app, "POST", "/api/campaigns", campaign(**overrides))
    assert status == 422 and says in body["error"], body


async def test_a_preview_is_the_rendered_text_never_more(app):
    body = campaign(messages={"en": "{0} { {name:>50000000} {{ first_name }}"})
    status, preview = await call(app, "POST", "/api/campaigns/preview", body)
    assert status == 200 and len(str(preview)) < 10_000  # was a 50 MB answer


async def test_marketing_reaches_only_opted_in_and_duplicates_are_refused(app):
    assert (await call(app, "POST", "/api/campaigns", campaign()))[0] == 201
    status, body = await call(app, "POST", "/api/campaigns", campaign())
    assert status == 422 and "already exists" in body["error"]
    assert (await call(app, "POST", "/api/campaigns", raw="{not json"))[0] == 400
    assert (await call(app, "POST", "/api/campaigns/nope/start"))[0] == 404
    assert (await call(app, "POST", "/api/campaigns/c1/resume"))[0] == 409


async def test_people_export_and_erase(app):
    address = Address(channel="web", chat="c7", user="u7")
    await app.engine.deliver(Inbound(address=address, event_id="e1", text="hello"))
    await eventually(lambda: app.scheduler.sched.person(address.person))
    status, body = await call(app, "GET", f"/api/people/{address.person}")
    assert status == 200 and body["index"][address.person]["person"] == address.person and body["conversations"]
    assert (await call(app, "GET", f"/api/conversations/{address.conversation}"))[0] == 200
    status, body = await call(app, "DELETE", f"/api/people/{address.person}")
    assert status == 200 and body["removed"] >= 2 and body["conversations"] == 1
    assert (await call(app, "GET", f"/api/people/{address.person}"))[0] == 404
    assert (await call(app, "GET", "/api/conversations/web:nope:"))[0] == 404


async def test_the_bearer_scheme_is_case_insensitive(app):
    async with ClientSession() as http:
        url = f"http://127.0.0.1:{app.port}/api/campaigns"
        for scheme in ("bearer", "BEARER", "Bearer"):
            async with http.get(url, headers={"Authorization": f"{scheme} {TOKEN}"}) as resp:
                assert resp.status == 200, scheme
        async with http.get(url, headers={"Authorization": f"Basic {TOKEN}"}) as resp:
            assert resp.status == 401


@pytest.mark.parametrize(
    "raw",
    ['{"id": "x\\ud800", "messages": {"en": "hi \\udfff"}}', "[" * 50_000, '{"starts_at": 1e400}', b"\xff\xfe{}"],
)
async def test_hostile_json_gets_a_400_never_a_500(app, raw, caplog):
    status, body = await call(app, "POST", "/api/campaigns", raw=raw)
    assert 400 <= status < 500 and body["error"]
    assert not [r for r in caplog.records if r.exc_info]


async def test_metrics_behind_a_token_when_one_is_set(make_settings):
    async with Bot(make_settings(metrics_token="scrape-me")) as app, ClientSession() as http:
        url = f"http://127.0.0.1:{app.port}/metrics"
        async with http.get(url) as resp:
            assert resp.status == 401
        async with http.get(url, headers={"Authorization": "Bearer wrong"}) as resp:
            assert resp.status == 401
        async with http.get(url, headers={"Authorization": "bearer scrape-me"}) as resp:
            assert resp.status == 200 and "parley_messages_in" in await resp.text()
