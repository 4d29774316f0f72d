from datetime import UTC, datetime

import pytest
from parley.core.handoff.hours import BusinessHours, HoursError

HOURS = BusinessHours.parse("mon-fri 09:00-18:00; sat 10:00-14:00", "Europe/Amsterdam")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_open_in_local_time():
    assert HOURS.is_open(at(2026, 11, 23, 8, 0))  # Monday 09:00 in Amsterdam (UTC+1)
    assert not HOURS.is_open(at(2026, 11, 23, 7, 59))
    assert not HOURS.is_open(at(2026, 11, 23, 17, 0))  # 18:00 local: closed
    assert not HOURS.is_open(at(2026, 11, 22, 12, 0))  # Sunday


def test_next_open_skips_the_weekend_and_minds_dst():
    friday_night = at(2026, 11, 27, 20, 0)
    assert HOURS.next_open(friday_night).isoformat() == "2026-11-28T10:00:00+01:00"  # Saturday
    saturday_late = at(2026, 11, 28, 15, 0)
    assert HOURS.next_open(saturday_late).isoformat() == "2026-11-30T09:00:00+01:00"  # Monday
    # The night summer time starts (29 March 2026), Monday opens at 09:00 CEST = 07:00 UTC.
    assert HOURS.next_open(at(2026, 3, 28, 20, 0)).astimezone(UTC).hour == 7


@pytest.mark.parametrize(
    "spec, zone",
    [("mon-fri 18:00-09:00", "UTC"), ("weekdays 9-5", "UTC"), ("mon-fri 09:00-18:00", "Mars/Olympus"), ("", "UTC")],
)
def test_bad_hours_are_refused_with_the_variable_named(spec, zone):
    with pytest.raises(HoursError, match="PARLEY_HANDOFF__"):
        BusinessHours.parse(spec, zone)
