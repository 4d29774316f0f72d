"""The widget's files and configuration over real HTTP: sizes, caching, origins, odd input."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from multidict import CIMultiDict
from yarl import URL

from parley.app import Bot
from parley.testing.fakes.webchat import ChatClient

SHOP = "https://shop.example.com"
BUDGET = 30 * 1024  # issue 20: what the snippet loads, gzipped


async def raw(http: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, CIMultiDict, bytes]:
    """The bytes as they cross the wire (no automatic gunzip)."""
    async with http.get(url, headers=headers, auto_decompress=False) as response:
        return response.status, response.headers.copy(), await response.read()


@pytest.fixture
async def shop_bot(make_settings):
    async with Bot(make_settings(webchat={"allowed_origins": [SHOP]})) as app:
        yield app


async def test_what_the_snippet_loads_is_under_30_kb_gzipped(shop_bot, http):
    base = f"http://127.0.0.1:{shop_bot.port}"
    status, headers, script = await raw(http, base + "/widget.js", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"].startswith("application/javascript")
    # The config in the longest language (Arabic words are more bytes), as the browser gets it.
    async with http.get(
        base + "/widget/config?locale=ar", headers={"Origin": SHOP, "Accept-Encoding": "gzip"}
    ) as response:
        config = len(await response.read())
    assert len(script) + config < BUDGET, f"{len(script)} + {config} bytes"
    # Served gzipped, it is the very file uncompressed (the panel, the launcher and the CSS).
    status, _, plain = await raw(http, base + "/widget.js", **{"Accept-Encoding": "identity"})
    assert status == 200 and b"function parleyChat" in plain and b"parley-chat" in plain and b".launcher" in plain


async def test_files_revalidate_cheaply(shop_bot, http):
    url = f"http://127.0.0.1:{shop_bot.port}/widget.js"
    status, headers, _ = await raw(http, url)
    assert status == 200 and headers["Cache-Control"] == "no-cache" and headers["Vary"] == "Accept-Encoding"
    status, _, body = await raw(http, url, **{"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")


async def test_the_config_speaks_the_visitors_language_to_an_allowed_origin(shop_bot, http):
    url = f"http://127.0.0.1:{shop_bot.port}/widget/config"
    async with http.get(url, params={"locale": "pt-BR", "persona": "sales"}, headers={"Origin": SHOP}) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == SHOP
        config = await response.json()
    assert (config["lang"], config["dir"], config["name"], config["initials"]) == ("pt-BR", "ltr", "Leo", "L")
    assert config["title"] == "Converse com Leo"
    assert config["strings"]["send"] == "Enviar"
    assert config["strings"]["unread"] == "Mensagens não lidas: {count}"  # the page fills the count


@pytest.mark.parametrize(
    "query",
    [
        "locale=" + "x" * 5000 + "&persona=..%2F..%2Fetc%2Fpasswd",
        "locale=%ED%B3%BF%E2%80%AE%00%FF&persona=" + "%F0%9F%99%82" * 100,  # a lone surrogate, RLO, NUL, not UTF-8
        "locale=klingon&locale=ar",
    ],
)
async def test_odd_queries_get_the_default_language_and_persona(shop_bot, http, query):
    url = URL(f"http://127.0.0.1:{shop_bot.port}/widget/config?{query}", encoded=True)
    async with http.get(url) as response:  # same origin: no Origin header
        assert response.status == 200
        config = await response.json()
    assert (config["lang"], config["persona"]) == ("en", "demo")


async def test_an_origin_not_allowed_gets_403_and_one_log_line(shop_bot, http, caplog):
    base = f"http://127.0.0.1:{shop_bot.port}"
    evil = "https://evil.example"
    with caplog.at_level(logging.INFO, logger="parley.webchat"):
        async with http.get(base + "/widget/config", headers={"Origin": evil}) as response:
            assert response.status == 403
            assert await response.json() == {"error": "origin not allowed"}
            # Readable by the refused page, so the widget can tell its developer why.
            assert response.headers["Access-Control-Allow-Origin"] == evil
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(base + "/chat/ws", origin=evil)
    assert refused.value.status == 403
    lines = [r for r in caplog.records if r.name == "parley.webchat"]
    assert [(r.getMessage(), r.origin) for r in lines] == [("web chat refused an origin not allowed", evil)] * 2
    assert not any(r.exc_info for r in caplog.records)


async def test_a_page_chooses_a_persona_the_bot_has_and_nothing_else(shop_bot, http):
    leo = ChatClient(http, shop_bot.port)
    await leo.connect()
    await leo.ws.send_json({"type": "hello", "cid": leo.cid, "token": leo.token, "persona": "sales"})
    await leo.next("welcome")
    await leo.say("hello")
    assert "Leo" in (await leo.next("reply"))["text"]
    stranger = ChatClient(http, shop_bot.port)
    await stranger.connect()
    await stranger.ws.send_json({"type": "hello", "cid": stranger.cid, "token": stranger.token, "persona": "root"})
    await stranger.next("welcome")
    await stranger.say("hello")
    assert "Mia" in (await stranger.next("reply"))["text"]  # unknown: the default persona


async def test_the_chat_page_arrives_in_the_browsers_language(shop_bot, http):
    url = f"http://127.0.0.1:{shop_bot.port}/chat"
    async with http.get(url, headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"}) as response:
        html = await response.text()
    assert '<html lang="ar" dir="rtl">' in html and "<title>تحدّث مع Mia</title>" in html
    async with http.get(url, headers={"Accept-Language": '"><script>alert(1)</script>'}) as response:
        html = await response.text()
    assert '<html lang="en" dir="ltr">' in html and "alert(1)" not in html
