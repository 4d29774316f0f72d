"""The order bot through parley.testing: customers on the web chat and Telegram, in English and
Spanish, against a fake of the shop's order API on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from order_bot import OrderAPI, build

from parley.testing.fakes.loopback import serve


class FakeOrderAPI:
    """The shop's order API as the bot sees it; ``down`` makes it answer 503."""

    def __init__(self) -> None:
        self.orders = {
            12345: {"status": "shipped", "eta": "2026-01-09"},
            777: {"status": "processing"},
        }
        self.down = False
        self.asked: list[int] = []
        self.url = ""

    async def order(self, request: web.Request) -> web.Response:
        if self.down:
            return web.json_response({"error": "maintenance"}, status=503)
        number = int(request.match_info["number"])
        self.asked.append(number)
        if number not in self.orders:
            return web.json_response({"error": "not found"}, status=404)
        return web.json_response(self.orders[number])


@pytest.fixture
async def shop() -> AsyncIterator[FakeOrderAPI]:
    fake = FakeOrderAPI()
    app = web.Application()
    app.router.add_get("/orders/{number:\\d+}", fake.order)
    async with serve(app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def parley_bot(parley_settings, parley_clock, shop):
    return build(parley_settings, OrderAPI(shop.url), parley_clock)


async def test_the_order_command_answers_from_the_api(conversation, shop):
    [reply] = await conversation.say("/order 12345")
    assert reply.text == "Order 12345 is on its way; it should arrive on 2026-01-09."
    assert shop.asked == [12345]


async def test_a_natural_question_finds_the_number(conversation):
    [reply] = await conversation.say("Hi! Where is my order #777?")
    assert reply.text == "Order 777 is being prepared."


async def test_spanish_customers_are_answered_in_spanish(customer):
    ana = await customer("telegram", locale="es")
    [command] = await ana.say("/order 12345")
    [question] = await ana.say("¿Dónde está mi pedido 777?")
    assert command.text == "El pedido 12345 está en camino; debería llegar el 2026-01-09."
    assert question.text == "El pedido 777 está en preparación."


async def test_an_unknown_order_is_said_plainly(customer):
    es = await customer("whatsapp", locale="es")
    [reply] = await es.say("/order 4040")
    assert reply.text.startswith("No encuentro el pedido 4040.")


async def test_the_api_being_down_gets_an_apology_not_an_error(conversation, shop):
    shop.down = True
    [reply] = await conversation.say("/order 12345")
    assert reply.text.startswith("I can't reach our order system")


async def test_a_command_without_a_number_gets_its_usage(conversation, shop):
    [reply] = await conversation.say("/order soon")
    assert reply.text == "Usage: /order <number>"
    assert shop.asked == []


async def test_other_questions_still_reach_the_brain(conversation, shop):
    [reply] = await conversation.say("How long does delivery take?")
    assert "3 to 5 business days" in reply.text
    assert shop.asked == []
