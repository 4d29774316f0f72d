"""Every example of issue 17, through the whole pipeline (language detection, the brain, the
pack's messages), as a customer on the web chat or Telegram sees it."""

from __future__ import annotations

import pytest

ANSWERED = [
    # Small talk around a question is set aside and the question answered.
    ("en", "Hi, how do I return a jacket I bought last week?", "returns.md#how-to-return-an-item"),
    ("en", "good morning! do you deliver to the US?", "shipping.md#countries-we-ship-to"),
    ("en", "hi i need help with order 12345 it never arrived", "shipping.md#tracking-an-order"),
    # Other words than the knowledge uses.
    ("en", "what's your email address", "contact.md#how-to-contact-us"),
    ("en", "what number can I call you on", "contact.md#how-to-contact-us"),
    ("en", "how many days do I have to return something", "returns.md#return-policy"),
    ("en", "Is return shipping free?", "returns.md#how-to-return-an-item"),
    ("en", "I'm 180 cm and usually wear M", "sizes.md#size-guide"),
    # Where we ship, not what it costs (the costs passage asks "how much ... to Canada").
    ("en", "Do you ship to Canada?", "shipping.md#countries-we-ship-to"),
]


@pytest.mark.parametrize("hint, text, source", ANSWERED)
async def test_questions_are_answered_from_the_right_passage(customer, hint, text, source):
    person = await customer("telegram", locale=hint)
    [reply] = await person.say(text)
    assert reply.sources == (source,), reply.text
    assert "Source:" in reply.text


async def test_thanks_with_a_question_answers_the_question(customer):
    person = await customer("telegram", locale="en")
    await person.say("Do you ship to Canada?")
    [reply] = await person.say("Thanks! And what about returns from Canada?")
    assert reply.sources == ("returns.md#how-to-return-an-item",), reply.text
    assert "From abroad" in reply.text


@pytest.mark.parametrize(
    "text, source, words",
    [
        # From an app set to English: the message's own language wins, and so does its knowledge.
        ("¿Hacen envíos a Canadá?", "shipping.md#countries-we-ship-to", ("Canadá", "Fuente")),
        ("Wo ist Ihr Geschäft in Amsterdam?", "hours.md#shop-opening-hours", ("Keizersgracht", "Quelle")),
        ("Olá, vocês entregam no Canadá?", "shipping.md#countries-we-ship-to", ("Canadá", "Fonte")),
        ("¿Cuánto tarda el envío a México?", "shipping.md#delivery-times", ("días hábiles", "Fuente")),
    ],
)
async def test_every_language_is_answered_from_its_own_knowledge(customer, text, source, words):
    person = await customer("telegram", locale="en")
    [reply] = await person.say(text)
    assert reply.sources == (source,), reply.text
    for word in words:
        assert word in reply.text


async def test_an_unknown_topic_is_not_sure_with_the_person_button_and_no_source(customer):
    person = await customer("telegram", locale="en")
    [reply] = await person.say("Are your products vegan?")
    assert reply.sources == ()
    assert "not sure" in reply.text and "size" not in reply.text.lower()
    assert reply.titles == ["Talk to a person"]


@pytest.mark.parametrize(
    "text, greeting",
    [
        ("Hola, buenas tardes", "¡Hola! Soy"),
        ("Hallo, guten Tag", "Hallo! Ich bin"),
        ("Olá, boa tarde", "Olá! Sou"),
    ],
)
async def test_a_short_first_message_is_answered_in_its_language(customer, text, greeting):
    person = await customer("telegram", locale="en")
    [reply] = await person.say(text)
    assert greeting in reply.text and reply.sources == ()


async def test_a_complaint_is_escalated_with_an_apology(customer):
    person = await customer("telegram", locale="en")
    reply, *after = await person.say("my order arrived with a torn sleeve")
    assert "sorry" in reply.text.lower() and reply.sources == ()
    assert "a person from our team" in reply.text  # handed over (the desk says when they reply)
    assert all("not sure" not in m.text for m in after)


async def test_frustration_is_escalated_with_an_apology(customer):
    person = await customer("telegram", locale="en")
    reply, *_ = await person.say("this is useless, you stupid bot")
    assert "sorry" in reply.text.lower() and "not sure" not in reply.text


async def test_a_complaint_in_spanish_gets_a_spanish_apology(customer):
    person = await customer("telegram", locale="es")
    reply, *_ = await person.say("el pedido llegó roto")
    assert "Lamento" in reply.text
