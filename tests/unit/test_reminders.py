""" "Remind me ..." parsing, with a fixed instant and zone."""

from __future__ import annotations

from datetime import datetime

from parley.core.schedule.reminders import parse_reminder
from parley.core.schedule.timing import zone

PARIS = zone("Europe/Paris")
NOW = datetime(2026, 1, 6, 15, 0, tzinfo=PARIS).timestamp()  # Tuesday 15:00 in Paris
TRIGGERS = ["remind me"]


def local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, PARIS).replace(tzinfo=None)


def test_tomorrow_at_ten():
    at, what = parse_reminder("Remind me tomorrow at 10 to call the shop", NOW, PARIS, TRIGGERS)
    assert local(at) == datetime(2026, 1, 7, 10, 0) and what == "call the shop"


def test_in_hours_and_minutes():
    assert parse_reminder("remind me in 2 hours", NOW, PARIS, TRIGGERS)[0] == NOW + 7200
    assert parse_reminder("remind me in 15 minutes about the order", NOW, PARIS, TRIGGERS) == (NOW + 900, "the order")


def test_a_time_already_past_today_means_tomorrow():
    at, _ = parse_reminder("remind me at 9:30am", NOW, PARIS, TRIGGERS)
    assert local(at) == datetime(2026, 1, 7, 9, 30)
    at, _ = parse_reminder("remind me at 9pm", NOW, PARIS, TRIGGERS)
    assert local(at) == datetime(2026, 1, 6, 21, 0)


def test_not_a_reminder():
    assert parse_reminder("what are your opening hours?", NOW, PARIS, TRIGGERS) is None
    assert parse_reminder("remind me", NOW, PARIS, TRIGGERS) is None
    assert parse_reminder("remind me at 25:00", NOW, PARIS, TRIGGERS) is None
