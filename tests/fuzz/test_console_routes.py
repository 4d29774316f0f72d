"""Fuzz the console: generated malformed sign-ins, forms and CSV uploads (urlencoded, broken
multipart, random bytes) from a signed-in browser with a valid CSRF token, so the bodies reach
the parsers behind the checks, and odd search strings. Every answer must be below 500 and no log
line may be an error or carry a traceback. ``PARLEY_FUZZ_N`` changes the count."""

from __future__ import annotations

import json
import logging
import os
from urllib.parse import urlencode

import pytest
from parley.core.console.roles import Role

from parley.app import Bot
from tests.fuzz.mutate import Mutator
from tests.integration.console_support import add_user, client, page_csrf, sign_in

N = int(os.environ.get("PARLEY_FUZZ_N", "1000")) // 4  # four routes: a quarter each
SEED = int(os.environ.get("PARLEY_FUZZ_SEED", "18"))
FORM = {"username": "ann", "password": "correct horse battery", "role": "viewer", "tag": "vip", "label": "x"}
TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz", "multipart/form-data", "text/csv"]


def text(rng: Mutator) -> str:
    value = rng.value()
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8", "replace").decode()[:500]


def body(rng: Mutator, csrf: str) -> tuple[bytes, str]:
    fields = {**rng.form(FORM), "csrf": csrf}
    roll = rng.rng.random()
    if roll < 0.4:
        return urlencode(fields).encode(), TYPES[0]
    kind = rng.rng.choice(TYPES[1:])
    parts = b"".join(
        b'--xyz\r\nContent-Disposition: form-data; name="' + k.encode() + b'"\r\n\r\n' + v.encode() + b"\r\n"
        for k, v in fields.items()
    )
    csv = rng.corrupt(b"channel,chat,tags\r\nsms,+1555,vip;gold\r\n")
    upload = (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="p.csv"\r\n\r\n' + csv + b"\r\n--xyz--\r\n"
    )
    raw = parts + upload
    return (rng.corrupt(raw) if roll > 0.8 else raw), kind


@pytest.fixture
async def app(make_settings):
    async with Bot(make_settings(store_url="memory://")) as parley:
        await add_user(parley, "ann", Role.ADMIN)
        yield parley


async def test_console_routes_refuse_bad_input_without_errors(app, caplog):
    caplog.set_level(logging.INFO)
    rng = Mutator(SEED + 40)
    base = f"http://127.0.0.1:{app.port}"
    statuses: dict[int, int] = {}
    async with client() as http:
        assert await sign_in(http, base, "ann") == 303
        csrf = await page_csrf(http, f"{base}/console/account")
        for n in range(N * 4):
            route = ["/console/login", "/console/people/import", "/console/account/tokens", "/console/people"][n % 4]
            if route == "/console/people":
                query = {k: text(rng) for k in rng.rng.sample(["q", "tag", "locale", "channel", "x"], 3)}
                async with http.get(f"{base}{route}", params=query) as resp:
                    status = resp.status
            else:
                raw, kind = body(rng, csrf)
                headers = (
                    {"Content-Type": kind, "X-CSRF-Token": csrf} if rng.rng.random() < 0.3 else {"Content-Type": kind}
                )
                async with http.post(f"{base}{route}", data=raw, headers=headers, allow_redirects=False) as resp:
                    status = resp.status
            statuses[status] = statuses.get(status, 0) + 1
    print(f"statuses: {dict(sorted(statuses.items()))}")
    assert not [s for s in statuses if s >= 500], statuses
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [f"{r.name}: {r.getMessage()}" for r in bad[:5]]
