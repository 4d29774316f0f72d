"""A small keep-alive HTTP/1.1 client for JSON POSTs to one origin (the Bot API's reply path).

aiohttp's ClientSession spends about 90 us of CPU per call in bench/telegram.py (URL and header
objects, cookie jar, timers, a task to write the body); a reply needs none of it. Here a request
is one ``write`` of preformatted bytes and the answer is parsed by httptools (llhttp, Node.js's
parser: Content-Length, chunked and close-delimited bodies). Connections are pooled per origin,
at most ``limit`` at once; one that sat idle past ``IDLE`` seconds is closed, not reused, since
servers drop idle keep-alive connections and a request written into one that is closing fails.

Errors are the builtin ones the outbox already retries: ConnectionError (refused, reset, closed,
a malformed answer) and TimeoutError.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools

IDLE = 15.0  # seconds an idle connection is trusted (aiohttp's keepalive_timeout)
MAX_ANSWER = 4 * 1024 * 1024  # bytes: API answers are small; a runaway one must not fill memory


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class Origin:
    """Pooled connections to ``scheme://host:port``; ``post`` takes the path (and query)."""

    def __init__(
        self, url: str, *, limit: int = 64, timeout: float = 30.0, context: ssl.SSLContext | None = None
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        # https: the system's CAs (verified, hostname checked) unless a context is given
        self.ssl = (context or ssl.create_default_context()) if parts.scheme == "https" else None
        default = self.port == (443 if self.ssl else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._host_header = host if default else f"{host}:{self.port}"
        self.limit = limit
        self.timeout = timeout
        self._idle: list[tuple[float, _Connection]] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[_Connection | None]] = deque()
        self.closed = False

    async def post(self, path: str, body: bytes, content_type: str = "application/json") -> Response:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host_header}\r\nUser-Agent: Parley\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        conn = await self._acquire()
        try:
            status, answer, keep = await conn.exchange(head.encode("latin-1") + body, self.timeout)
        except BaseException:
            conn.abort()  # half a request or half an answer: this connection is spent
            self._release(None)
            raise
        if keep and not self.closed:
            self._release(conn)
        else:
            conn.abort()
            self._release(None)
        return Response(status, answer)

    async def close(self) -> None:
        self.closed = True
        for _, conn in self._idle:
            conn.abort()
        self._idle.clear()

    async def _acquire(self) -> _Connection:
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._idle:
            since, conn = self._idle.pop()
            if not conn.closed and now - since < IDLE:
                return conn
            conn.abort()
            self._open -= 1
        if self.closed:
            raise ConnectionError("client closed")
        if self._open >= self.limit:
            waiter: asyncio.Future[_Connection | None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                conn = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed something, then cancelled
                    self._release(waiter.result())
                raise
            if conn is not None:
                return conn  # handed over by a finishing request
            # None: a slot handed over (still counted); open a connection in it
        else:
            self._open += 1
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(
                    _Connection, self.host, self.port, ssl=self.ssl, server_hostname=self.host if self.ssl else None
                ),
                self.timeout,
            )
        except BaseException:
            self._release(None)
            raise
        return conn

    def _release(self, conn: _Connection | None) -> None:
        """Give the connection to the next waiter, else keep it idle. None: the connection is
        gone; its slot goes to the next waiter (who opens a new one) or is freed."""
        if self._wake(conn):
            return
        if conn is None:
            self._open -= 1
        else:
            self._idle.append((asyncio.get_running_loop().time(), conn))

    def _wake(self, conn: _Connection | None) -> bool:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)  # None: a slot freed, the waiter opens a connection in it
                return True
        return False


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self._waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self._body: list[bytes] = []
        self._size = 0
        self._headers_done = False
        self._framed = False

    async def exchange(self, request: bytes, timeout: float) -> tuple[int, bytes, bool]:
        """Write one request and wait for its whole answer: (status, body, keep-alive)."""
        if self.closed or self.transport is None:
            raise ConnectionResetError("connection closed")
        loop = asyncio.get_running_loop()
        self._waiter = waiter = loop.create_future()
        self._body, self._size, self._headers_done, self._framed = [], 0, False, False
        timer = loop.call_later(timeout, self._fail, TimeoutError(f"no answer in {timeout:g} s"))
        try:
            self.transport.write(request)
            return await waiter
        finally:
            timer.cancel()
            self._waiter = None

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()

    # -- asyncio.Protocol ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"malformed HTTP answer: {exc}"))
            self.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._headers_done and not self._framed:
            self._finish(False)  # a body delimited by the end of the connection
        self._fail(ConnectionResetError("server closed the connection"))

    # -- httptools callbacks ---------------------------------------------------------------------
    def on_header(self, name: bytes, _value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True  # the answer says where it ends: a hang-up before that is an error

    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)
        self._size += len(body)
        if self._size > MAX_ANSWER:
            self._fail(ConnectionError(f"answer larger than {MAX_ANSWER} bytes"))
            self.abort()

    def on_message_complete(self) -> None:
        self._finish(self.parser.should_keep_alive())

    def _finish(self, keep: bool) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result((self.parser.get_status_code(), b"".join(self._body), keep))

    def _fail(self, exc: BaseException) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
