"""Business hours: when people are at the desk, and when they will next be.

Written like ``"mon-fri 09:00-18:00; sat 10:00-14:00"`` in the desk's IANA time zone. Pure
functions of a datetime, so tests pass any moment (DST included: zoneinfo does the maths).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_PART = re.compile(r"^\s*([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})\s*$")


class HoursError(ValueError):
    pass


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    windows: tuple[tuple[int, time, time], ...]  # (weekday, opens, closes)

    @classmethod
    def parse(cls, spec: str, zone: str) -> BusinessHours:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise HoursError(f"PARLEY_HANDOFF__TIMEZONE: unknown time zone {zone!r}") from None
        windows: list[tuple[int, time, time]] = []
        for part in filter(None, (p.strip() for p in spec.lower().split(";"))):
            m = _PART.match(part)
            if not m or m.group(1) not in DAYS or (m.group(2) and m.group(2) not in DAYS):
                raise HoursError(f"PARLEY_HANDOFF__HOURS: cannot read {part!r} (e.g. 'mon-fri 09:00-18:00')")
            first = DAYS.index(m.group(1))
            last = DAYS.index(m.group(2)) if m.group(2) else first
            opens, closes = time(int(m.group(3)), int(m.group(4))), time(int(m.group(5)), int(m.group(6)))
            if closes <= opens:
                raise HoursError(f"PARLEY_HANDOFF__HOURS: {part!r} closes before it opens")
            windows += [(d, opens, closes) for d in range(first, last + 1)]
        if not windows:
            raise HoursError("PARLEY_HANDOFF__HOURS: no opening hours given")
        return cls(tz, tuple(sorted(windows)))

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return any(d == local.weekday() and o <= local.time() < c for d, o, c in self.windows)

    def next_open(self, moment: datetime) -> datetime:
        """The next moment the desk opens (``moment`` itself if it is open now)."""
        if self.is_open(moment):
            return moment
        local = moment.astimezone(self.zone)
        for days in range(0, 8):
            day = (local + timedelta(days=days)).date()
            for weekday, opens, _ in self.windows:
                if weekday != day.weekday():
                    continue
                start = datetime.combine(day, opens, self.zone)
                if start > local:
                    return start
        raise HoursError("business hours never open")  # unreachable: parse requires a window

    def next_day_open(self, moment: datetime) -> datetime:
        """The first opening on a later day than ``moment`` (a "next business morning")."""
        local = moment.astimezone(self.zone)
        tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0, 0), self.zone)
        return self.next_open(tomorrow)
