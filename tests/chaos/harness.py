"""The chaos harness: real ``bot.py`` processes on a real store, serving several channels at once
(``sides.py``: Telegram and Twilio SMS webhooks, web chat pages), each driven the way its
platform does (a message sent again until acknowledged) against a loopback platform that stamps
every answer it is sent. What it measures (``Figures``, per channel):

- acknowledged and lost: messages that were acknowledged and never answered;
- answered twice: conversations shown the same answer twice (where the platform has an
  idempotency key, a second delivery under the same key is shown once and does not count; it
  is reported beside);
- answered with an error text: the pack's "something went wrong";
- the longest stall after a restart: for messages acknowledged before a restart and answered
  after it, from the restarted process being ready to the answer (what a lock left by the killed
  process used to stretch to 120 s).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.common import pct
from tests.chaos.sides import PUBLIC_URL, Side, WebChatSide
from tests.integration.processes import Bot

ERROR_TEXT = "something went wrong"  # the error text of every shipped pack's English form
# A refused message is sent again after PAUSE, doubling up to MAX_PAUSE (platforms back off
# too): hundreds of senders hammering a dead port every 0.2 s starved the restarting process.
PAUSE, MAX_PAUSE = 0.2, 1.0
# Starting a process imports the channels' SDKs: seconds on a quiet machine, over a minute on
# two cores shared with other test runs. The stall is measured from ready, not from the kill.
READY_TIMEOUT = 180.0
# A platform stops re-sending a message after a while; past this the message counts as never
# acknowledged and the test fails with its figures instead of hanging the whole run.
GIVE_UP = 180.0


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
    """One bot process at a time on one store, serving every side; ``restart`` replaces it
    (SIGKILL first)."""

    def __init__(self, store_url: str, logs: Path, sides: list[Side], **env: str) -> None:
        self.store_url = store_url
        self.logs = logs
        self.sides = sides
        self.env = {"PARLEY_PUBLIC_URL": PUBLIC_URL, "PARLEY_STORE_WAIT": "60", **env}
        for side in sides:
            self.env.update(side.env())
        self.bot: Bot | None = None
        self.restarts: list[float] = []  # monotonic times a restarted process was ready
        self.old: list[Bot] = []
        # Per channel label: upper bounds of the sent-to-recorded windows seen before kills.
        self.windows: dict[str, list[float]] = {side.label: [] for side in sides}

    async def start(self) -> None:
        self.bot = Bot(self.store_url, self.logs, **self.env)
        await self.bot.ready(timeout=READY_TIMEOUT)
        for side in self.sides:
            if isinstance(side, WebChatSide):
                side.moved(self.bot.base)

    async def restart(self) -> None:
        assert self.bot is not None
        for label, seen in (await unrecorded(self.bot.base)).items():
            self.windows.setdefault(label, []).extend(seen)
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


async def unrecorded(base: str) -> dict[str, list[float]]:
    """The process's ``parley_outbox_unrecorded_seconds`` per channel, one upper bucket bound per
    send: how long each sent message went unrecorded (what a SIGKILL can re-send)."""
    try:
        async with aiohttp.ClientSession() as http, http.get(base + "/metrics") as r:
            text = await r.text()
    except (aiohttp.ClientError, TimeoutError):
        return {}
    buckets: dict[str, list[tuple[float, int]]] = {}
    for line in text.splitlines():
        if line.startswith("parley_outbox_unrecorded_seconds_bucket{"):
            label = line.split('channel="')[1].split('"')[0]
            bound = line.split('le="')[1].split('"')[0]
            buckets.setdefault(label, []).append((float(bound), int(float(line.rsplit(" ", 1)[1]))))
    out: dict[str, list[float]] = {}
    for label, counts in buckets.items():
        seen, windows = 0, []
        for bound, count in sorted(counts):
            windows += [bound] * (count - seen)
            seen = count
        out[label] = windows
    return out


class Driver:
    """Sends one side's messages as its platform does: each one again and again until acknowledged."""

    def __init__(self, cluster: Cluster, side: Side, updates: int, concurrency: int = 16) -> None:
        self.cluster = cluster
        self.side = side
        self.updates = updates
        self.concurrency = concurrency
        self.acked: dict[int, float] = {}  # conversation -> monotonic time of its acknowledgement
        self.done = False  # every message acknowledged or given up: a fault waiting on it goes ahead
        self.refused = 0  # refusals (503 or an error frame while the store is away, the process gone)

    async def run(self, pace: float = 0.0) -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(1, self.updates + 1):
            queue.put_nowait(n)
        try:
            async with aiohttp.ClientSession() as http:
                await asyncio.gather(*(self._worker(http, queue, pace) for _ in range(self.concurrency)))
        finally:
            self.done = True

    async def _worker(self, http: aiohttp.ClientSession, queue: asyncio.Queue[int], pace: float) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            pause, give_up = PAUSE, time.monotonic() + GIVE_UP
            while not await self.side.post(http, self.cluster.base, n):
                self.refused += 1
                if time.monotonic() > give_up:
                    break
                await asyncio.sleep(pause)
                pause = min(MAX_PAUSE, pause * 2)
            else:
                self.acked[n] = time.monotonic()
            if pace:
                await asyncio.sleep(pace)

    async def when_acked(self, count: int) -> None:
        while len(self.acked) < count and not self.done:
            await asyncio.sleep(0.02)


