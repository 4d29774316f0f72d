"""The test kit (parley.testing) on the shipped demo bot: its fixtures come from the pytest
plugin, as they do for a bot author; the conversations run through the real pipeline."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from parley.core.kernel.clock import ManualClock

from parley import Bot, Router, Turn
from parley.testing.conversation import TurnFailed

TUESDAY_1030 = datetime(2026, 1, 6, 10, 30, tzinfo=UTC).timestamp()


@pytest.fixture
def parley_clock() -> ManualClock:
    return ManualClock(TUESDAY_1030)  # inside business hours, outside anyone's quiet hours


async def test_a_web_chat_question_is_answered_with_its_source(conversation):
    [reply] = await conversation.say("How long does delivery take?")
    assert "3 to 5 business days" in reply.text
    assert reply.sources == ("shipping.md#delivery-times",)
    assert conversation.address.channel == "web"


async def test_pressing_a_button_in_the_web_chat(conversation):
    [fallback] = await conversation.say("Tell me about quantum chromodynamics")
    assert fallback.titles == ["Talk to a person"]
    replies = await conversation.press("Talk to a person")
    assert any("no one from our team" in r.text for r in replies)
    assert len(conversation.transcript) == 1 + len(replies)


async def test_without_native_buttons_choices_are_numbered_and_answered_by_number(customer):
    sms = await customer("sms")
    [fallback] = await sms.say("Tell me about quantum chromodynamics")
    assert "1. Talk to a person" in fallback.text
    replies = await sms.press("/human")  # by payload; sent as "1", as a person would text it
    assert any("no one from our team" in r.text for r in replies)


async def test_a_customer_is_answered_in_their_app_language(customer):
    es = await customer("telegram", locale="es")
    en = await customer("telegram", locale="en")
    [hola] = await es.say("/start")
    [hello] = await en.say("/start")
    assert "Pregúntame" in hola.text
    assert "Ask me" in hello.text
    assert es.address != en.address


async def test_pressing_a_button_that_is_not_offered_fails_clearly(conversation):
    await conversation.say("How long does delivery take?")
    with pytest.raises(AssertionError, match="no button 'Checkout'"):
        await conversation.press("Checkout")


async def test_a_reminder_arrives_when_the_clock_reaches_it(customer):
    person = await customer("telegram")
    [booked] = await person.say("remind me in 2 hours to call Bob")
    assert "I'll remind you on Tuesday 12:30" in booked.text
    assert await person.advance(hours=1) == []
    [reminder] = await person.advance(hours=1, seconds=1)
    assert "Reminder: call Bob" in reminder.text


async def test_the_clock_never_moves_back(parley_harness):
    with pytest.raises(ValueError):
        await parley_harness.advance(-1)


slow = Router("kit")


@slow.command("/slow")
async def slow_answer(turn: Turn) -> None:
    await asyncio.sleep(0.2)  # far longer than the kit's looks at the stores take
    turn.say("done at last")


@slow.command("/boom")
async def boom(turn: Turn) -> None:
    raise RuntimeError("a bug in a handler")


class TestOnABotOfOnesOwn:
    @pytest.fixture
    def parley_bot(self, parley_settings, parley_clock) -> Bot:
        return Bot(parley_settings, clock=parley_clock, routers=[slow])

    async def test_a_slow_handler_is_waited_for(self, conversation):
        assert [m.text for m in await conversation.say("/slow")] == ["done at last"]

    async def test_a_handler_that_raises_fails_the_test_with_its_exception(self, conversation):
        with pytest.raises(TurnFailed) as failed:
            await conversation.say("/boom")
        assert isinstance(failed.value.__cause__, RuntimeError)
        assert "a bug in a handler" in str(failed.value)

    async def test_the_shipped_bot_still_answers_around_the_handlers(self, conversation):
        [reply] = await conversation.say("How long does delivery take?")
        assert "3 to 5 business days" in reply.text
