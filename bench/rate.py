"""Open-loop load at a fixed request rate, and the latency it measures (issue 22, item 4).

bench/openloop.py times replies as they arrive in the driver; here they are read after the run
from where they landed (the Telegram fake's notes, the Twilio fake's own process and clock), so
a request is only planned and posted here, and matched to its reply at the end. Both report
the same ``Latency``.

A closed loop (N connections, each posting when its last answer came) slows down with the
server under test, so a server that stalls is also sent less: its queueing never shows. Here
request ``i`` starts at ``start + i / rate`` whatever happened to the ones before, each in its
own task, and its latency counts from that planned moment, not from when it went out: a
load generator that fell behind charges the delay to the server, never hides it.

The channel benchmarks (bench/telegram.py, bench/twilio.py) run the bare handler and Parley at
the same rate, by default half of Parley's measured maximum, and compare the p99 of
inbound-to-reply: the target is Parley within 2x the bare handler's p99 at that load.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable

from bench.common import pct
from bench.openloop import Latency, half

__all__ = ["Latency", "half", "latency", "open_loop", "report"]

P99_TARGET = 2.0  # Parley's p99 at most this many times the bare handler's, at the same rate


async def open_loop(
    post: Callable[[int], Awaitable[None]], rate: float, count: int, clock: Callable[[], float] = time.perf_counter
) -> tuple[dict[int, float], int]:
    """Start ``post(i)`` for i in 0..count-1 at ``rate`` per second; wait for every post.
    Returns each request's planned start on ``clock``, and how many posts raised."""
    planned: dict[int, float] = {}
    tasks: list[asyncio.Task[None]] = []
    start = clock()
    for i in range(count):
        at = start + i / rate
        ahead = at - clock()
        if ahead > 0:
            await asyncio.sleep(ahead)
        planned[i] = at
        tasks.append(asyncio.create_task(post(i)))
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    return planned, sum(isinstance(o, BaseException) for o in outcomes)


def latency(rate: float, planned: Iterable[tuple[float, float | None]], failed: int) -> Latency:
    """From (planned start, reply arrival or None) pairs, on one clock; a failed post counts as
    unanswered even if a reply came."""
    pairs = list(planned)
    got = [arrived - start for start, arrived in pairs if arrived is not None]
    answered = min(len(got), len(pairs) - failed)
    return Latency(rate, len(pairs), answered, pct(got, 50) * 1000, pct(got, 99) * 1000)


def report(results: dict[str, Latency], parley: str, bare: str) -> list[str]:
    """Lines for a benchmark's output: each target's p50/p99 at the rate, and Parley's p99
    against the bare handler's beside the target."""
    lines = [f"{'at a fixed rate':22} {'req/s':>7} {'sent':>6} {'p50 ms':>8} {'p99 ms':>8} {'lost':>5}"]
    for name, r in results.items():
        lines.append(f"{name:22} {r.rate:>7.0f} {r.sent:>6} {r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.sent - r.answered:>5}")
    if parley in results and bare in results and results[bare].p99_ms > 0:
        ratio = results[parley].p99_ms / results[bare].p99_ms
        verdict = "met" if ratio <= P99_TARGET else "NOT met"
        lines.append(
            f"p99 {parley} / {bare} at {results[parley].rate:.0f}/s: {ratio:.2f}x (target <= {P99_TARGET:.0f}x: {verdict})"
        )
    return lines


def add_rate_arguments(parser: argparse.ArgumentParser, unit: str, quick: str) -> None:
    """The flags every channel benchmark shares: ``--quick`` (``quick`` says what it shortens),
    ``--rate``, ``--seconds`` (10, or 4 with ``--quick``: ``rate_seconds``), ``--no-latency`` and
    ``--json`` (``bench.all`` reads its line)."""
    parser.add_argument("--quick", action="store_true", help=f"a short run: {quick}, 4 s at the rate")
    parser.add_argument("--rate", type=float, help=f"only the latency, open loop at this many {unit}/s")
    parser.add_argument("--seconds", type=float, help="how long each target gets at the rate (10 s)")
    parser.add_argument("--no-latency", dest="latency", action="store_false", help="only the maximum")
    parser.add_argument("--json", action="store_true", help="also one machine-readable line (bench.common.emit)")


def rate_seconds(args: argparse.Namespace) -> float:
    return args.seconds or (4.0 if args.quick else 10.0)


def latency_figures(results: dict[str, Latency], parley: str, bare: str) -> dict[str, float]:
    """The latency rows' figures for ``bench.common.emit``: each p99 at the rate (half the
    maximum unless ``--rate`` said otherwise)."""
    found = {}
    for name, key in ((parley, "parley"), (bare, "bare")):
        if name in results:
            found[f"{key}_p99_half_ms"] = results[name].p99_ms
            found[f"{key}_p50_half_ms"] = results[name].p50_ms
    return found
