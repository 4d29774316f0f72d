"""The bot author's API through a real Bot and the web chat socket: routers at their place in
the pipeline, the bot's own locale keys merged over the shipped packs, the author's middleware,
a custom brain, start-up and shutdown hooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from parley.core.kernel.clock import ManualClock
from parley.core.kernel.messages import Address, Inbound
from parley.core.storage.sqlite import SQLiteStore

from parley import Answer, Bot, Router, Turn
from parley.testing.fakes.recording import RecordingChannel
from tests.conftest import eventually
from tests.integration.test_locale_conversations import Chat

ORDERS = {12345: "shipped", 777: "packed"}


def bot_locales(folder: Path) -> Path:
    folder.mkdir()
    (folder / "en.toml").write_text(
        '[messages]\norder_status = "Order {number} is {status}."\nno_order = "I found no order {number}."\n'
    )
    (folder / "es.toml").write_text(
        '[messages]\norder_status = "El pedido {number} está {status}."\nno_order = "No encuentro el pedido {number}."\n'
    )
    return folder


def shop_router() -> Router:
    router = Router("shop")

    async def status(turn: Turn, number: int) -> None:
        if number in ORDERS:
            turn.say(turn.t("order_status", number=number, status=ORDERS[number]))
        else:
            turn.say(turn.t("no_order", number=number))

    router.command("/order")(status)
    router.text(r"(?:where is my order|dónde está mi pedido)\D*(?P<number>\d+)")(status)

    @router.text(r"refund")
    async def refund(turn: Turn) -> None:
        turn.handoff("refund")

    @router.text(r"^stop$")
    async def greedy(turn: Turn) -> None:
        turn.say("a handler must never swallow STOP")

    return router


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


async def test_handlers_answer_in_the_persons_language_from_the_bots_own_keys(make_settings, tmp_path, session):
    folder = bot_locales(tmp_path / "locales")
    async with Bot(make_settings(), routers=[shop_router()], locales=folder) as bot:
        chat = await Chat.open(session, bot.port, "en-US")
        reply = await chat.ask("/order 12345")
        # A handler's words are the author's, not the AI's: no disclosure in front of them.
        assert reply["text"] == "Order 12345 is shipped."
        assert (await chat.ask("where is my order #777?"))["text"] == "Order 777 is packed."
        assert (await chat.ask("/order abc"))["text"] == "Usage: /order <number>"

        chat = await Chat.open(session, bot.port, "es-ES")
        assert (await chat.ask("/order 12345"))["text"] == "El pedido 12345 está shipped."
        reply = await chat.ask("¿Dónde está mi pedido 999?")
        assert (reply["text"], reply["lang"]) == ("No encuentro el pedido 999.", "es")
        # Shipped messages are still there, in Spanish, beside the bot's own.
        assert bot.locales.get("es").t("human_button") == "Hablar con una persona"


async def test_unanswered_turns_reach_the_brain_and_builtins_wrap_the_routers(make_settings, tmp_path, session):
    async with Bot(make_settings(), routers=[shop_router()]) as bot:
        chat = await Chat.open(session, bot.port, "en-US")
        reply = await chat.ask("How long does shipping take?")
        assert reply["sources"], "no handler matched: the retrieval brain answered"
        assert reply["text"].startswith(bot.locales.get("en").t("ai_disclosure", name="Mia"))
        # STOP is the consent middleware's, outside the routers, even with a handler matching it.
        assert (await chat.ask("stop"))["text"] == bot.locales.get("en").t("opted_out")
        # A handler hands off through the same call /human uses: the desk takes it from there
        # (no desk configured here, so it says so honestly instead of promising a person).
        reply = await chat.ask("I want a refund")
        assert reply["text"] == bot.locales.get("en").t("handoff_unavailable")


async def test_author_middleware_brain_and_hooks(make_settings, session):
    events: list[str] = []

    class EchoBrain:
        async def answer(self, turn: Turn) -> Answer:
            return Answer(text=f"echo: {turn.text}", intent="echo")

    async def tagging(turn: Turn, call_next) -> None:
        events.append(f"before:{turn.text}")
        await call_next(turn)
        events.append(f"after:{len(turn.replies)}")

    async def started() -> None:
        events.append("startup")

    async def stopped() -> None:
        events.append("shutdown")

    bot = Bot(make_settings(), middleware=[tagging], brain=EchoBrain(), on_startup=[started], on_shutdown=[stopped])
    async with bot:
        assert events == ["startup"]
        chat = await Chat.open(session, bot.port, "en-US")
        reply = await chat.ask("hello there")
        assert reply["text"].endswith("echo: hello there")
        await eventually(lambda: "after:1" in events)
        # Refused input never reaches the author's middleware: the guard is outside it.
        await chat.ws.send_json({"type": "message", "id": "x" * 10, "text": " "})
        await chat.next("reply")
        assert events == ["startup", "before:hello there", "after:1"]
    assert events[-1] == "shutdown"
    assert isinstance(bot.middlewares, tuple)  # folded once: nothing to append to afterwards


async def test_a_broken_bot_locale_file_stops_start_up_naming_the_file(make_settings, tmp_path):
    folder = bot_locales(tmp_path / "locales")
    (folder / "fr.toml").write_text('[messages]\norder_status = "Commande {number}"\nunknown_field = 1\n[oops\n')
    with pytest.raises(ValueError, match=r"fr\.toml:\d+: not valid TOML"):
        Bot(make_settings(), locales=folder)
    (folder / "fr.toml").write_text('colour = "blue"\n')
    with pytest.raises(ValueError, match=r"fr\.toml:1: colour: Extra inputs are not permitted"):
        Bot(make_settings(), locales=folder)
    (folder / "fr.toml").unlink()
    (folder / "it.toml").write_text('[messages]\norder_status = "Ordine {number}"\n')
    with pytest.raises(ValueError, match=r"it\.toml:1: name: Field required"):
        Bot(make_settings(), locales=folder)


async def test_a_handler_books_a_reminder_and_captures_a_lead_like_the_builtins(make_settings, tmp_path):
    clock = ManualClock(datetime(2026, 1, 6, 10, 30, tzinfo=UTC).timestamp())
    router = Router()

    @router.command("/book")
    async def book(turn: Turn, hours: float, *, what: str) -> None:
        turn.followup(turn.now + timedelta(hours=hours), f"Reminder: {what}", kind="reminder")
        turn.lead(name="Ana", need=what, contact="ana@example.com")
        turn.say("Booked.")

    store = SQLiteStore(tmp_path / "book.db", clock=clock)
    async with Bot(make_settings(), clock=clock, store=store, routers=[router], channels=[RecordingChannel]) as bot:
        rec = bot.channels["rec"]
        address = Address(channel="rec", chat="c1", user="u1")
        await bot.engine.deliver(Inbound(address=address, event_id="m1", text="/book 2 the fitting"))
        await eventually(lambda: rec.texts("c1") == ["Booked."])
        state = await eventually(lambda: _state(bot, address))
        assert state["lead"]["case"], "the leads middleware filed the handler's lead"
        clock.advance(2 * 3600 + 1)
        bot.scheduler.dispatcher.wake()
        await eventually(lambda: rec.texts("c1")[-1:] == ["Reminder: the fitting"])


async def _state(bot: Bot, address: Address) -> dict | None:
    batch = await bot.store.begin(address.conversation, 5.0, 0, bot.clock())
    if batch is None:
        return None
    await bot.store.release(address.conversation, batch.token)
    return batch.state if batch.state.get("lead") else None


async def test_a_handler_added_after_the_bot_was_built_still_answers(make_settings, session):
    router = Router()
    async with Bot(make_settings(), routers=[router]) as bot:

        @router.command("/late")
        async def late(turn: Turn) -> None:
            turn.say("still heard")

        chat = await Chat.open(session, bot.port, "en-US")
        assert (await chat.ask("/late"))["text"] == "still heard"
