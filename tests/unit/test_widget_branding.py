"""The web chat's branding and words: persona over settings, every shipped language complete,
greetings in the visitor's own language, settings that refuse what cannot work."""

from __future__ import annotations

import pytest
from parley.channels.webchat.branding import Branding, initials
from parley.core.config.settings import Settings, WebChat, describe_error, shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import Persona, PersonaCatalog
from pydantic import ValidationError

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONAS = PersonaCatalog.load(shipped("personas"), "demo")
SHIPPED = ["en", "es", "fr", "de", "pt-BR", "ja", "ar", "zh-CN"]
ENGLISH = LOCALES.get("en").head.webchat


def brand(**settings) -> Branding:
    return Branding(WebChat(**settings), LOCALES, PERSONAS)


@pytest.mark.parametrize("code", SHIPPED)
def test_every_shipped_language_has_every_word_of_the_panel_translated(code):
    own = LOCALES.get(code).head.webchat
    assert set(own) == set(ENGLISH)
    if code != "en":
        # "Online" and "Conversation" read the same in a few languages; the rest is the language's own.
        assert [k for k in own if own[k] == ENGLISH[k] and k not in ("online", "conversation")] == []
    config = brand().config(code)
    assert config.lang == code and config.title and "{name}" not in config.title
    assert "{count}" in config.strings["unread"]


def test_arabic_turns_the_panel_right_to_left():
    config = brand().config("ar-EG")
    assert (config.lang, config.dir, config.title) == ("ar", "rtl", "تحدّث مع Mia")


def test_persona_branding_wins_over_the_settings():
    personas = PersonaCatalog(
        {
            "demo": PERSONAS.get("demo"),
            "ana": Persona(id="ana", name="Ana Ruiz", role="r", avatar="/img/ana.png", color="#114422"),
        },
        "demo",
    )
    branding = Branding(WebChat(color="#aa0000", logo="https://cdn.example/logo.svg"), LOCALES, personas)
    ana = branding.config("es", "ana")
    assert (ana.name, ana.avatar, ana.initials, ana.color) == ("Ana Ruiz", "/img/ana.png", "AR", "#114422")
    assert ana.logo == "https://cdn.example/logo.svg" and ana.title == "Chatea con Ana Ruiz"
    mia = branding.config("es", "nobody")  # not a persona of this bot: the default one
    assert (mia.persona, mia.color, mia.avatar) == ("demo", "#aa0000", "")


def test_a_configured_title_replaces_the_packs():
    assert brand(title="Northwind help desk").config("ja").title == "Northwind help desk"


def test_initials():
    assert [initials(n) for n in ("Mia", "Ana Ruiz", "Jean-Luc de la Tour", "  ", "クレア")] == [
        "M",
        "AR",
        "JD",
        "?",
        "ク",
    ]


def test_greetings_speak_the_visitors_language_or_the_personas_greeting_in_it():
    rule = {"id": "pricing", "url": "/pricing*", "after": 5, "text": {"en": "Bulk prices?", "pt": "Preços?"}}
    branding = brand(greetings=[rule])
    assert branding.config("en").greetings[0].text == "Bulk prices?"
    assert branding.config("pt-BR").greetings[0].text == "Preços?"  # pt-BR falls back to pt
    arabic = branding.config("ar").greetings[0]
    assert arabic.text == PERSONAS.get("demo").greet(LOCALES.get("ar"))  # never the English words
    assert (arabic.id, arabic.url, arabic.after) == ("pricing", "/pricing*", 5)
    assert brand(greetings=[{"url": "/help"}]).config("en").greetings[0].id == "/help"


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"color": "blue"}, "PARLEY_WEBCHAT__COLOR"),
        ({"greetings": [{"url": "/x", "after": -1}]}, "PARLEY_WEBCHAT__GREETINGS__0__AFTER"),
        ({"greetings": [{"url": "/x", "wait": 3}]}, "PARLEY_WEBCHAT__GREETINGS__0__WAIT"),
        ({"greetings": [{"id": "a b"}]}, "PARLEY_WEBCHAT__GREETINGS__0__ID"),
    ],
)
def test_broken_settings_name_the_variable(value, named):
    with pytest.raises(ValidationError) as failed:
        Settings(_env_file=None, webchat=value)
    assert describe_error(failed.value).startswith(named + ":")


def test_a_persona_colour_must_be_a_colour():
    with pytest.raises(ValidationError):
        Persona(id="x", name="X", role="r", color="red")
