"""The search's own BM25 scoring (parley.core.brains.search.postings) gives bm25s's scores bit for
bit, dense or sparse, so replacing bm25s's get_scores moves no answer and no confidence."""

import random

import bm25s
import numpy as np
import pytest
from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.search.postings import Field, build
from parley.core.config.settings import shipped

from bench.answers import questions

KB = KnowledgeBase.load(shipped("knowledge") / "demo")


def corpus(seed: int, docs: int) -> list[list[str]]:
    """Documents of Zipf-ish words, some repeated within a document (term frequency > 1)."""
    rng = random.Random(seed)
    words = [f"w{n}" for n in range(400)]
    weights = [1 / (n + 1) for n in range(400)]
    return [rng.choices(words, weights, k=rng.randint(3, 40)) for _ in range(docs)]


def bm25s_scores(docs: list[list[str]], terms: list[str]) -> np.ndarray | None:
    if not any(docs):  # a field no passage uses (the index keeps none)
        return None
    index = bm25s.BM25()
    index.index(docs, show_progress=False)
    known = [t for t in terms if t in index.vocab_dict]
    return index.get_scores(known) if known else None


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("seed", range(6))
def test_scores_are_bm25s_own_bit_for_bit(seed, dense):
    docs = corpus(seed, 60 + 40 * seed)
    field = Field(docs, dense=1 << 30 if dense else 0)
    rng = random.Random(seed + 100)
    for _ in range(50):
        # Known and unknown words, some twice: a repeated term counts twice in bm25s too.
        terms = rng.choices([f"w{n}" for n in range(450)], k=rng.randint(1, 12))
        ours, theirs = field.scores(terms), bm25s_scores(docs, terms)
        if theirs is None:
            assert ours is None
        else:
            assert ours is not None and ours.dtype == theirs.dtype
            assert ours.tobytes() == theirs.tobytes()


def test_a_field_without_the_terms_scores_nothing_and_an_empty_field_is_none():
    field = Field([["ship", "cost"], ["refund"]])
    assert "ship" in field and "paypal" not in field
    assert field.scores(["paypal", "mars"]) is None
    assert build([[], []]) is None


def test_the_demo_knowledge_ranks_every_evaluation_question_as_bm25s_did():
    """Each language's weighted field scores, the way the index summed bm25s's before."""
    for question in questions()[::7]:
        index = KB.indexes[KB.locale_of(question.locale)]
        terms = index.query_terms(question.text)
        if not terms:
            continue
        grams = index.analyzer.grams(question.text)
        a = index.analyzer.terms
        passages = index.passages
        expected = np.zeros(len(passages), dtype=np.float32)
        g = index.analyzer.grams
        fields = [  # in the order the index adds them
            ([g(" ".join((p.title, p.text, *p.aliases, *p.questions))) for p in passages], grams, index.weights.grams),
            ([a(" ".join((p.title, *p.aliases))) for p in passages], terms, index.weights.names),
            ([a(p.title + "\n" + p.text) for p in passages], terms, index.weights.body),
        ]
        for docs, query, weight in fields:
            found = bm25s_scores(docs, query)
            if found is not None:
                expected += weight * found
        asks = [(n, a(q)) for n, p in enumerate(passages) for q in p.questions]
        found = bm25s_scores([q for _, q in asks], terms)
        if found is not None:
            best = np.zeros(len(passages), dtype=np.float32)
            np.maximum.at(best, np.array([n for n, _ in asks]), found)
            expected += index.weights.questions * best
        assert index.scores(terms, grams).tobytes() == expected.tobytes(), question.text
