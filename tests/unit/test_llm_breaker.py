"""The model's circuit breaker (issue 18, item 4), on a clock the test moves."""

from __future__ import annotations

from parley.core.brains.llm.breaker import Breaker, Circuit
from parley.core.kernel.clock import ManualClock


def breaker(clock: ManualClock, seen: list[Circuit]) -> Breaker:
    return Breaker(failures=3, cooldown=30.0, max_cooldown=100.0, clock=clock, on_change=seen.append)


def tripped(clock: ManualClock, seen: list[Circuit]) -> Breaker:
    """A breaker opened by three failures in a row, at the clock's present time."""
    b = breaker(clock, seen)
    for _ in range(3):
        b.allow()
        b.failure()
    return b


def test_opens_after_failures_in_a_row_and_skips_the_model_meanwhile():
    clock, seen = ManualClock(), []
    b = breaker(clock, seen)
    for _ in range(2):
        assert b.allow()
        b.failure()
    assert b.allow()
    b.success()  # a success in between starts the count again
    for _ in range(3):
        assert b.allow()
        b.failure()
    assert b.state == Circuit.OPEN and seen == [Circuit.OPEN]
    clock.advance(29)
    assert not b.allow()


def test_half_open_lets_one_probe_through_and_closes_on_success():
    clock, seen = ManualClock(), []
    b = tripped(clock, seen)
    clock.advance(30)
    assert b.allow()  # the probe
    assert b.state == Circuit.HALF_OPEN
    assert not b.allow() and not b.allow()  # everyone else: the offline answer meanwhile
    b.success()
    assert b.state == Circuit.CLOSED and b.allow()
    assert seen == [Circuit.OPEN, Circuit.HALF_OPEN, Circuit.CLOSED]


def test_a_failed_probe_opens_again_for_longer_up_to_the_cap():
    clock, seen = ManualClock(), []
    b = tripped(clock, seen)
    waits = []
    for _ in range(4):
        opened = clock()
        while not b.allow():
            clock.advance(1)
        waits.append(clock() - opened)
        b.failure()
    assert waits == [30, 60, 100, 100]
    clock.advance(100)
    assert b.allow()
    b.success()
    assert b.cooldown == 30.0  # healthy again: the next outage starts from the first cooldown


def test_an_abandoned_probe_frees_the_slot():
    clock, seen = ManualClock(), []
    b = tripped(clock, seen)
    clock.advance(30)
    assert b.allow()
    b.abandon()  # the turn was cancelled mid-answer
    assert b.allow()
