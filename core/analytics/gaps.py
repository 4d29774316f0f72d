"""The knowledge-gap report: the questions the bot could not answer, grouped by similarity.

Similarity is the overlap of the retrieval brain's own terms in the question's language
(parley.core.brains.search.analysis: stop words dropped, Snowball stems, CJK by character pairs), so "how much is shipping to Canada?" and
"shipping cost canada" fall together exactly when the knowledge base would need one passage for
both. Greedy: the most asked question opens a group, and each next one joins the first group
whose terms it shares enough of (Jaccard), else opens its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parley.core.analytics.store import Question
from parley.core.brains.search.analysis import analyzer

SIMILAR = 0.5  # Jaccard overlap of terms to join a group
EXAMPLES = 5


@dataclass
class Gap:
    question: str  # the most asked wording
    count: int = 0
    examples: list[str] = field(default_factory=list)
    locales: dict[str, int] = field(default_factory=dict)
    terms: frozenset[str] = frozenset()

    def as_json(self) -> dict:
        return {"question": self.question, "count": self.count, "examples": self.examples, "locales": self.locales}


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def group(questions: list[Question], limit: int = 50) -> list[Gap]:
    gaps: list[Gap] = []
    for q in sorted(questions, key=lambda q: (-q.n, q.text)):
        terms = frozenset(analyzer(q.locale).terms(q.text)) or frozenset({q.text.casefold()})
        home = next((g for g in gaps if jaccard(terms, g.terms) >= SIMILAR), None)
        if home is None:
            home = Gap(q.text, terms=terms)
            gaps.append(home)
        home.count += q.n
        home.locales[q.locale] = home.locales.get(q.locale, 0) + q.n
        if len(home.examples) < EXAMPLES and q.text not in home.examples:
            home.examples.append(q.text)
    return sorted(gaps, key=lambda g: -g.count)[:limit]
