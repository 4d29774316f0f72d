"""The appointment bot through parley.testing: buttons on a channel that has them and on one
that has not, and the reminder when the clock reaches it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from appointment_bot import build

from parley.testing import ManualClock

MONDAY_0900 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def parley_clock():
    return ManualClock(MONDAY_0900)


@pytest.fixture
def parley_bot(parley_settings, parley_clock):
    return build(parley_settings, parley_clock)


async def test_booking_offers_tomorrows_times_as_buttons(conversation):
    [offer] = await conversation.say("/book")
    assert offer.text == "Which time suits you on Tuesday 06 January?"
    assert offer.titles == ["10:00", "14:00", "16:00"]


async def test_the_reminder_goes_an_hour_before(conversation):
    await conversation.say("/book")
    [booked] = await conversation.press("14:00")
    assert booked.text == "Booked: Tuesday 06 January at 14:00 (UTC). I'll remind you an hour before."
    assert await conversation.advance(hours=27, minutes=59) == []  # Tuesday 12:59
    [reminder] = await conversation.advance(minutes=1)
    assert reminder.text == "Reminder: your appointment is at 14:00 (UTC), in an hour."
    assert await conversation.advance(days=1) == []  # once


async def test_on_sms_the_times_are_numbered_and_booked_by_number(customer):
    sms = await customer("sms")
    [offer] = await sms.say("/book")
    assert "1. 10:00\n2. 14:00\n3. 16:00" in offer.text
    [booked] = await sms.press("16:00")  # the person texts "3"
    assert "Tuesday 06 January at 16:00" in booked.text
    [shown] = await sms.say("/appointment")
    assert shown.text == "Your appointment: Tuesday 06 January at 16:00 (UTC)."


async def test_a_button_pressed_too_late_books_nothing(conversation):
    await conversation.say("/book")
    await conversation.advance(days=1, hours=1)  # Tuesday 10:00: the 10:00 slot is gone
    [late] = await conversation.press("10:00")
    assert late.text.startswith("That time has passed")
    [shown] = await conversation.say("/appointment")
    assert shown.text.startswith("You have no appointment yet")
