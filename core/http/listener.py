"""The listening socket: a connection cap, quiet refusals, and as many file descriptors as allowed.

aiohttp closes a connection that sends nothing, or stays idle between requests, after its
keep-alive timeout (``PARLEY_HTTP__IDLE_TIMEOUT``: the header and idle timeout). What it does not
do is stop accepting: 1,100 idle sockets on a 1,024-descriptor limit made ``/healthz`` time out
and asyncio log "Too many open files" with a traceback on every accept. Here a connection past
``max_connections`` is answered 503 and closed at once, with one log line when the cap is
reached and one when the server is back under it; the cap stays below the descriptor limit,
which is raised to the hard limit at start-up where the system allows.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from typing import Any

from aiohttp import web

log = logging.getLogger("parley.http")

RESERVE = 128  # descriptors kept for the store, outgoing calls and log files
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n"


def raise_fd_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (no privilege needed); return the soft
    limit in force. Platforms without ``resource`` keep theirs."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            log.info("file descriptor limit stays at %d", soft)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


class _Refuse(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(BUSY)  # type: ignore[attr-defined]
        transport.close()


class Listener:
    """Serves ``runner`` on host:port with at most ``cap`` open connections."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, cap: int) -> None:
        self.runner = runner
        self.host = host
        self.port = port
        self.cap = cap
        self.refused = 0  # since the cap was last reached
        self._server: asyncio.Server | None = None

    def _protocol(self) -> asyncio.Protocol:
        server = self.runner.server
        assert server is not None
        if len(server.connections) < self.cap:
            if self.refused:
                log.info("connections back under the cap", extra={"cap": self.cap, "refused": self.refused})
                self.refused = 0
            return server()
        if not self.refused:
            log.warning("connection cap reached: refusing new connections with 503", extra={"cap": self.cap})
        self.refused += 1
        return _Refuse()

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        _quiet_accept_errors(loop)
        self._server = await loop.create_server(self._protocol, self.host, self.port, backlog=1024)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening; open connections stay until the runner's cleanup."""
        if self._server is not None:
            self._server.close()


def _quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Out of descriptors anyway (another process, a leak): asyncio pauses accepting for a second
    and reports it with a traceback each time. One line instead; everything else as before."""
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
            log.warning("accept paused: %s", exc.strerror)
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
