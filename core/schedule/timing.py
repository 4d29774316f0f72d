"""Schedule maths, pure and clock-free (arq's ``next_cron`` style): when may a message go out in
a person's local time?

Local wall times are resolved with ``zoneinfo`` under PEP 495: a time that does not exist (a
spring-forward gap, e.g. 02:30 in Europe/Paris on the last Sunday of March) lands after the gap
(03:30 local, with the pre-transition offset); a time that happens twice (an autumn overlap)
resolves to its first occurrence, so a window opening at 02:30 opens once, not twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON_DAYS = 15  # a window that does not open within two weeks never opens


class TimingError(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    """Days and local hours a campaign may send; ``days`` may be ("weekdays",): not the locale's
    weekend (Friday-Saturday in some packs, Saturday-Sunday in others)."""

    days: tuple[str, ...] = ("weekdays",)
    start: time = time(10, 0)
    end: time = time(18, 0)

    def allowed(self, weekend: tuple[int, ...]) -> set[int]:
        out: set[int] = set()
        for day in self.days:
            if day == "weekdays":
                out |= set(range(7)) - set(weekend)
            elif day == "any":
                out |= set(range(7))
            else:
                out.add(DAYS.index(day))
        return out


def hhmm(value: str) -> time:
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise TimingError(f"{value!r} is not a time of day like 10:00") from None


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimingError(f"time zone {name!r} does not exist (use an IANA name like Europe/Paris)") from None


def resolve(day: date, at: time, tz: ZoneInfo) -> float:
    """The instant a local wall time names (gaps land after the gap, overlaps on the first)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).timestamp()


def in_quiet(at: time, quiet: tuple[time, time]) -> bool:
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= at < end
    return at >= start or at < end  # crosses midnight, e.g. 21:00-09:00


def after_quiet(ts: float, tz: ZoneInfo, quiet: tuple[time, time]) -> float:
    """``ts`` if it is outside quiet hours, else the moment quiet hours end."""
    local = datetime.fromtimestamp(ts, tz)
    if not in_quiet(local.time(), quiet):
        return ts
    start, end = quiet
    day = local.date()
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    return max(ts, resolve(day, end, tz))


def next_allowed(
    ts: float, tz: ZoneInfo, quiet: tuple[time, time], weekend: tuple[int, ...] = (), avoid_weekend: bool = False
) -> float:
    """The first moment at or after ``ts`` outside quiet hours (and the weekend, if asked)."""
    for _ in range(HORIZON_DAYS):
        ts = after_quiet(ts, tz, quiet)
        local = datetime.fromtimestamp(ts, tz)
        if not (avoid_weekend and local.weekday() in weekend):
            return ts
        ts = resolve(local.date() + timedelta(days=1), time(0, 0), tz)
    return ts


def next_opening(
    after: float, tz: ZoneInfo, window: Window, quiet: tuple[time, time], weekend: tuple[int, ...]
) -> tuple[float, float] | None:
    """(first allowed instant, close of that window) at or after ``after``; None if the window
    does not open within the horizon (no allowed day, or wholly inside quiet hours)."""
    days = window.allowed(weekend)
    today = datetime.fromtimestamp(after, tz).date()
    for n in range(HORIZON_DAYS):
        day = today + timedelta(days=n)
        if day.weekday() not in days:
            continue
        opens, closes = resolve(day, window.start, tz), resolve(day, window.end, tz)
        candidate = after_quiet(max(after, opens), tz, quiet)
        if candidate < closes:
            return candidate, closes
    return None
