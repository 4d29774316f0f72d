"""GCRA rate limiting for the embedded store (Redis has its own, in one Lua call).

GCRA keeps one number per key (the theoretical arrival time), so a limit per chat costs a float,
and a throttled send learns exactly how long to wait: the outbox re-schedules it for then instead
of sleeping while holding its lease.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    key: str
    rate: float  # sends per second
    burst: int = 1


SWEEP = 10.0  # seconds between sweeps of keys gone idle: a sweep is one pass over the recent ones


class Limiter:
    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._swept = 0.0

    @property
    def tracked(self) -> int:
        """How many keys (chats, bots) the limiter holds now."""
        return len(self._tat)

    def acquire(self, limits: list[Limit], now: float) -> float:
        """0.0 if every limit allows one more send now (and count it), else seconds to wait."""
        if now - self._swept > SWEEP:
            # A key per chat ever sent to would grow with every conversation: a key whose time
            # has passed says nothing a missing key doesn't (max(tat, now) is now), so drop them.
            self.forget_idle(now)
            self._swept = now
        wait = 0.0
        for limit in limits:
            interval = 1.0 / limit.rate
            tat = max(self._tat.get(limit.key, now), now)
            allow_at = tat - interval * limit.burst
            if allow_at > now - interval:
                wait = max(wait, allow_at + interval - now)
        if wait > 0:
            return wait
        for limit in limits:
            interval = 1.0 / limit.rate
            self._tat[limit.key] = max(self._tat.get(limit.key, now), now) + interval
        return 0.0

    def penalise(self, key: str, until: float) -> None:
        """A platform 429 knows better than our estimate: nothing more on ``key`` before ``until``."""
        self._tat[key] = max(self._tat.get(key, 0.0), until)

    def forget_idle(self, now: float) -> None:
        for key in [k for k, tat in self._tat.items() if tat < now]:
            del self._tat[key]
