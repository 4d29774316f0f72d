"""A circuit breaker for the model: a model that keeps failing is skipped for a while.

Closed: every answer asks the model; ``failures`` failed answers in a row open the circuit.
Open: answers go straight to the offline brain (no wait, no request) for ``cooldown`` seconds.
Half-open: then one answer at a time probes the model; success closes the circuit, failure
opens it again for twice as long (up to ``max_cooldown``), so a model down for an hour costs one
probe every few minutes, not a timeout per customer.

Our own small class rather than a library: the maintained async breakers (purgatory, aiobreaker)
let every request through while half-open instead of one probe, read the wall clock (tests
could not move time), and wrap a call, while an answer here is a stream the brain reports on
when it ends.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable


class Circuit(enum.IntEnum):  # the values are the metric's (parley_llm_circuit_state)
    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class Breaker:
    def __init__(
        self,
        *,
        failures: int = 3,
        cooldown: float = 30.0,
        max_cooldown: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[Circuit], None] | None = None,
    ) -> None:
        self.failures = failures
        self.base_cooldown = cooldown
        self.max_cooldown = max_cooldown
        self.clock = clock
        self.on_change = on_change
        self.state = Circuit.CLOSED
        self.cooldown = cooldown
        self._failed = 0  # failed answers in a row while closed
        self._opened_at = 0.0
        self._probing = False  # a half-open probe is out

    def allow(self) -> bool:
        """May this answer ask the model? Every True must be followed by ``success``,
        ``failure`` or ``abandon``."""
        if self.state == Circuit.OPEN:
            if self.clock() < self._opened_at + self.cooldown:
                return False
            self._set(Circuit.HALF_OPEN)
        if self.state == Circuit.HALF_OPEN:
            if self._probing:
                return False  # one probe at a time; the others keep the offline answer
            self._probing = True
        return True

    def success(self) -> None:
        self._probing = False
        self._failed = 0
        self.cooldown = self.base_cooldown
        if self.state != Circuit.CLOSED:
            self._set(Circuit.CLOSED)

    def failure(self) -> None:
        if self.state == Circuit.HALF_OPEN:
            self._probing = False
            self.cooldown = min(self.cooldown * 2, self.max_cooldown)
            self._open()
            return
        self._failed += 1
        if self.state == Circuit.CLOSED and self._failed >= self.failures:
            self._open()

    def abandon(self) -> None:
        """The answer ended without a verdict (the turn was cancelled): free the probe."""
        self._probing = False

    def _open(self) -> None:
        self._failed = 0
        self._opened_at = self.clock()
        self._set(Circuit.OPEN)

    def _set(self, state: Circuit) -> None:
        self.state = state
        if self.on_change is not None:
            self.on_change(state)