async def answered(drivers: list[Driver], timeout: float) -> None:
    """Wait until every acknowledged message has an answer (or the time is up: they are lost)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(set(d.acked) <= {a.conv for a in d.side.answers()} for d in drivers):
            return
        await asyncio.sleep(0.1)


def figures(name: str, driver: Driver, cluster: Cluster) -> Figures:
    side = driver.side
    first: dict[int, float] = {}
    texts: Counter[tuple[int, str]] = Counter()
    keys: dict[int, set[str]] = {}
    redelivered = errors = 0
    for answer in side.answers():
        first.setdefault(answer.conv, answer.at)
        errors += ERROR_TEXT in answer.text.lower()
        if side.keyed:  # shown once per key: a second delivery under the same key is dropped
            seen = keys.setdefault(answer.conv, set())
            redelivered += answer.key in seen
            seen.add(answer.key)
        else:
            texts[(answer.conv, answer.text)] += 1
    stall = slowest = 0.0
    for n, acked_at in driver.acked.items():
        at = first.get(n)
        if at is None:
            continue
        slowest = max(slowest, at - acked_at)
        # Pending across a restart: from the new process being ready to the answer.
        across = [r for r in cluster.restarts if acked_at < r <= at]
        if across:
            stall = max(stall, at - across[-1])
    out = Figures(f"{name} [{side.name}]", driver.updates, len(driver.acked))
    out.lost = sum(1 for n in driver.acked if n not in first)
    if side.keyed:
        out.twice = sum(1 for seen in keys.values() if len(seen) > 1)
        out.notes.append(f"{redelivered} redelivered under the same reply id, shown once")
    else:
        out.twice = len({conv for (conv, _), count in texts.items() if count > 1})
    out.error_text = errors
    out.longest_stall = stall
    out.notes.append(f"{driver.refused} refusals retried, slowest answer {slowest:.1f} s after its ack")
    if windows := cluster.windows.get(side.label, []):
        p50, p99 = pct(windows, 50), pct(windows, 99)
        out.notes.append(f"sent-to-recorded window p50 <= {p50 * 1000:g} ms, p99 <= {p99 * 1000:g} ms")
    return out


async def kill_at(cluster: Cluster, driver: Driver, fractions: tuple[float, ...]) -> None:
    """SIGKILL the bot (and start a new one on the same store) as one side's load passes each fraction."""
    for fraction in fractions:
        await driver.when_acked(int(driver.updates * fraction))
        await cluster.restart()


Scenario = Callable[[Path, int], Awaitable[list[Figures]]]
