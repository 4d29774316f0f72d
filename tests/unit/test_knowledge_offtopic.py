"""The off-topic reference corpus (parley.core.brains.search.scope): questions about other
domains, shipped per language, which the embeddings' confidence model compares a question with;
it never outweighs a passage's own example question."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.search.analysis import analyzer
from parley.core.brains.search.calibration import FITTED_SEMANTIC
from parley.core.brains.search.index import LocaleIndex
from parley.core.brains.search.markdown import Passage
from parley.core.brains.search.scope import reference, shipped

from tests.unit.test_knowledge_embeddings import Meanings

ANSWERS = Path(__file__).parents[1] / "data" / "answers"
LANGUAGES = ("en", "es", "fr", "de", "pt-BR", "ja", "zh-CN", "ar")
PASSAGES = [
    Passage("s.md#tracking", "Tracking", "Follow your parcel with the link we email.", "en", ("where is my parcel",)),
    Passage("s.md#refunds", "Refunds", "Refunds reach your card in 5 days.", "en", ("when is my refund",)),
]


def _plain(text: str) -> str:
    return re.sub(r"[\s?？!.。،؟¿¡]+", " ", text.casefold()).strip()


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_shipped_language_has_questions_about_other_things(code):
    own = shipped(code)
    assert len(own) >= 60 and not any(q.startswith("#") or not q.strip() for q in own)
    assert set(own) <= set(reference(code)) and set(shipped("en")) <= set(reference(code))


def test_a_locale_reads_its_language_and_an_unknown_one_reads_nothing():
    assert shipped("pt-BR") == shipped("pt") and shipped("zh-CN") == shipped("zh")
    assert shipped("sw") == () and reference("en") == shipped("en")


def test_no_question_of_the_corpus_is_in_the_evaluation_set():
    asked = {
        _plain(line.split("\t")[2])
        for path in ANSWERS.glob("*.tsv")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.count("\t") >= 2 and not line.startswith("#")
    }
    corpus = {_plain(q) for code in LANGUAGES for q in shipped(code)}
    assert len(asked) > 1000 and not corpus & asked


def index(offtopic: tuple[str, ...]) -> LocaleIndex:
    return LocaleIndex(PASSAGES, analyzer("en"), embedder=Meanings(), offtopic=offtopic)


def test_a_question_closer_in_meaning_to_another_domain_carries_the_lead():
    # The question is (1 parcel, 2 weather)/sqrt(5); "will it rain" (1 weather, 2 other)/sqrt(5):
    # cosine 2/5. Its closest tracking sentence, "where is my parcel", is (1 parcel, 3 other)/
    # sqrt(10): cosine 1/sqrt(50). The lead is the difference.
    hit = index(("will it rain",)).search("parcel weather rain", 1)[0]
    assert hit.passage.source == "s.md#tracking" and hit.semantic == pytest.approx(50**-0.5, abs=1e-6)
    assert hit.offtopic == pytest.approx(0.4 - 50**-0.5, abs=1e-6)
    assert index(()).search("parcel weather rain", 1)[0].offtopic == 0.0


def test_the_corpus_never_beats_a_passages_own_example_question():
    # The off-topic sentence means exactly what the example question means: no lead at all.
    hit = index(("parcel box package",)).search("where is my parcel", 1)[0]
    assert hit.semantic == pytest.approx(1.0) and hit.offtopic == 0.0


def test_the_lead_lowers_the_confidence_and_without_embeddings_there_is_none():
    hit = index(("will it rain",)).search("parcel weather rain", 1)[0]
    assert FITTED_SEMANTIC.probability(hit) < FITTED_SEMANTIC.probability(dataclasses.replace(hit, offtopic=0.0))
    assert all(h.offtopic == 0.0 for h in KnowledgeBase(PASSAGES).search("parcel weather rain", 3, "en"))


def test_the_knowledge_base_gives_each_language_its_reference_questions():
    fake = Meanings()
    KnowledgeBase([dataclasses.replace(p, locale="es") for p in PASSAGES], "es", embedder=fake).search(
        "parcel", 1, "es"
    )
    assert set(shipped("es")) <= set(fake.encoded) and set(shipped("en")) <= set(fake.encoded)


def test_no_held_out_question_is_an_example_question_of_the_demo_knowledge():
    # A held-out line written into the knowledge would be answered because it was seen: the
    # benchmark's held-out part measures questions the knowledge's owners never read.
    held = {
        (path.stem, _plain(line.split("\t")[2]))
        for path in ANSWERS.glob("*.tsv")
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("held\t")
    }
    demo = KnowledgeBase.load(Path(__file__).parents[2] / "knowledge" / "demo")
    examples = {(p.locale, _plain(q)) for p in demo.passages for q in p.questions}
    assert len(held) > 1000 and not held & examples
