"""The packs' complaint and person phrases: what hands a message to a person before any search."""

from pathlib import Path

import pytest
from parley.core.brains.escalation import upset
from parley.core.brains.phrases import intent_of
from parley.core.i18n.locales import LocaleCatalog

PACKS = LocaleCatalog.load(Path(__file__).parents[2] / "locales")


@pytest.mark.parametrize(
    "code, text",
    [
        ("en", "hello, the box came with somebody elses items inside"),
        ("en", "I received someone else’s items"),  # a phone's typographic apostrophe
        ("de", "meine jacke kam mit kaputtem reißverschluss an"),
        ("es", "pedí dos camisetas y en la caja solo venía una"),
        ("fr", "bonjour, il manque un article dans mon colis"),
        ("pt-BR", "a calça chegou com o zíper quebrado"),
        ("ja", "袖のところがほつれてました"),
        ("zh-CN", "收到的外套拉链是坏的"),
        ("ar", "وصلني طلب شخص آخر"),
    ],
)
def test_a_problem_described_as_what_arrived_is_a_complaint(code, text):
    assert upset(text, PACKS.get(code)) == "complaint"


@pytest.mark.parametrize(
    "code, text",
    [
        ("en", "I ordered the wrong size, can I exchange it?"),
        ("en", "I picked the wrong colour, can I swap it"),
        ("en", "still waiting on my refund after returning the shoes"),
        ("de", "ich warte immer noch auf mein paket"),
        ("es", "sigo esperando el reembolso"),
        ("fr", "j'attends toujours mon colis"),
    ],
)
def test_an_ordinary_question_the_knowledge_answers_is_not_a_complaint(code, text):
    assert upset(text, PACKS.get(code)) is None


@pytest.mark.parametrize(
    "code, asks, wants",
    [
        ("es", "a qué hora abre atención al cliente", "quiero hablar con atención al cliente"),
        ("fr", "quand puis-je joindre le service client", "je veux parler au service client"),
        ("de", "wann ist der kundenservice erreichbar", "ich will mit dem kundenservice sprechen"),
        ("ar", "متى تعمل خدمة العملاء", "أريد التحدث مع خدمة العملاء"),
    ],
)
def test_naming_the_service_is_not_asking_for_a_person(code, asks, wants):
    # "When is customer service open" is a question about the hours, which the knowledge answers.
    assert intent_of(asks, PACKS.get(code)) != "human"
    assert intent_of(wants, PACKS.get(code)) == "human"
