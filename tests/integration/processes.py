"""Real ``bot.py`` processes (and real ``redis-server`` ones) for the scale-out tests, plus a web
chat client that behaves like the page: it waits for each ack and resends what was not acked."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from parley.channels.webchat.identity import chat_of

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def http_status(url: str) -> int:
    try:
        async with aiohttp.ClientSession() as s, s.get(url, timeout=aiohttp.ClientTimeout(total=2)) as r:
            return r.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


class Bot:
    """One ``bot.py`` (or another program of ours) on a free port, logging to a file."""

    def __init__(self, store_url: str, log_dir: Path, program: str = "bot.py", **env: str) -> None:
        self.port = free_port()
        self.log = log_dir / f"bot-{self.port}.log"
        environ = {
            **os.environ,
            "PARLEY_STORE_URL": store_url,
            "PARLEY_HTTP__PORT": str(self.port),
            "PARLEY_FLOOD_PER_MINUTE": "10000",  # the tests drive one person hard on purpose
            **env,
        }
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(ROOT / program)], cwd=ROOT, env=environ, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self, timeout: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while await http_status(self.base + "/readyz") != 200:
            if self.proc.poll() is not None or loop.time() > deadline:
                raise AssertionError(f"bot on {self.port} not ready:\n{self.log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=20)


class RedisServer:
    """A private redis-server on a free port with AOF ``always`` (so a stop loses nothing), to
    stop and restart at will: the shared server on 6379 is never touched."""

    def __init__(self, data: Path, fsync: str = "always") -> None:
        self.port = free_port()
        self.data = data
        self.fsync = fsync
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data)]
        args += ["--appendonly", "yes", "--appendfsync", self.fsync, "--save", "", "--maxmemory-policy", "noeviction"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(500):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: redis flushes the AOF and exits
            self.proc.wait(timeout=20)


@dataclass
class ChatClient:
    """One web chat client id with a socket per process (two tabs behind a load balancer)."""

    cid: str = ""  # issued by the first process's welcome, with its token; both presented after
    token: str = ""
    sockets: list[aiohttp.ClientWebSocketResponse] = field(default_factory=list)
    replies: list[list[str]] = field(default_factory=list)  # per socket: reply ids in arrival order
    acked: set[str] = field(default_factory=set)
    refused: int = 0
    _acks: dict[str, asyncio.Future[bool]] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def connect(self, session: aiohttp.ClientSession, bases: list[str]) -> None:
        for n, base in enumerate(bases):
            ws = await session.ws_connect(base.replace("http", "ws") + "/chat/ws", heartbeat=None)
            await ws.send_json({"type": "hello", "cid": self.cid, "token": self.token, "locale": "en"})
            welcome = await ws.receive_json()
            assert welcome["type"] == "welcome"
            assert not self.cid or welcome["cid"] == self.cid  # the token holds in every process
            self.cid, self.token = welcome["cid"], welcome["token"]
            self.sockets.append(ws)
            self.replies.append([])
            self._tasks.append(asyncio.create_task(self._read(n, ws)))

    async def _read(self, n: int, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            frame = json.loads(msg.data)
            if frame["type"] == "reply":
                self.replies[n].append(frame["id"])
            elif frame["type"] == "ack":
                self._settle(frame["id"], True)
            elif frame.get("code") == "unavailable":
                self.refused += 1
                self._settle(frame["id"], False)

    def _settle(self, event_id: str, ok: bool) -> None:
        waiter = self._acks.pop(event_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(ok)

    async def say(self, n: int, event_id: str, text: str, timeout: float = 120.0) -> None:
        """Send until acked, pausing after each refusal (as the page does)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            waiter = self._acks[event_id] = loop.create_future()
            await self.sockets[n].send_json({"type": "message", "id": event_id, "text": text})
            with contextlib.suppress(TimeoutError):
                if await asyncio.wait_for(waiter, 10):
                    self.acked.add(event_id)
                    return
            await asyncio.sleep(0.3)
        raise AssertionError(f"{event_id} never acknowledged")

    @property
    def chat(self) -> str:
        return chat_of(self.cid)

    async def close(self) -> None:
        for ws in self.sockets:
            await ws.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
