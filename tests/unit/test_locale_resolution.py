"""Which language a person gets: explicit choice > detection > platform hint > default."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from parley.core.config.settings import shipped
from parley.core.i18n.language import LanguageDetector
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.middleware import locale, locale_meta
from parley.core.kernel.pipeline import fold
from parley.core.kernel.turn import Turn

CATALOG = LocaleCatalog.load(shipped("locales"))
PERSONA = PersonaCatalog.load(shipped("personas"), "demo").get()
DETECTOR = LanguageDetector(CATALOG)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # Short real-world messages, where statistical detection alone fails.
        ("hola", "es"),
        ("Hola!", "es"),
        ("merci", "fr"),
        ("Merci beaucoup !", "fr"),
        ("danke", "de"),
        ("obrigado", "pt-BR"),
        ("Obrigada!", "pt-BR"),
        ("ありがとう", "ja"),
        ("谢谢", "zh-CN"),
        ("شكرا", "ar"),
        ("شكرًا", "ar"),
        ("bonjour", "fr"),
        ("hello", "en"),
        # A few words: the model decides.
        ("¿Cuánto cuesta el envío a Madrid?", "es"),
        ("Combien coûte la livraison ?", "fr"),
        ("Wie lange dauert der Versand?", "de"),
        ("Quais são as formas de pagamento?", "pt-BR"),
        ("What is your return policy?", "en"),
        ("送料はいくらですか", "ja"),
        ("运费多少钱", "zh-CN"),
        ("كم تكلفة الشحن؟", "ar"),
    ],
)
def test_detection(text, code):
    found = DETECTOR.detect(text)
    assert found is not None and found.code == code


@pytest.mark.parametrize(
    "text",
    ["ok", "👍", "123", "Nike", "si", "Quanto costa la spedizione in Italia?", "Hoeveel kost de verzending?"],
)
def test_no_guess_when_unsure_or_not_shipped(text):
    assert DETECTOR.detect(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("/language es", "es"),
        ("/language pt", "pt-BR"),
        ("/lang français", "fr"),
        ("/language@parley_bot de", "de"),
        ("can we speak Spanish?", "es"),
        ("¿Hablas español?", "es"),
        ("Español", "es"),
        ("Parlez-vous français ?", "fr"),
        ("auf Deutsch bitte", "de"),
        ("Você fala português?", "pt-BR"),
        ("日本語でお願いします", "ja"),
        ("可以说中文吗", "zh-CN"),
        ("هل تتحدث العربية؟", "ar"),
        ("in English please", "en"),
        ("Hi, can we speak Spanish please?", "es"),
        ("我们可以用中文交流吗", "zh-CN"),
        ("¿Hablas inglés?", "en"),
        ("/language", ""),
        ("/language klingon", ""),
    ],
)
def test_explicit_requests(text, code):
    assert DETECTOR.requested(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "do you have english sizes?",
        "I love spanish wine, do you sell it?",
        "Do you have the manual in English?",
        "日本語のサイズ表はありますか",
        "hola",
    ],
)
def test_not_a_request(text):
    assert DETECTOR.requested(text) is None


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("+34600111222", "es"),
        ("+81 90 1234 5678", "ja"),
        ("whatsapp:+5511987654321", "pt-BR"),
        ("+971501234567", "ar"),
        ("+14155550100", "en"),
        ("+390612345", None),
        ("0612345", None),
    ],
)
def test_phone_country_codes(number, code):
    assert DETECTOR.from_phone(number) == code


# -- the middleware, end to end over turns ---------------------------------------------------


class Person:
    """One person's turns through locale + locale_meta, keeping the profile between turns."""

    def __init__(self, hint: str = "", user: str = "u1", channel: str = "web") -> None:
        self.hint, self.profile = hint, {}
        self.address = Address(channel=channel, chat=user, user=user)
        self.handler = fold([locale_meta, locale(CATALOG)], self._echo)

    async def _echo(self, turn: Turn) -> None:
        turn.say("ok")

    async def says(self, text: str) -> Turn:
        inbound = Inbound(address=self.address, event_id=text, text=text, locale_hint=self.hint)
        turn = Turn(self.address, datetime.now(UTC), PERSONA, CATALOG.get(self.profile.get("locale") or "en"))
        turn.inbound, turn.profile = inbound, self.profile
        await self.handler(turn)
        return turn


async def test_default_then_hint_then_detection():
    assert (await Person().says("ok")).pack.code == "en"
    assert (await Person(hint="ja-JP").says("ok")).pack.code == "ja"
    assert (await Person(hint="pt").says("ok")).pack.code == "pt-BR"  # chain pt-BR -> en, "pt" lands here
    person = Person(hint="de")
    turn = await person.says("¿Cuánto cuesta el envío a Madrid?")
    assert turn.pack.code == "es" and person.profile["locale_source"] == "detected"


async def test_the_hint_region_is_kept_for_quiet_hours():
    person = Person(hint="ar-AE")
    assert (await person.says("مرحبا")).pack.code == "ar"
    assert person.profile == {"locale": "ar", "locale_source": "detected", "region": "AE"}


async def test_phone_number_hints_for_sms():
    person = Person(user="+34600111222", channel="sms")
    assert (await person.says("ok")).pack.code == "es"
    assert person.profile == {"locale": "es", "locale_source": "hint"}


async def test_a_person_who_switches_language_is_followed():
    person = Person(hint="en-US")
    assert (await person.says("hola")).pack.code == "es"
    assert (await person.says("ok")).pack.code == "es"  # unsure: stays
    assert (await person.says("Combien coûte la livraison ?")).pack.code == "fr"
    assert (await person.says("Thanks, that's all I needed to know")).pack.code == "en"


async def test_explicit_choice_beats_detection_and_hint():
    person = Person(hint="fr-FR")
    turn = await person.says("/language es")
    assert turn.pack.code == "es" and turn.replies[0].text == CATALOG.get("es").t("language_set")
    assert person.profile == {"locale": "es", "locale_source": "explicit"}
    for text in ("What is your return policy?", "merci", "Wie lange dauert der Versand?"):
        assert (await person.says(text)).pack.code == "es"
    assert (await person.says("Parlez-vous français ?")).pack.code == "fr"
    assert person.profile["locale_source"] == "explicit"


async def test_language_alone_offers_every_pack_as_buttons():
    turn = await Person().says("/language")
    reply = turn.replies[0]
    assert reply.text == CATALOG.get("en").t("language_prompt")
    assert {b.payload for b in reply.buttons} == {f"/language {c}" for c in CATALOG.codes}


async def test_a_numbered_answer_to_the_language_list_switches():
    person = Person()
    prompt = (await person.says("/language")).replies[0]
    turn_state = {"last_buttons": [[b.title, b.payload] for b in prompt.buttons]}
    number = 1 + [b.payload for b in prompt.buttons].index("/language ja")
    inbound = Inbound(address=person.address, event_id="n", text=str(number))
    turn = Turn(person.address, datetime.now(UTC), PERSONA, CATALOG.get("en"), state=turn_state)
    turn.inbound, turn.profile = inbound, person.profile
    await person.handler(turn)
    assert turn.pack.code == "ja" and person.profile["locale_source"] == "explicit"


async def test_replies_carry_lang_and_direction():
    turn = await Person().says("مرحبا")
    assert turn.replies[0].meta == {"dir": "rtl", "lang": "ar"}
    turn = await Person().says("hello")
    assert turn.replies[0].meta == {"dir": "ltr", "lang": "en"}
