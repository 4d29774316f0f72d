"""Schedule maths with fixed instants: time zones, DST gaps and overlaps, quiet hours crossing
midnight, weekends that differ by locale."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from parley.core.schedule.timing import TimingError, Window, after_quiet, in_quiet, next_allowed, next_opening, zone

PARIS, NY, RIYADH = zone("Europe/Paris"), zone("America/New_York"), zone("Asia/Riyadh")
QUIET = (time(21, 0), time(9, 0))


def ts(*args, tz=UTC) -> float:
    return datetime(*args, tzinfo=tz).timestamp()


def local(value: float, tz) -> datetime:
    return datetime.fromtimestamp(value, tz).replace(tzinfo=None)


def test_window_opens_in_each_recipients_local_time():
    tuesday = Window(("tue",), time(10), time(12))
    after = ts(2026, 1, 5, 0, 0)  # Monday 00:00 UTC
    paris, _ = next_opening(after, PARIS, tuesday, QUIET, (5, 6))
    ny, _ = next_opening(after, NY, tuesday, QUIET, (5, 6))
    assert local(paris, PARIS) == datetime(2026, 1, 6, 10, 0)
    assert local(ny, NY) == datetime(2026, 1, 6, 10, 0)
    assert ny - paris == 6 * 3600


def test_inside_an_open_window_it_goes_now_and_closes_at_the_end():
    window = Window(("any",), time(10), time(12))
    now = ts(2026, 1, 6, 10, 30, tz=PARIS)
    assert next_opening(now, PARIS, window, QUIET, ()) == (now, ts(2026, 1, 6, 12, 0, tz=PARIS))
    later = next_opening(ts(2026, 1, 6, 12, 0, tz=PARIS), PARIS, window, QUIET, ())
    assert local(later[0], PARIS) == datetime(2026, 1, 7, 10, 0)


def test_dst_gap_lands_after_the_gap():
    # 2026-03-29: Paris jumps from 02:00 to 03:00; a 02:30 opening does not exist that day.
    window = Window(("sun",), time(2, 30), time(4, 0))
    opens, _ = next_opening(ts(2026, 3, 28, 12, 0), PARIS, window, (time(0), time(0)), ())
    assert datetime.fromtimestamp(opens, PARIS).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)


def test_dst_overlap_opens_once_at_the_first_occurrence():
    # 2026-11-01: New York repeats 01:00-02:00; a 01:30 opening resolves to the first (EDT) one.
    window = Window(("sun",), time(1, 30), time(3, 0))
    opens, closes = next_opening(ts(2026, 10, 31, 12, 0), NY, window, (time(0), time(0)), ())
    assert opens == ts(2026, 11, 1, 5, 30)  # 01:30 EDT = 05:30 UTC (the EST one is 06:30)
    assert closes - opens == 2.5 * 3600  # the repeated hour counts


def test_quiet_hours_cross_midnight():
    assert in_quiet(time(23, 0), QUIET) and in_quiet(time(3, 0), QUIET) and in_quiet(time(21, 0), QUIET)
    assert not in_quiet(time(9, 0), QUIET) and not in_quiet(time(20, 59), QUIET)
    late = ts(2026, 1, 6, 22, 15, tz=PARIS)
    assert local(after_quiet(late, PARIS, QUIET), PARIS) == datetime(2026, 1, 7, 9, 0)
    early = ts(2026, 1, 7, 6, 0, tz=PARIS)
    assert local(after_quiet(early, PARIS, QUIET), PARIS) == datetime(2026, 1, 7, 9, 0)
    day = (time(13, 0), time(14, 0))  # a lunch break that does not cross midnight
    assert local(after_quiet(ts(2026, 1, 7, 13, 30, tz=PARIS), PARIS, day), PARIS) == datetime(2026, 1, 7, 14, 0)


def test_window_inside_quiet_hours_never_opens():
    assert next_opening(ts(2026, 1, 5), PARIS, Window(("any",), time(22), time(23)), QUIET, ()) is None
    assert next_opening(ts(2026, 1, 5), PARIS, Window((), time(10), time(12)), QUIET, ()) is None


def test_quiet_hours_push_a_window_start():
    window = Window(("any",), time(8), time(12))
    opens, _ = next_opening(ts(2026, 1, 5, 0, 0, tz=PARIS), PARIS, window, QUIET, ())
    assert local(opens, PARIS) == datetime(2026, 1, 5, 9, 0)


def test_weekends_differ_by_locale():
    thursday_morning = ts(2026, 1, 8, 8, 0, tz=RIYADH)  # a Thursday
    weekdays = Window(("weekdays",), time(10), time(12))
    saudi, _ = next_opening(ts(2026, 1, 9, 8, 0, tz=RIYADH), RIYADH, weekdays, QUIET, (4, 5))  # Friday
    assert local(saudi, RIYADH) == datetime(2026, 1, 11, 10, 0)  # Sunday is a working day there
    western, _ = next_opening(ts(2026, 1, 9, 8, 0, tz=RIYADH), RIYADH, weekdays, QUIET, (5, 6))
    assert local(western, RIYADH) == datetime(2026, 1, 9, 10, 0)  # Friday is a working day here
    friday = next_allowed(ts(2026, 1, 9, 11, 0, tz=RIYADH), RIYADH, QUIET, (4, 5), avoid_weekend=True)
    assert local(friday, RIYADH) == datetime(2026, 1, 11, 9, 0)
    assert next_allowed(thursday_morning, RIYADH, QUIET, (4, 5), True) == ts(2026, 1, 8, 9, 0, tz=RIYADH)


def test_unknown_zone_is_refused_clearly():
    with pytest.raises(TimingError, match="Mars/Olympus"):
        zone("Mars/Olympus")
