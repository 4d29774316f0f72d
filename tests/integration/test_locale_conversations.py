"""The same conversation in every shipped locale, through the real pipeline (web chat socket):
greeting, a shop question, "are you a bot?", asking for a person. System messages, greeting,
disclosure and fallback come from that locale's pack; hot reload changes them without a restart."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import uuid

import aiohttp
import pytest
from parley.core.config.settings import shipped

from parley.app import Bot
from tests.conftest import eventually

CONVERSATIONS = {
    "en": ("Hello", "How long does shipping take?", "Are you a bot?", "I want to talk to a person"),
    "es": ("Hola", "¿Cuánto tarda el envío a Madrid?", "¿Eres un bot?", "Quiero hablar con una persona"),
    "fr": (
        "Bonjour",
        "Combien de temps prend la livraison ?",
        "Êtes-vous un robot ?",
        "Je voudrais parler à une personne",
    ),
    "de": ("Hallo", "Wie lange dauert der Versand?", "Sind Sie ein Bot?", "Ich möchte mit einem Menschen sprechen"),
    "pt-BR": ("Olá", "Quanto tempo demora a entrega?", "Você é um robô?", "Quero falar com um atendente"),
    "ja": ("こんにちは", "配送にはどのくらいかかりますか？", "ボットですか？", "担当者と話したいです"),
    "zh-CN": ("你好", "配送需要多长时间？", "你是机器人吗？", "我要转人工"),
    "ar": ("مرحبا", "كم يستغرق الشحن؟", "هل أنت روبوت؟", "أريد التحدث مع موظف"),
}


class Chat:
    """What chat.html does on its websocket, minus the page."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, session: aiohttp.ClientSession, port: int, browser_locale: str) -> Chat:
        ws = await session.ws_connect(f"http://127.0.0.1:{port}/chat/ws")
        await ws.send_json({"type": "hello", "cid": uuid.uuid4().hex, "locale": browser_locale})
        chat = cls(ws)
        await chat.next("welcome")
        return chat

    async def next(self, kind: str) -> dict:
        async with asyncio.timeout(10):
            while True:
                frame = await self.ws.receive_json()
                if frame["type"] == kind:
                    return frame

    async def ask(self, text: str) -> dict:
        await self.ws.send_json({"type": "message", "id": uuid.uuid4().hex, "text": text})
        return await self.next("reply")


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.mark.parametrize("code", list(CONVERSATIONS))
async def test_the_same_conversation_in_every_locale(parley: Bot, session, code):
    pack, persona = parley.locales.get(code), parley.personas.get()
    hello, question, bot, human = CONVERSATIONS[code]
    # A traveller's browser says en-US: the language they write in wins.
    chat = await Chat.open(session, parley.port, "en-US")

    reply = await chat.ask(hello)
    assert reply["text"] == f"{pack.t('ai_disclosure', name='Mia')}\n\n{persona.greet(pack)}"
    assert (reply["lang"], reply["dir"]) == (pack.code, "rtl" if code == "ar" else "ltr")

    reply = await chat.ask(question)
    # The offline brain answers from English knowledge, citing it with the pack's label, or
    # admits it does not know in the customer's language and offers a person.
    if reply["text"] == pack.t("fallback"):
        assert [b["title"] for b in reply["buttons"]] == [pack.t("human_button")]
    else:
        assert f"\n\n{pack.t('source_label')}: " in reply["text"]
    assert reply["lang"] == pack.code

    reply = await chat.ask(bot)
    assert reply["text"] == pack.t("are_you_a_bot", name="Mia")
    assert [b["title"] for b in reply["buttons"]] == [pack.t("human_button")]

    reply = await chat.ask(human)
    assert reply["text"] == pack.t("handoff_unavailable")  # no desk channel in this setup
    assert reply["kind"] in ("answer", "system") and reply["lang"] == pack.code
    await chat.ws.close()


async def test_explicit_choice_sticks_through_the_web_chat(parley: Bot, session):
    chat = await Chat.open(session, parley.port, "fr-FR")
    es = parley.locales.get("es")
    reply = await chat.ask("can we speak Spanish?")
    assert reply["text"].endswith(es.t("language_set")) and reply["lang"] == "es"
    reply = await chat.ask("Wie lange dauert der Versand nach Österreich?")
    assert reply["lang"] == "es"
    await chat.ws.close()


@pytest.fixture
async def reloadable(make_settings, tmp_path):
    locales, personas = tmp_path / "locales", tmp_path / "personas"
    shutil.copytree(shipped("locales"), locales)
    shutil.copytree(shipped("personas"), personas)
    async with Bot(make_settings(locales_dir=locales, personas_dir=personas)) as app:
        yield app, locales


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def test_packs_reload_on_change_and_a_broken_edit_is_refused(reloadable, session):
    app, locales = reloadable
    edit(locales / "es.toml", "¡Hola! Soy {name}.", "¡Buenas! Soy {name}.")
    assert app.reloader.poll()  # what the running reloader does every few seconds
    chat = await Chat.open(session, app.port, "es-ES")
    assert "¡Buenas! Soy Mia." in (await chat.ask("hola"))["text"]

    edit(locales / "es.toml", "weekend = [5, 6]", "weekend = [9]")
    assert not app.reloader.poll()
    assert "es.toml" in app.reloader.last_error and "weekend" in app.reloader.last_error
    assert app.locales.get("es").head.weekend == (5, 6)  # the previous packs stay in service
    await chat.ws.close()


async def test_sighup_reloads_without_a_restart(reloadable, session):
    app, locales = reloadable
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, app.reloader.request)  # as bot.py does
    try:
        edit(locales / "de.toml", "Gern geschehen!", "Sehr gern!")
        os.kill(os.getpid(), signal.SIGHUP)
        await eventually(lambda: app.locales.get("de").t("thanks_reply").startswith("Sehr gern!"))
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
    chat = await Chat.open(session, app.port, "de-DE")
    assert (await chat.ask("danke"))["text"].endswith("Sehr gern! Kann ich sonst noch helfen?")
    await chat.ws.close()
