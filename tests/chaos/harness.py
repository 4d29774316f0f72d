"""The chaos harness: real ``bot.py`` processes on a real store, answering Telegram webhooks
that a driver sends the way Telegram does (each update re-sent until it gets a 200), against a
loopback Telegram that stamps every message it is sent. What it measures (``Figures``):

- acknowledged and lost: updates that got a 200 and never an answer;
- answered twice: chats sent the same text twice (Telegram has no idempotency key, so a crash
  between a send and its record can do it: reported, and asserted 0 where nothing can cause it);
- answered with an error text: the pack's "something went wrong";
- the longest stall after a restart: for updates acknowledged before a restart and answered
  after it, from the restarted process being ready to the answer (what a lock left by the killed
  process used to stretch to 120 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from parley.testing.fakes.telegram import FakeTelegram
from tests.integration.processes import Bot

SECRET = "chaos-webhook-secret"
QUESTION = "How long does delivery take?"
ERROR_TEXT = "something went wrong"  # the error text of every shipped pack's English form


class StampedTelegram(FakeTelegram):
    """The Telegram fake, noting when each message arrived (monotonic seconds)."""

    async def m_sendMessage(self, params):
        result = await super().m_sendMessage(params)
        self.sent[-1]["at"] = time.monotonic()
        return result


@dataclass
class Figures:
    name: str
    updates: int = 0
    acked: int = 0
    lost: int = 0
    twice: int = 0
    error_text: int = 0
    longest_stall: float = 0.0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        extra = f" ({'; '.join(self.notes)})" if self.notes else ""
        return (
            f"{self.name}: {self.acked}/{self.updates} acknowledged, lost {self.lost}, answered twice {self.twice}, "
            f"error text {self.error_text}, longest stall after restart {self.longest_stall:.1f} s{extra}"
        )


class Cluster:
    """One bot process at a time on one store; ``restart`` replaces it (SIGKILL first)."""

    def __init__(self, store_url: str, logs: Path, telegram: StampedTelegram, **env: str) -> None:
        self.store_url = store_url
        self.logs = logs
        self.env = {
            "PARLEY_TELEGRAM__TOKEN": telegram.token,
            "PARLEY_TELEGRAM__API_BASE": telegram.url,
            "PARLEY_TELEGRAM__MODE": "webhook",
            "PARLEY_TELEGRAM__WEBHOOK_SECRET": SECRET,
            "PARLEY_TELEGRAM__BOT_RATE": "1000",  # the platform's own limit is not what is measured
            "PARLEY_PUBLIC_URL": "https://chaos.example",
            "PARLEY_STORE_WAIT": "60",
            **env,
        }
        self.bot: Bot | None = None
        self.restarts: list[float] = []  # monotonic times a restarted process was ready
        self.old: list[Bot] = []
        self.windows: list[float] = []  # upper bounds of the unrecorded windows seen before kills

    async def start(self) -> None:
        self.bot = Bot(self.store_url, self.logs, **self.env)
        await self.bot.ready(timeout=90)

    async def restart(self) -> None:
        assert self.bot is not None
        self.windows += await unrecorded(self.bot.base)
        self.bot.kill()  # SIGKILL: no shutdown, locks and leases left behind
        self.old.append(self.bot)
        await self.start()
        self.restarts.append(time.monotonic())

    @property
    def base(self) -> str:
        assert self.bot is not None
        return self.bot.base

    def stop(self) -> None:
        if self.bot is not None:
            self.bot.kill()

    def tracebacks(self) -> int:
        logs = [*self.old, *([self.bot] if self.bot else [])]
        return sum(b.log.read_text(errors="replace").count("Traceback") for b in logs)


async def unrecorded(base: str) -> list[float]:
    """The process's ``parley_outbox_unrecorded_seconds`` for Telegram, one upper bucket bound
    per send: how long each sent message went unrecorded (what a SIGKILL can re-send)."""
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as r:
            text = await r.text()
        buckets = []
        for line in text.splitlines():
            if line.startswith('parley_outbox_unrecorded_seconds_bucket{channel="telegram"'):
                bound = line.split('le="')[1].split('"')[0]
                buckets.append((float(bound), int(float(line.rsplit(" ", 1)[1]))))
        out, seen = [], 0
        for bound, count in sorted(buckets):
            out += [bound] * (count - seen)
            seen = count
        return out
    return []


def update(n: int) -> dict:
    chat = 100_000 + n  # one chat per update: its answers are counted per chat
    return {
        "update_id": n,
        "message": {
            "message_id": n,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private", "first_name": "Chaos"},
            "from": {"id": chat, "is_bot": False, "first_name": "Chaos", "language_code": "en"},
            "text": QUESTION,
        },
    }


class Driver:
    """Sends updates as Telegram does: each one again and again until a 200."""

    def __init__(self, cluster: Cluster, updates: int, concurrency: int = 16) -> None:
        self.cluster = cluster
        self.updates = updates
        self.concurrency = concurrency
        self.acked: dict[int, float] = {}  # update id -> monotonic time of its 200
        self.refused = 0  # non-200 answers (503 while the store is away, the process gone)

    async def run(self, pace: float = 0.0) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(1, self.updates + 1):
            queue.put_nowait(n)
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(*(self._worker(http, queue, pace) for _ in range(self.concurrency)))

    async def _worker(self, http: aiohttp.ClientSession, queue: asyncio.Queue[int], pace: float) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            while not await self._post(http, n):
                self.refused += 1
                await asyncio.sleep(0.2)
            self.acked[n] = time.monotonic()
            if pace:
                await asyncio.sleep(pace)

    async def _post(self, http: aiohttp.ClientSession, n: int) -> bool:
        url = self.cluster.base + "/webhooks/telegram"
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with http.post(url, json=update(n), headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as r:
                return r.status == 200
        return False

    async def when_acked(self, count: int) -> None:
        while len(self.acked) < count:
            await asyncio.sleep(0.02)


async def answered(telegram: StampedTelegram, driver: Driver, timeout: float) -> None:
    """Wait until every acknowledged update has an answer (or the time is up: they are lost)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chats = {int(m["chat_id"]) for m in telegram.sent}
        if all(100_000 + n in chats for n in driver.acked):
            return
        await asyncio.sleep(0.1)


