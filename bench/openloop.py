"""Open-loop load at a fixed rate, for the latency figure (issue 22 item 4): the p99 from an
inbound message to its reply at half the measured maximum load, Parley beside its baseline at
the same rate, in the same run.

A closed loop (wrk's connections, or conversations that each wait for their answer) slows down
with the server it measures, so a stalled server is sent less and its queue never shows. Here
message ``i`` is due at ``start + i / rate`` and leaves then, answered or not, and its latency
runs from when it was *due*: a sender held up by a busy machine still counts the wait (no
coordinated omission). The benchmark decides what "the reply" is (a POST at the platform fake,
a frame on the socket) and calls ``Stopwatch.stop`` with the message's key when it arrives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.common import pct


@dataclass(frozen=True)
class Latency:
    rate: float  # messages per second asked for
    sent: int
    answered: int
    p50_ms: float
    p99_ms: float

    def line(self, name: str) -> str:
        lost = f"  ({self.sent - self.answered} unanswered)" if self.answered < self.sent else ""
        return f"{name:<30} at {self.rate:7.0f}/s  p50 {self.p50_ms:8.2f} ms  p99 {self.p99_ms:8.2f} ms{lost}"


class Stopwatch:
    """Due times by message key, and the latencies of the messages answered so far."""

    def __init__(self) -> None:
        self.due: dict[str, float] = {}
        self.latencies: list[float] = []
        self.expected = 0  # how many replies make the run complete (at_rate sets it)
        self.all_in = asyncio.Event()

    def start(self, key: str, due: float) -> None:
        self.due[key] = due

    def stop(self, key: str) -> None:
        """The reply to ``key`` arrived; a second reply to the same message is not counted."""
        due = self.due.pop(key, None)
        if due is not None:
            self.latencies.append(time.perf_counter() - due)
            if len(self.latencies) >= self.expected:
                self.all_in.set()


async def at_rate(
    rate: float,
    count: int,
    send: Callable[[int, float], Awaitable[None]],
    watch: Stopwatch,
    *,
    grace: float = 10.0,
) -> Latency:
    """Send ``count`` messages at ``rate`` per second (``send(i, due)`` each in its own task,
    which calls ``watch.start``), wait up to ``grace`` seconds after the last for the replies."""
    watch.expected = count  # set before the first reply can arrive: all_in means all of them
    begin = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        due = begin + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # behind schedule: send at once, the latency counts from due
        tasks.append(asyncio.create_task(send(i, due)))
    await asyncio.gather(*tasks)
    try:
        await asyncio.wait_for(watch.all_in.wait(), grace)
    except TimeoutError:
        pass  # reported as unanswered
    lat = watch.latencies
    return Latency(rate, count, len(lat), pct(lat, 50) * 1000, pct(lat, 99) * 1000)


def half(maximum: float) -> float:
    """Half the measured maximum, the load the latency target is set at (at least 1/s)."""
    return max(1.0, round(maximum / 2))


def rate_option(args: list[str]) -> tuple[float | None, list[str]]:
    """``--rate R`` (the rate mode alone, at R/s) taken out of ``args``; the rest as they were."""
    if "--rate" not in args:
        return None, args
    at = args.index("--rate")
    return float(args[at + 1]), args[:at] + args[at + 2 :]
