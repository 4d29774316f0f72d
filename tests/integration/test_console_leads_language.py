"""The console's Leads page (agent leads and admins record outcomes, marketers read, viewers see
neither; CSRF on every change; audited) and each user's console language (My account), which
wins over the browser's Accept-Language, in every pack, right to left in Arabic."""

from __future__ import annotations

import re

import pytest
from parley.core.console.roles import Role

from parley.app import Bot
from parley.testing.contracts.leads import lead
from tests.integration.console_support import add_user, client, page_csrf, sign_in


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(store_url="memory://", analytics={"currency": "EUR"})) as parley:
        for name, role in (("ann", Role.ADMIN), ("mo", Role.MARKETER), ("lee", Role.AGENT_LEAD), ("vic", Role.VIEWER)):
            await add_user(parley, name, role)
        await parley.store.put_lead(lead(1, person="sms:+15550100"))
        await parley.store.put_lead(lead(2, person="telegram:42"))
        yield parley


def url(app: Bot, path: str) -> str:
    return f"http://127.0.0.1:{app.port}{path}"


async def test_an_agent_lead_records_a_won_lead_with_its_value(app):
    async with client() as http:
        assert await sign_in(http, url(app, ""), "lee") == 303
        token = await page_csrf(http, url(app, "/console/leads"))
        form = {"csrf": token, "outcome": "won", "value": "1.200,50", "currency": "eur"}
        async with http.post(url(app, "/console/leads/lead1/outcome"), data=form) as resp:
            html = await resp.text()
        assert resp.status == 200 and "Outcome saved." in html and "1200.50 EUR" in html
        decided = await app.store.lead("lead1")
        assert (decided.outcome, decided.value, decided.currency, decided.set_by) == ("won", 1200.5, "EUR", "lee")
        async with http.get(url(app, "/console/leads?outcome=won")) as resp:
            html = await resp.text()
        assert 'id="lead-lead1"' in html and 'id="lead-lead2"' not in html
        bad = {"csrf": token, "outcome": "won", "value": "lots"}
        async with http.post(url(app, "/console/leads/lead2/outcome"), data=bad) as resp:
            assert resp.status == 422 and "must be a number" in await resp.text()
        forged = {"csrf": "not-the-token", "outcome": "lost"}
        async with http.post(url(app, "/console/leads/lead2/outcome"), data=forged) as resp:
            assert resp.status == 403
        assert (await app.store.lead("lead2")).outcome == "open"
    audit = [(e.actor, e.action, e.target) for e in await app.store.audit_log(20)]
    assert ("lee", "lead.outcome", "lead1") in audit


async def test_roles_marketers_read_leads_viewers_do_not_and_only_deciders_see_the_form(app):
    async with client() as http:
        assert await sign_in(http, url(app, ""), "mo") == 303
        async with http.get(url(app, "/console/leads")) as resp:
            html = await resp.text()
        assert resp.status == 200 and "Ana Ruiz" in html and "outcome-form" not in html
        token = await page_csrf(http, url(app, "/console/leads"))
        async with http.post(url(app, "/console/leads/lead1/outcome"), data={"csrf": token, "outcome": "lost"}) as resp:
            assert resp.status == 403
    async with client() as http:
        assert await sign_in(http, url(app, ""), "vic") == 303
        async with http.get(url(app, "/console/leads")) as resp:
            assert resp.status == 403
        async with http.get(url(app, "/console")) as resp:
            assert 'href="/console/leads"' not in await resp.text()
    assert (await app.store.lead("lead1")).outcome == "open"


def lang_of(html: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', html)
    assert found
    return found.group(1), found.group(2)


async def test_a_users_language_wins_over_the_browsers_and_arabic_is_right_to_left(app):
    async with client() as http:
        assert await sign_in(http, url(app, ""), "ann") == 303
        async with http.get(url(app, "/console"), headers={"Accept-Language": "fr-CA,fr;q=0.9"}) as resp:
            html = await resp.text()
        assert lang_of(html) == ("fr", "ltr") and "Se déconnecter" in html  # the browser's, no choice made
        token = await page_csrf(http, url(app, "/console/account"))
        async with http.post(url(app, "/console/account/language"), data={"csrf": token, "language": "ar"}) as resp:
            html = await resp.text()
        assert lang_of(html) == ("ar", "rtl") and "تم حفظ اللغة." in html
        async with http.get(url(app, "/console/leads"), headers={"Accept-Language": "fr"}) as resp:
            html = await resp.text()
        assert lang_of(html) == ("ar", "rtl") and "العملاء المحتملون" in html and "Leads" not in html
        async with http.post(url(app, "/console/account/language"), data={"csrf": token, "language": "xx"}) as resp:
            assert resp.status == 422
        async with http.post(url(app, "/console/account/language"), data={"csrf": token, "language": ""}) as resp:
            assert resp.status == 200
        async with http.get(url(app, "/console"), headers={"Accept-Language": "ja"}) as resp:
            assert lang_of(await resp.text()) == ("ja", "ltr")  # back to the browser's
    assert (await app.store.account("ann")).language == ""


@pytest.mark.parametrize("code", ["es", "fr", "de", "pt-BR", "ja", "zh-CN", "ar"])
async def test_every_page_reads_in_every_pack_without_a_word_of_english_left_in_its_labels(app, code):
    from parley.core.console.render import Renderer

    english = app.locales.get("en").head.console
    own = app.locales.get(code).head.console
    assert set(own) == set(english), "every console string translated"
    same = [
        k for k in english if own[k] == english[k] and not re.fullmatch(r"[\W\d]*|CSAT|Bot|Token|Leads|Id|ID", own[k])
    ]
    assert len(same) <= 20, same  # words languages share (Conversations, Status, Persona...) and no more
    assert (code, app.locales.get(code).name) in Renderer(app.locales).languages()
    async with client() as http:
        assert await sign_in(http, url(app, ""), "ann") == 303
        for path in ("/console", "/console/leads", "/console/people", "/console/analytics", "/console/campaigns/new"):
            async with http.get(url(app, path), headers={"Accept-Language": code}) as resp:
                html = await resp.text()
            assert resp.status == 200, path
            assert lang_of(html)[0] == code
            assert own["nav_leads"] in html and own["logout"] in html