def figures(name: str, telegram: StampedTelegram, driver: Driver, cluster: Cluster) -> Figures:
    first: dict[int, float] = {}
    texts: Counter[tuple[int, str]] = Counter()
    errors = 0
    for message in telegram.sent:
        chat = int(message["chat_id"])
        first.setdefault(chat, message["at"])
        texts[(chat, message["text"])] += 1
        errors += ERROR_TEXT in message["text"].lower()
    stall = slowest = 0.0
    for n, acked_at in driver.acked.items():
        at = first.get(100_000 + n)
        if at is None:
            continue
        slowest = max(slowest, at - acked_at)
        # Pending across a restart: from the new process being ready to the answer.
        across = [r for r in cluster.restarts if acked_at < r <= at]
        if across:
            stall = max(stall, at - across[-1])
    out = Figures(name, driver.updates, len(driver.acked))
    out.lost = sum(1 for n in driver.acked if 100_000 + n not in first)
    out.twice = len({chat for (chat, _), count in texts.items() if count > 1})
    out.error_text = errors
    out.longest_stall = stall
    out.notes.append(f"{driver.refused} refusals retried, slowest answer {slowest:.1f} s after its ack")
    if cluster.windows:
        windows = sorted(cluster.windows)
        p50, p99 = windows[len(windows) // 2], windows[min(len(windows) - 1, len(windows) * 99 // 100)]
        out.notes.append(f"sent-to-recorded window p50 <= {p50 * 1000:g} ms, p99 <= {p99 * 1000:g} ms")
    return out


async def kill_at(cluster: Cluster, driver: Driver, fractions: tuple[float, ...]) -> None:
    """SIGKILL the bot (and start a new one on the same store) as the load passes each fraction."""
    for fraction in fractions:
        await driver.when_acked(int(driver.updates * fraction))
        await cluster.restart()


Scenario = Callable[[Path, int], Awaitable[Figures]]


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
