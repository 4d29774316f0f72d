"""bench/openloop.py: the rate mode's bookkeeping (the latency figures themselves are the
benchmarks', never asserted here)."""

from __future__ import annotations

import asyncio

from bench.openloop import Stopwatch, at_rate, half, rate_option


async def test_every_reply_is_waited_for_even_when_the_first_ones_come_back_at_once():
    watch = Stopwatch()
    loop = asyncio.get_running_loop()

    async def send(i: int, due: float) -> None:
        watch.start(f"m{i}", due)
        # The first reply is immediate, the others arrive after every message has left.
        loop.call_later(0 if i == 0 else 0.05, watch.stop, f"m{i}")

    result = await at_rate(1000, 20, send, watch, grace=5)
    assert (result.sent, result.answered) == (20, 20)


async def test_a_message_never_answered_is_counted_and_a_second_reply_is_not():
    watch = Stopwatch()

    async def send(i: int, due: float) -> None:
        watch.start(f"m{i}", due)
        if i != 3:
            watch.stop(f"m{i}")
            watch.stop(f"m{i}")  # a duplicate reply must not stand in for the lost one

    result = await at_rate(1000, 10, send, watch, grace=0.05)
    assert (result.sent, result.answered) == (10, 9)
    assert "unanswered" in result.line("parley")


def test_half_and_the_rate_option():
    assert half(1001) == 500 and half(0.4) == 1.0
    assert rate_option(["5", "--rate", "120"]) == (120.0, ["5"])
    assert rate_option(["5"]) == (None, ["5"])
