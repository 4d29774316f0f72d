"""One language's index: BM25 (bm25s) over three fields of every passage, and typo correction.

Fields, because customers ask the way the example questions are written, not the way answers are:
- each example question on its own, the passage scoring its best-matching question (a question
  list grows without diluting any one phrasing);
- title and aliases;
- title and body.
A passage's score is the weighted sum. Besides the score, a hit carries what the confidence
model reads (``calibration``): how much of the question the passage covers, how many of the
question's words the knowledge has never seen, and the lead over the next passage.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from parley.core.brains.search import postings
from parley.core.brains.search.analysis import Analyzer
from parley.core.brains.search.markdown import Passage
from parley.core.brains.search.semantic import Embedder, PassageVectors
from rapidfuzz import process
from rapidfuzz.distance import OSA

# bm25s (imported by postings.py) sets its own logger to DEBUG when imported and logs every
# index build: put it back under the application's logging (one line per problem, not per reload).
logging.getLogger("bm25s").setLevel(logging.WARNING)
_POOL = 32  # BM25's best passages the embedding re-ranks (with PARLEY_KNOWLEDGE_EMBEDDINGS)


@dataclass(frozen=True)
class Weights:
    questions: float = 1.5
    names: float = 0.6
    body: float = 0.4
    grams: float = 0.4  # character n-grams of every field (analysis.Analyzer.grams)
    # With sentence embeddings, a passage ranks by its BM25 score over the best one's plus this
    # times its embedding closeness: on questions worded unlike the knowledge (the evaluation
    # set's fifth round) the right passage came first 71% of the time on BM25 alone, 76% fused.
    semantic: float = 2.0


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    coverage: float = 0.0  # share of the question's words the passage has
    unknown: float = 0.0  # share of the question's words the whole knowledge never uses
    margin: float = 0.0  # (best - next) / best, the same for every hit of one search
    match: float = 0.0  # how much of its closest example question (or title) the question says
    overlap: float = 0.0  # the closest example question's shared weight over both's (IDF Jaccard)
    semantic: float = 0.0  # the embedding's closeness to the passage (semantic.py), 0 without one
    offtopic: float = 0.0  # how much closer in meaning a question about another domain comes (scope.py)
    terms: tuple[str, ...] = field(default=(), compare=False)


class LocaleIndex:
    def __init__(
        self,
        passages: list[Passage],
        analyzer: Analyzer,
        weights: Weights = Weights(),
        embedder: Embedder | None = None,
        offtopic: Sequence[str] = (),  # questions about other domains (scope.reference), with embeddings
    ) -> None:
        self.passages = passages
        self.analyzer = analyzer
        self.weights = weights
        a = analyzer.terms
        names = [a(" ".join((p.title, *p.aliases))) for p in passages]
        bodies = [a(p.title + "\n" + p.text) for p in passages]
        questions: list[list[str]] = []
        owners: list[int] = []
        for n, p in enumerate(passages):
            for q in p.questions:
                questions.append(a(q))
                owners.append(n)
        self._names, self._bodies = postings.build(names), postings.build(bodies)
        self._grams = postings.build(
            [analyzer.grams(" ".join((p.title, p.text, *p.aliases, *p.questions))) for p in passages]
            if weights.grams
            else []
        )
        self._questions = postings.build(questions)
        # Owners come in passage order: each passage's questions are one run, whose best score
        # one reduceat finds (np.maximum.at, per element, was the slower path).
        self._runs = np.flatnonzero(np.diff(owners, prepend=-1)) if owners else np.zeros(0, dtype=np.int64)
        self._askers = np.array(owners, dtype=np.int64)[self._runs]
        self._terms = [set(n) | set(b) for n, b in zip(names, bodies, strict=True)]
        self._asks: list[list[frozenset[str]]] = [[frozenset(a(p.title))] for p in passages]
        for n, q in zip(owners, questions, strict=True):
            self._terms[n].update(q)
            self._asks[n].append(frozenset(q))
        df: Counter[str] = Counter()
        for terms in self._terms:
            df.update(terms)
        count = len(passages)
        self._idf = {t: math.log(1 + (count - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self._rare = max(self._idf.values(), default=1.0)  # an unseen word weighs like the rarest seen one
        # Each example question (and title) with its total IDF, summed once here: every hit of
        # every search compares the question with all of its passage's asks.
        self._weighed: list[list[tuple[frozenset[str], float]]] = [
            [(ask, sum(self._idf[t] for t in ask)) for ask in asks] for asks in self._asks
        ]
        # Per passage, which of its asks use each term: an ask sharing no term with the question
        # scores 0 on both counts and is skipped (a passage can have tens of asks).
        self._asking: list[dict[str, list[int]]] = []
        for asks in self._asks:
            asking: dict[str, list[int]] = {}
            for k, ask in enumerate(asks):
                for t in ask:
                    asking.setdefault(t, []).append(k)
            self._asking.append(asking)
        # Typo correction compares a word with the knowledge's own words, by first letter (a
        # slip is rarely in the first letter, and it keeps the comparison short at 2,000 passages).
        surface: set[str] = set()
        if not analyzer.cjk:
            for p in passages:
                surface.update(analyzer.words(" ".join((p.title, p.text, *p.questions, *p.aliases))))
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(surface):
            self._by_initial.setdefault(word[0], []).append(word)
        self._vectors = (
            PassageVectors(embedder, [[f"{p.title}. {p.text}", *p.questions] for p in passages], offtopic)
            if embedder
            else None
        )

    def correct(self, word: str) -> str:
        """The knowledge's word one slip away (two for long words), or the word itself."""
        if len(word) < 5 or self.analyzer.stem(word) in self._idf:
            return word
        found = process.extractOne(
            word, self._by_initial.get(word[0], ()), scorer=OSA.distance, score_cutoff=1 if len(word) < 8 else 2
        )
        return found[0] if found else word

    def knows(self, term: str) -> bool:
        return term in self._idf

    def query_terms(self, text: str) -> list[str]:
        if self.analyzer.cjk:
            return self.analyzer.terms(text)
        out: list[str] = []
        for word in self.analyzer.words(text):
            stem = self.analyzer.stem(self.unclitic(word) or self.correct(word))
            parts = self.split(word) if stem not in self._idf and self.analyzer.compounds else []
            out += parts or [stem]
        return out

    def unclitic(self, word: str) -> str:
        """An Arabic word the knowledge does not use, with the "and", "so", "with", "for" or
        "like" written onto it taken off when what is left is a word it uses ("بفلوس", "وبالبطاقة").
        Only against the knowledge's words: "بلد" (country) starts like "with" too. "" if none."""
        if not self.analyzer.proclitics or self.analyzer.stem(word) in self._idf:
            return ""
        for cut in (1, 2):
            head, rest = word[:cut], word[cut:]
            if len(rest) < 3 or any(ch not in self.analyzer.proclitics for ch in head):
                break
            if self.analyzer.stem(rest) in self._idf:
                return rest
        return ""

    def split(self, word: str) -> list[str]:
        """A German compound the knowledge does not use, split into the parts it does:
        "kreditkartendaten" -> kreditkarte + daten, "aktionscode" -> code. The last part is the
        compound's head (what it is), so the longest known ending is taken first; what is left
        is split the same way, with its linking "s" or "n" dropped ("aktions-", "karten-"), or
        kept whole when the knowledge does not know it."""
        for cut in range(3, len(word) - 3):
            tail = self.analyzer.stem(word[cut:])
            if tail not in self._idf:
                continue
            head = word[:cut]
            for link in ("", "s", "n", "en", "es"):
                if link and not head.endswith(link):
                    continue
                stem = self.analyzer.stem(head.removesuffix(link) if link else head)
                if stem in self._idf:
                    return [stem, tail]
            # A head the knowledge does not know stays a term: "studentenrabatt" is a discount
            # for students, which the knowledge may not offer (the confidence reads that).
            rest = self.split(head) if len(head) >= 8 else []
            return [*(rest or [self.analyzer.stem(head)]), tail]
        return []

    @staticmethod
    def _scores(index: postings.Field | None, terms: list[str]) -> np.ndarray | None:
        return None if index is None else index.scores(terms)

    def scores(self, terms: list[str], grams: list[str] = ()) -> np.ndarray:
        """Every passage's weighted score for the question's terms (and character n-grams)."""
        total = np.zeros(len(self.passages), dtype=np.float32)
        if grams:
            found = self._scores(self._grams, list(grams))
            if found is not None:
                total += self.weights.grams * found
        w = self.weights
        for index, weight in ((self._names, w.names), (self._bodies, w.body)):
            scores = self._scores(index, terms)
            if scores is not None:
                total += weight * scores
        if self._questions is not None:
            scores = self._scores(self._questions, terms)
            if scores is not None:
                best = np.zeros(len(self.passages), dtype=np.float32)
                # BM25 scores are never negative: a passage's best is its run's maximum, or 0.
                best[self._askers] = np.maximum.reduceat(scores, self._runs)
                total += w.questions * best
        return total

    def search(self, text: str, limit: int = 3, foreign: bool = False) -> list[Hit]:
        """``foreign``: the question is in another language (a customer's passage missing in
        theirs): words this language never uses are expected then, so only known ones count."""
        terms = self.query_terms(text)
        if foreign:
            terms = [t for t in terms if t in self._idf]
        if not terms or not self.passages:
            return []
        total = self.scores(terms, self.analyzer.grams(text) if self.weights.grams else [])
        ranked = np.argsort(-total)
        top = float(total[ranked[0]])
        if top <= 0:
            return []
        second = float(total[ranked[1]]) if len(ranked) > 1 else 0.0
        margin = (top - second) / top
        close: dict[int, float] = {}
        elsewhere = 0.0
        order = [int(i) for i in ranked[: max(limit, 2)]]
        if self._vectors:
            # The embedding re-ranks BM25's best candidates (not every passage: see closeness).
            pool = [int(i) for i in ranked[:_POOL] if total[i] > 0]
            near, elsewhere = self._vectors.closeness(text, pool)
            close = dict(zip(pool, near, strict=True))
            order = sorted(pool, key=lambda i: -(total[i] / top + self.weights.semantic * close[i]))[: max(limit, 2)]
        unique = set(terms)
        # Chinese and Japanese words are the character pairs: a lone character is nearly always
        # known (天 and 気 of an unknown 天気 "weather"), so it would hide the unknown word.
        words = {t for t in unique if len(t) > 1} if self.analyzer.cjk else unique
        unknown = sum(1 for t in words if t not in self._idf) / len(words) if words else 0.0
        weight = {t: self._idf.get(t, self._rare) for t in unique}
        chosen = [int(i) for i in order[:limit] if total[i] > 0]
        hits = []
        for i in chosen:
            semantic = close.get(i, 0.0)
            score = float(total[i])
            # Coverage counts words, not their rarity (BM25 already weighs that): a rare word the
            # passage lacks ("jeans" in "how do I return jeans", which only the size guide names)
            # should not outweigh the question's other words.
            covered = sum(1 for t in unique if t in self._terms[i]) / len(unique)
            match, overlap = self._closest(i, weight)
            # Only a lead over the passage's own closest sentence counts: a question as close to
            # one of its example questions as to any off-topic one keeps it in scope.
            beyond = max(0.0, elsewhere - semantic)
            hits.append(
                Hit(self.passages[i], score, covered, unknown, margin, match, overlap, semantic, beyond, tuple(terms))
            )
        return hits

    def _closest(self, passage: int, weight: dict[str, float]) -> tuple[float, float]:
        """Over a passage's asks, the most of one the question says (its shared IDF over the
        ask's), and the best IDF Jaccard (shared over the union's). A shared term is one the
        knowledge knows, so its weight in the question is its IDF."""
        asked = sum(weight.values())
        match = overlap = 0.0
        asks, asking = self._weighed[passage], self._asking[passage]
        for k in sorted({k for t in weight for k in asking.get(t, ())}):
            ask, total = asks[k]
            both = sum(weight[t] for t in ask if t in weight)
            either = asked + total - both
            if total and both / total > match:
                match = both / total
            if either and both / either > overlap:
                overlap = both / either
        return match, overlap
