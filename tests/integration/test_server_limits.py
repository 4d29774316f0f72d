"""The server against idle, slow and too many connections: timeouts, a cap, one log line each."""

from __future__ import annotations

import asyncio
import logging

from parley.app import Bot
from tests.conftest import eventually


async def _open(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def _get(port: int, path: str) -> bytes:
    reader, writer = await _open(port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def test_a_connection_that_sends_nothing_is_closed(make_settings):
    async with Bot(make_settings(http={"host": "127.0.0.1", "port": 0, "idle_timeout": 0.3})) as app:
        reader, writer = await _open(app.port)
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the server, not by us
        writer.close()


async def test_a_body_that_never_finishes_gets_a_408(make_settings, caplog):
    caplog.set_level(logging.INFO)
    settings = make_settings(http={"host": "127.0.0.1", "port": 0, "request_timeout": 0.3}, admin_token="t")
    async with Bot(settings) as app:
        reader, writer = await _open(app.port)
        head = "POST /api/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
        writer.write(f"{head}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{".encode())
        answer = await asyncio.wait_for(reader.readline(), 10)
        assert answer.startswith(b"HTTP/1.1 408")
        writer.close()
    assert not [r for r in caplog.records if r.exc_info]


async def test_past_the_cap_new_connections_get_503_and_one_log_line(make_settings, caplog):
    caplog.set_level(logging.INFO)
    settings = make_settings(http={"host": "127.0.0.1", "port": 0, "max_connections": 64})
    async with Bot(settings) as app:
        idle = [await _open(app.port) for _ in range(64)]
        await eventually(lambda: len(app.runner.server.connections) == 64)
        refused = [await _get(app.port, "/healthz") for _ in range(30)]
        assert all(r.startswith(b"HTTP/1.1 503") for r in refused)
        for _, writer in idle:
            writer.close()
        await eventually(lambda: not app.runner.server.connections)
        assert (await _get(app.port, "/healthz")).startswith(b"HTTP/1.1 200")
    cap_lines = [r for r in caplog.records if "connection cap" in r.getMessage()]
    back = [r for r in caplog.records if "back under the cap" in r.getMessage()]
    assert len(cap_lines) == 1 and len(back) == 1 and back[0].refused == 30
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_the_descriptor_limit_is_raised_to_the_hard_limit():
    import resource

    from parley.core.http.listener import raise_fd_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
        assert raise_fd_limit() == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 256 or hard <= 256
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def test_a_request_the_parser_refuses_is_one_line_without_a_traceback(make_settings, caplog):
    # A URL or a header line past aiohttp's 8 KB: answered 400 by aiohttp itself, which logged
    # it at ERROR with the parser's traceback (anyone could grow the log).
    caplog.set_level(logging.INFO)
    async with Bot(make_settings(http={"host": "127.0.0.1", "port": 0})) as app:
        assert (await _get(app.port, "/api/conversations/" + "x" * 10_000)).split(b" ")[1] == b"400"
        reader, writer = await _open(app.port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"y" * 10_000 + b"\r\n\r\n")
        assert (await asyncio.wait_for(reader.readline(), 10)).split(b" ")[1] == b"400"
        writer.close()
        assert (await _get(app.port, "/healthz")).startswith(b"HTTP/1.1 200")
    refused = [r for r in caplog.records if "refused by the HTTP parser" in r.getMessage()]
    assert len(refused) == 2 and all(r.levelno == logging.INFO for r in refused)
    assert "x" * 100 not in caplog.text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
