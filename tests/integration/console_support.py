"""Signing in to a running bot's console from tests: users made with a cheap Argon2id (the hash
carries its parameters, so the bot verifies it cheaply too), a browser-like client keeping
cookies for 127.0.0.1, and the CSRF token read from the page as a browser's form would."""

from __future__ import annotations

import re

from aiohttp import ClientSession, CookieJar
from argon2 import PasswordHasher
from parley.core.console.accounts import Accounts
from parley.core.console.passwords import Passwords
from parley.core.console.roles import Role

from parley.app import Bot

PASSWORD = "correct horse battery"
CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def add_user(app: Bot, name: str, role: Role, password: str = PASSWORD) -> None:
    await Accounts(app.store, CHEAP, app.clock).add("test", name, role, password)


def client() -> ClientSession:
    return ClientSession(cookie_jar=CookieJar(unsafe=True))  # unsafe: keep cookies for an IP address


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def sign_in(http: ClientSession, base: str, name: str, password: str = PASSWORD) -> int:
    async with http.get(f"{base}/console/login") as page:
        token = csrf_of(await page.text())
    form = {"csrf": token, "username": name, "password": password, "next": "/console"}
    async with http.post(f"{base}/console/login", data=form, allow_redirects=False) as resp:
        return resp.status


async def page_csrf(http: ClientSession, url: str) -> str:
    async with http.get(url) as page:
        assert page.status == 200, page.status
        return csrf_of(await page.text())
