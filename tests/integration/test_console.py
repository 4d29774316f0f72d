"""The console's shell through a running bot: sign-in, the session cookie, CSRF, the login rate
limit, roles on pages, sign-out, password changes ending sessions, and the audit log."""

from __future__ import annotations

import pytest
from parley.core.console.roles import Role
from parley.core.kernel.clock import ManualClock

from parley.app import Bot
from tests.integration.console_support import PASSWORD, add_user, client, csrf_of, page_csrf, sign_in


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(store_url="memory://")) as parley:
        await add_user(parley, "ann", Role.ADMIN)
        await add_user(parley, "vic", Role.VIEWER)
        yield parley


def base(app: Bot) -> str:
    return f"http://127.0.0.1:{app.port}"


async def test_a_page_sends_a_stranger_to_sign_in_and_back(app):
    async with client() as http:
        async with http.get(f"{base(app)}/console/users?x=1", allow_redirects=False) as resp:
            assert resp.status == 303
            assert resp.headers["Location"] == "/console/login?next=/console/users?x=1"
        async with http.get(f"{base(app)}/console/login?next=https://evil.example/") as resp:
            assert 'name="next" value="/console"' in await resp.text()  # never redirected off-site


async def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(app):
    async with client() as http:
        async with http.get(f"{base(app)}/console/login") as page:
            token = csrf_of(await page.text())
        form = {"csrf": token, "username": "ANN", "password": PASSWORD, "next": "/console/audit"}
        async with http.post(f"{base(app)}/console/login", data=form, allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/console/audit"
            cookie = next(c for c in resp.headers.getall("Set-Cookie") if c.startswith("parley_console="))
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=lax" in lowered and "path=/console" in lowered
        assert "secure" not in lowered  # plain http here: a Secure cookie would never come back
        async with http.get(f"{base(app)}/console") as home:
            html = await home.text()
            assert home.status == 200 and "Hello, ann" in html
            assert home.headers["Cache-Control"] == "no-store"
            assert "script-src 'self'" in home.headers["Content-Security-Policy"]
        async with http.post(f"{base(app)}/console/logout", data={"csrf": csrf_of(html)}, allow_redirects=False) as out:
            assert out.status == 303
        async with http.get(f"{base(app)}/console", allow_redirects=False) as after:
            assert after.status == 303  # the session is gone from the store, not just the browser


async def test_the_cookie_is_secure_behind_https(make_settings):
    async with Bot(make_settings(store_url="memory://", public_url="https://bot.example.com")) as app:
        await add_user(app, "ann", Role.ADMIN)
        async with client() as http:
            async with http.get(f"{base(app)}/console/login") as page:
                assert "secure" in page.headers["Set-Cookie"].lower()
                token = csrf_of(await page.text())
            form = {"csrf": token, "username": "ann", "password": PASSWORD}
            # A browser sends a Secure cookie only over https; this test talks plain http to the bot.
            cookie = {"Cookie": f"parley_console_login={token}"}
            async with http.post(
                f"{base(app)}/console/login", data=form, headers=cookie, allow_redirects=False
            ) as resp:
                assert resp.status == 303
                assert "secure" in resp.headers["Set-Cookie"].lower()


async def test_a_wrong_password_is_refused_and_guessing_is_rate_limited(app):
    async with client() as http:
        assert await sign_in(http, base(app), "ann", "not the password") == 401
        assert await sign_in(http, base(app), "nobody", "not the password") == 401
        for _ in range(9):
            await sign_in(http, base(app), "ann", "still not it")
        # The 11th try on this name is refused before the password is even checked.
        assert await sign_in(http, base(app), "ann") == 429
        assert await sign_in(http, base(app), "vic") == 303  # another name is not locked out


async def test_changes_need_the_csrf_token_and_the_same_origin(app):
    async with client() as http:
        assert await sign_in(http, base(app), "ann") == 303
        token = await page_csrf(http, f"{base(app)}/console/users")
        form = {"username": "eve", "role": "admin", "password": "long enough password"}
        async with http.post(f"{base(app)}/console/users", data=form) as resp:
            assert resp.status == 403  # no token
        async with http.post(f"{base(app)}/console/users", data={**form, "csrf": "forged"}) as resp:
            assert resp.status == 403
        headers = {"Origin": "https://evil.example"}
        async with http.post(f"{base(app)}/console/users", data={**form, "csrf": token}, headers=headers) as resp:
            assert resp.status == 403  # the right token from the wrong site
        assert await app.store.account("eve") is None
        async with http.post(f"{base(app)}/console/users", data={**form, "csrf": token}) as resp:
            assert resp.status == 200 and "User added." in await resp.text()
        assert (await app.store.account("eve")).role == "admin"


async def test_sign_in_itself_needs_the_form_token(app):
    async with client() as http:
        form = {"username": "ann", "password": PASSWORD}
        async with http.post(f"{base(app)}/console/login", data=form, allow_redirects=False) as resp:
            assert resp.status == 403  # another site cannot sign a browser in to its own account


async def test_a_viewer_cannot_open_admin_pages_and_an_admin_reads_the_audit_log(app):
    async with client() as http:
        assert await sign_in(http, base(app), "vic") == 303
        for path in ("/console/users", "/console/audit"):
            async with http.get(f"{base(app)}{path}") as resp:
                assert resp.status == 403 and "Not allowed" in await resp.text()
        async with http.get(f"{base(app)}/console") as home:
            html = await home.text()
            assert "/console/users" not in html and "/console/audit" not in html  # not in the nav either
    async with client() as http:
        assert await sign_in(http, base(app), "ann") == 303
        async with http.get(f"{base(app)}/console/audit") as resp:
            html = await resp.text()
        assert resp.status == 200
        assert "user.add" in html and "session.login" in html and "vic" in html


async def test_a_password_change_ends_every_session_of_that_user(app):
    async with client() as vic, client() as ann:
        assert await sign_in(vic, base(app), "vic") == 303
        assert await sign_in(ann, base(app), "ann") == 303
        token = await page_csrf(ann, f"{base(app)}/console/users")
        form = {"csrf": token, "username": "vic", "password": "a brand new passphrase"}
        async with ann.post(f"{base(app)}/console/users/reset", data=form) as resp:
            assert resp.status == 200
        async with vic.get(f"{base(app)}/console", allow_redirects=False) as resp:
            assert resp.status == 303
        assert await sign_in(vic, base(app), "vic", "a brand new passphrase") == 303


async def test_user_data_on_pages_is_escaped(app):
    async with client() as http:
        assert await sign_in(http, base(app), "ann") == 303
        token = await page_csrf(http, f"{base(app)}/console/account")
        label = "<script>alert(1)</script>"
        async with http.post(f"{base(app)}/console/account/tokens", data={"csrf": token, "label": label}) as resp:
            html = await resp.text()
        assert label not in html and "&lt;script&gt;" in html


async def test_the_last_admin_cannot_be_removed(app):
    async with client() as http:
        assert await sign_in(http, base(app), "ann") == 303
        token = await page_csrf(http, f"{base(app)}/console/users")
        async with http.post(f"{base(app)}/console/users/ann/remove", data={"csrf": token}) as resp:
            assert resp.status == 422 and "last admin" in await resp.text()
        assert await app.store.account("ann") is not None


async def test_a_session_ends_when_its_hours_are_up(make_settings):
    clock = ManualClock()
    async with Bot(make_settings(store_url="memory://", console={"session_hours": 1}), clock=clock) as app:
        await add_user(app, "ann", Role.ADMIN)
        async with client() as http:
            assert await sign_in(http, base(app), "ann") == 303
            async with http.get(f"{base(app)}/console", allow_redirects=False) as resp:
                assert resp.status == 200
            clock.advance(3601)
            async with http.get(f"{base(app)}/console", allow_redirects=False) as resp:
                assert resp.status == 303  # the store forgot the session: signing in again is needed
