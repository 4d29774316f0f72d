"""Knowledge per language: folders per locale, example questions and aliases in the Markdown,
the default language's passage with a notice where a translation is missing, coverage, typos,
and small talk set aside."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.retrieval import RetrievalBrain
from parley.core.brains.search.markdown import split_markdown
from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from parley.core.kernel.messages import Address, Inbound
from parley.core.kernel.turn import Turn

from parley.app import Bot
from parley.check import coverage

LOCALES = LocaleCatalog.load(shipped("locales"))
PERSONA = PersonaCatalog.load(shipped("personas"), "demo").get()
DEMO = KnowledgeBase.load(shipped("knowledge") / "demo")


def turn(text: str, locale: str = "en") -> Turn:
    address = Address(channel="web", chat="c", user="u")
    t = Turn(address, datetime.now(UTC), PERSONA, LOCALES.get(locale))
    t.inbound = Inbound(address=address, event_id="1", text=text)
    return t


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_questions_and_aliases_are_read_and_never_shown():
    [p] = split_markdown(
        "faq.md",
        "## Gift wrap {#wrap}\nWe wrap for 3.\n\nQuestions:\n- can you wrap it\n- gift box?\n\nAliases: present, box",
    )
    assert p.source == "faq.md#wrap" and p.text == "We wrap for 3."
    assert p.questions == ("can you wrap it", "gift box?") and p.aliases == ("present", "box")


def test_translations_share_their_ids_and_each_language_has_its_own_index():
    assert set(DEMO.locales) == set(LOCALES.codes)
    ids = {code: {p.source for p in index.passages} for code, index in DEMO.indexes.items()}
    assert all(found == ids["en"] for found in ids.values())
    assert DEMO.missing() == {code: [] for code in DEMO.locales if code != "en"}


def test_every_demo_language_has_every_passage_with_as_many_example_questions_as_english():
    english = {p.source: len(p.questions) for p in DEMO.passages_in("en")}
    for code in DEMO.locales:
        own = {p.source: len(p.questions) for p in DEMO.passages_in(code)}
        assert own.keys() == english.keys(), code
        short = {source: english[source] - n for source, n in own.items() if n < english[source]}
        assert not short, (code, short)  # a language with fewer phrasings is found less often


async def test_a_missing_translation_is_answered_in_the_default_language_with_a_notice(tmp_path):
    folder = write(
        tmp_path,
        {
            "en/pay.md": "## PayPal {#paypal}\nWe take PayPal.\n\nQuestions:\n- can I pay with paypal",
            "en/ship.md": "## Shipping {#ship}\nWe ship in 3 days.",
            "es/ship.md": "## Envíos {#ship}\nEnviamos en 3 días.",
        },
    )
    kb = KnowledgeBase.load(folder)
    assert kb.missing() == {"es": ["pay.md#paypal"]}
    answer = await RetrievalBrain(kb).answer(turn("¿puedo pagar con PayPal?", "es"))
    assert answer.sources == ("pay.md#paypal",)
    assert answer.text.startswith(LOCALES.get("es").t("knowledge_fallback"))
    assert "We take PayPal." in answer.text


def test_files_outside_locale_folders_are_the_default_language(tmp_path):
    kb = KnowledgeBase.load(write(tmp_path, {"faq.md": "## Hours\nOpen 9 to 5."}), default="de")
    assert kb.locales == ["de"] and kb.passages[0].locale == "de"


def test_check_reports_coverage_per_locale(tmp_path):
    folder = write(tmp_path, {"en/a.md": "## A\nOne.\n\n## B\nTwo.", "fr/a.md": "## A {#a}\nUn."})

    class Shell:  # what coverage() reads of a Bot
        knowledge = KnowledgeBase.load(folder)
        locales = LOCALES

    report = coverage(Shell())  # type: ignore[arg-type]
    assert "knowledge: fr 1 passages, missing 1: a.md#b" in report
    assert "no passages in ar, de, es, ja, pt-BR, zh-CN" in report
    assert isinstance(Bot, type)


@pytest.mark.parametrize(
    "question, source",
    [
        ("shiping costs", "shipping.md#shipping-costs"),
        ("retrun policy", "returns.md#return-policy"),
        ("can i pay with paypall", "payment.md#payment-methods"),
    ],
)
def test_typos_in_longer_words_are_forgiven(question, source):
    found = DEMO.find(question, "en", PERSONA.min_confidence)
    assert found is not None and found.passage.source == source


@pytest.mark.parametrize(
    "text, intent",
    [("hi there", "greeting"), ("thanks a lot!", "thanks"), ("Hallo, guten Tag", "greeting"), ("谢谢", "thanks")],
)
async def test_only_small_talk_gets_a_small_talk_answer(text, intent):
    locale = "de" if "Tag" in text else "zh-CN" if text == "谢谢" else "en"
    answer = await RetrievalBrain(DEMO).answer(turn(text, locale))
    assert answer.intent == intent and answer.sources == ()


async def test_a_greeting_around_a_question_answers_the_question_in_japanese():
    answer = await RetrievalBrain(DEMO).answer(turn("こんにちは、送料はいくらですか", "ja"))
    assert answer.sources == ("shipping.md#shipping-costs",) and "送料" in answer.text


async def test_each_language_s_index_is_built_at_its_first_search_and_warm_builds_the_rest():
    from parley.core.brains.search.index import LocaleIndex

    built: list[str] = []

    class Counted(LocaleIndex):
        def __init__(self, passages, analyzer, weights) -> None:
            built.append(passages[0].locale)
            super().__init__(passages, analyzer, weights)

    passages = [
        *split_markdown("ship.md", "# Shipping\nWe ship worldwide in five days.", "en"),
        *split_markdown("ship.md", "# Envíos\nEnviamos a todo el mundo en cinco días.", "es"),
    ]
    kb = KnowledgeBase(passages, "en", engine=Counted)
    assert built == [] and kb.locales == ["en", "es"]  # loading read the files, built nothing
    assert kb.passages_in("es")[0].title == "Envíos" and built == []
    assert kb.search("envíos", locale="es")[0].passage.title == "Envíos"
    assert built == ["es"]
    await kb.warm(pause=0)
    assert built == ["es", "en"]  # each once
    kb.search("shipping", locale="en")
    assert built == ["es", "en"]
