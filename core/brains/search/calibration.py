"""How sure the best passage is the answer: a logistic model over what the search measured.

The features are the passage's coverage of the question, the share of the question's words the
knowledge never uses, the best passage's lead over the next one, the (log) score, and how much
of the passage's closest example question the customer's question says, and how much the two
share of everything either says (with the embeddings, also the closeness in meaning to the
passage and how much closer a question about another domain comes: ``scope``). The
coefficients are fitted by ``python -m bench.answers --fit`` on the tuning part of the evaluation
set (tests/data/answers) and pasted here; the held-out part is never fitted on. The output is a
probability that the passage answers the question, compared with the persona's
``min_confidence``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the index module (bm25s, numpy) loads with the first index
    from parley.core.brains.search.index import Hit


def features(hit: Hit, semantic: bool = False) -> tuple[float, ...]:
    lexical = (hit.coverage, hit.unknown, hit.margin, math.log1p(hit.score), hit.match, hit.overlap)
    return (*lexical, hit.semantic, hit.offtopic) if semantic else lexical


@dataclass(frozen=True)
class Calibration:
    weights: tuple[float, ...]
    bias: float
    semantic: bool = False  # reads the embedding's closeness too (fitted with the embeddings on)

    def probability(self, hit: Hit) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features(hit, self.semantic), strict=True))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


# Fitted by bench/answers.py --fit on the tuning part (see the module docstring).
FITTED = Calibration(weights=(7.733, -1.125, 0.355, 2.208, 2.781, 0.299), bias=-11.151)
# The same model with the embedding's closeness to the passage, and how much closer an off-topic
# question comes (scope.py), as seventh and eighth features (PARLEY_KNOWLEDGE_EMBEDDINGS).
FITTED_SEMANTIC = Calibration(
    weights=(6.629, -1.618, 0.164, 2.102, 2.092, -0.979, 5.566, -4.783), bias=-12.077, semantic=True
)
