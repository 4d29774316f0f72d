"""One log line when a store outage starts and one when it ends, whatever happens in between.

Background loops (the outbox, the sweeper, the planner, turns waiting to be retried) meet an
unreachable store on every try, once a second or more. A warning per try wrote a line (or a
traceback) per second per loop for the whole outage and buried the two lines an operator needs:
when it started, and when it was over.
"""

from __future__ import annotations

import logging
import time


class Outage:
    """Tracks whether the last store call of one component failed; logs only the changes."""

    def __init__(self, log: logging.Logger, what: str) -> None:
        self.log = log
        self.what = what
        self.since: float | None = None  # monotonic time the outage was first seen
        self.failures = 0

    @property
    def ongoing(self) -> bool:
        return self.since is not None

    def failed(self, exc: BaseException) -> None:
        """A call failed with StoreUnavailable: logs the first failure of an outage only."""
        self.failures += 1
        if self.since is None:
            self.since = time.monotonic()
            self.log.warning("%s paused: store unavailable (%s); retrying quietly", self.what, exc)

    def ok(self) -> None:
        """A call succeeded: ends the outage, if there was one, with one line. Cheap otherwise."""
        if self.since is None:
            return
        took = time.monotonic() - self.since
        self.log.warning("%s resumed: store back after %.1f s (%d failed tries)", self.what, took, self.failures)
        self.since = None
        self.failures = 0
