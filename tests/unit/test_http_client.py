"""parley.core.http.client against real servers on 127.0.0.1: an aiohttp app and, for answers
aiohttp would never give, a raw asyncio one."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess

import pytest
from aiohttp import web
from parley.core.http.client import MAX_ANSWER, Origin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve(app: web.Application, **site) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, keepalive_timeout=0.2)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, **site).start()
    return runner, port


@pytest.fixture
async def app_server():
    """An aiohttp server that records each request's client port (one port = one connection)."""
    peers: list[int] = []
    active = {"now": 0, "max": 0}

    async def echo(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
        try:
            await asyncio.sleep(float(request.query.get("sleep", "0")))
            body = await request.read()
            if request.query.get("close"):
                return web.Response(body=body, headers={"Connection": "close"})
            return web.Response(body=body, status=int(request.query.get("status", "200")))
        finally:
            active["now"] -= 1

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for part in (b'{"ok":', b"true", b"}"):
            await resp.write(part)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_post("/chunked", chunked)
    runner, port = await serve(app)
    yield f"http://127.0.0.1:{port}", peers, active
    await runner.cleanup()


async def raw_server(answer: bytes) -> tuple[asyncio.Server, str]:
    """Reads a request head, writes ``answer`` verbatim and closes the connection."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_sequential_posts_reuse_one_connection(app_server):
    url, peers, _ = app_server
    origin = Origin(url)
    for n in range(20):
        resp = await origin.post("/echo", f'{{"n":{n}}}'.encode())
        assert (resp.status, resp.body) == (200, f'{{"n":{n}}}'.encode())
    assert len(set(peers)) == 1
    await origin.close()


async def test_concurrency_is_capped_by_the_limit(app_server):
    url, peers, active = app_server
    origin = Origin(url, limit=2)
    bodies = await asyncio.gather(*(origin.post("/echo?sleep=0.02", str(n).encode()) for n in range(10)))
    assert [b.body for b in bodies] == [str(n).encode() for n in range(10)]
    assert active["max"] == 2
    assert len(set(peers)) == 2
    await origin.close()


async def test_chunked_and_error_statuses_come_back_whole(app_server):
    url, _, _ = app_server
    origin = Origin(url)
    assert (await origin.post("/chunked", b"{}")).body == b'{"ok":true}'
    resp = await origin.post("/echo?status=429", b'{"ok":false}')
    assert (resp.status, resp.body) == (429, b'{"ok":false}')
    resp = await origin.post("/echo?status=502", b"")
    assert resp.status == 502
    await origin.close()


async def test_connection_close_and_idle_drops_open_a_new_connection(app_server):
    url, peers, _ = app_server
    origin = Origin(url)
    await origin.post("/echo?close=1", b"a")
    await origin.post("/echo", b"b")
    assert len(set(peers)) == 2  # the server said close: not reused
    await asyncio.sleep(0.5)  # past the server's keep-alive timeout: it hangs up
    assert (await origin.post("/echo", b"c")).body == b"c"
    assert len(set(peers)) == 3
    await origin.close()


async def test_a_body_delimited_by_close_is_read_to_the_end():
    server, url = await raw_server(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello, world")
    async with server:
        origin = Origin(url)
        resp = await origin.post("/", b"{}")
        await origin.close()
    assert (resp.status, resp.body) == (200, b"hello, world")


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 2xx banana\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (MAX_ANSWER + 1) + b"x" * (MAX_ANSWER + 1),
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"x" * (MAX_ANSWER + 1),  # no length, too long
    ],
    ids=["malformed", "short", "short-then-close", "oversized", "oversized-unframed"],
)
async def test_malformed_oversized_answers_and_hang_ups_are_connection_errors(answer):
    server, url = await raw_server(answer)
    async with server:
        origin = Origin(url)
        with pytest.raises(ConnectionError):
            await origin.post("/", b"{}")
        await origin.close()


async def test_timeout_and_cancellation_free_the_slot(app_server):
    url, _, _ = app_server
    origin = Origin(url, limit=1, timeout=0.1)
    with pytest.raises(TimeoutError):
        await origin.post("/echo?sleep=1", b"slow")
    assert (await origin.post("/echo", b"next")).body == b"next"
    slow = asyncio.create_task(origin.post("/echo?sleep=1", b"slow"))
    await asyncio.sleep(0.02)
    queued = asyncio.create_task(origin.post("/echo", b"queued"))
    await asyncio.sleep(0.02)
    slow.cancel()
    assert (await queued).body == b"queued"  # the cancelled request's slot went to the waiter
    await origin.close()


async def test_refused_and_closed_clients_raise():
    origin = Origin(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ConnectionError):
        await origin.post("/", b"{}")
    await origin.close()
    with pytest.raises(ConnectionError):
        await origin.post("/", b"{}")
    with pytest.raises(ValueError):
        Origin("ftp://example.org")


async def test_a_proxy_from_the_environment_carries_the_requests(app_server, monkeypatch):
    """HTTP_PROXY (HTTPS_PROXY for https origins) is honoured: the request goes to the proxy in
    absolute form, and NO_PROXY exempts a host."""
    url, _, _ = app_server
    seen: list[str] = []

    async def forward(request: web.Request) -> web.Response:
        seen.append(str(request.url))
        return web.Response(body=b"via proxy")

    proxy = web.Application()
    proxy.router.add_route("*", "/{tail:.*}", forward)
    runner, port = await serve(proxy)
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    try:
        proxied = Origin(url)
        assert (await proxied.post("/echo", b"direct?")).body == b"via proxy"
        assert seen == [f"{url}/echo"]
        await proxied.close()
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        direct = Origin(url)
        assert (await direct.post("/echo", b"direct")).body == b"direct"
        await direct.close()
    finally:
        await runner.cleanup()


async def test_https_verifies_the_server(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/echo", echo)
    runner, port = await serve(app, ssl_context=server_side)
    try:
        trusted = Origin(f"https://localhost:{port}", context=ssl.create_default_context(cafile=str(cert)))
        assert (await trusted.post("/echo", b"secret")).body == b"secret"
        await trusted.close()
        untrusted = Origin(f"https://localhost:{port}")
        with pytest.raises(ConnectionError) as refused:  # the system CAs do not know this one
            await untrusted.post("/echo", b"secret")
        assert isinstance(refused.value.__cause__, ssl.SSLCertVerificationError)
        await untrusted.close()
    finally:
        await runner.cleanup()
