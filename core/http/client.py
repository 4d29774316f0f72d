"""Posts of ready-made bodies to one origin, through one tuned aiohttp ``ClientSession``.

The reply path (the Bot API's sendMessage and friends) posts small JSON bodies that callers
serialise themselves, with one shared encoder: no request model, no ``json=`` serialisation
here. The session keeps a keep-alive pool of at most ``limit`` connections to the origin and
drops connections idle past ``IDLE`` seconds (servers close idle keep-alive connections, and a
request written into one that is closing fails). aiohttp brings what a hand-written client
lacked: chunked and close-delimited bodies, redirects, TLS, and proxies.

Proxies come from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``) exactly as
aiohttp's ``trust_env`` reads them, but once per origin when the session is made:
``trust_env=True`` would look the proxy and ~/.netrc up again on every request, each in a
worker thread.

Errors are the builtin ones the outbox already retries: ConnectionError (refused, reset, a
malformed or oversized answer, a failed TLS handshake, with aiohttp's error as the cause) and
TimeoutError.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from yarl import URL

IDLE = 15.0  # seconds an idle connection is trusted (aiohttp's default keepalive_timeout)
MAX_ANSWER = 4 * 1024 * 1024  # bytes: API answers are small; a runaway one must not fill memory


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


class Origin:
    """``scheme://host:port`` and its session; ``post`` takes the path (and query)."""

    def __init__(
        self,
        url: str,
        *,
        limit: int = 64,
        timeout: float = 30.0,
        context: ssl.SSLContext | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.origin = URL(url)
        if self.origin.scheme not in ("http", "https") or not self.origin.host:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.limit = limit
        self.timeout = timeout
        self._ssl: ssl.SSLContext | bool = context or True  # True: the system's CAs, hostname checked
        self._headers = {"Content-Type": content_type, "User-Agent": "Parley"}
        self._urls: dict[str, URL] = {}  # path -> URL, parsed once
        self._session: aiohttp.ClientSession | None = None
        self.closed = False

    async def post(self, path: str, body: bytes) -> Response:
        url = self._urls.get(path)
        if url is None:
            url = self._urls[path] = self.origin.join(URL(path, encoded=True))
        session = self._session or self._open()
        try:
            async with session.post(url, data=body) as resp:
                if resp.content_length is not None and resp.content_length > MAX_ANSWER:
                    raise ConnectionError(f"answer of {resp.content_length} bytes, over {MAX_ANSWER}")
                answer = await resp.read() if resp.content_length is not None else await _capped(resp)
                return Response(resp.status, answer)
        except TimeoutError:
            raise  # aiohttp's timeouts are TimeoutErrors already
        except aiohttp.ClientError as exc:
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        self.closed = True
        session, self._session = self._session, None  # a later post finds no session and refuses
        if session is not None:
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        """The session, made at the first request (aiohttp wants a running loop)."""
        if self.closed:
            raise ConnectionError("client closed")
        try:
            proxy, proxy_auth = get_env_proxy_for_url(self.origin)
        except LookupError:  # no proxy set for this scheme, or NO_PROXY names the host
            proxy, proxy_auth = None, None
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.limit, keepalive_timeout=IDLE, ssl=self._ssl),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            headers=self._headers,
            # identity bodies: small answers are cheaper to take whole than to inflate
            skip_auto_headers=("Accept-Encoding",),
            cookie_jar=aiohttp.DummyCookieJar(),
            proxy=proxy,
            proxy_auth=proxy_auth,
        )
        return self._session


async def _capped(resp: aiohttp.ClientResponse) -> bytes:
    """A body without Content-Length (chunked, or until the server closes), refused past MAX_ANSWER."""
    parts: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_any():
        size += len(chunk)
        if size > MAX_ANSWER:
            raise ConnectionError(f"answer over {MAX_ANSWER} bytes")
        parts.append(chunk)
    return b"".join(parts)
