"""Today's brain before issue 17, kept verbatim in substance as the answers benchmark's baseline:
a hand-written BM25 (k1=1.5, b=0.75) over lower-cased words with a light English suffix fold and
an English stop list, one index for every file, and "confidence" = the share of the question's
IDF weight the best passage covers (answer at >= 0.35, the demo persona's threshold)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

from parley.core.brains.search.markdown import Passage, split_markdown

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    "a an and are as at be by can do does for from how i if in is it me my of on or our the this "
    "to what when where which who why will with you your we us there their get have has much many "
    "take please want need like about any some".split()
)
THRESHOLD = 0.35


def tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for word in _WORD.findall(text):
        if word in _STOP or (word.isdigit() and len(word) < 3):
            continue
        if any("\u3040" <= ch <= "\u9fff" for ch in word):
            out.extend(word)
            continue
        out.append(_stem(word))
    return out


def _stem(word: str) -> str:
    for suffix in ("ing", "es", "s", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            break
    return word


class OldKnowledgeBase:
    def __init__(self, passages: list[Passage], k1: float = 1.5, b: float = 0.75) -> None:
        self.passages = passages
        self.k1, self.b = k1, b
        self._docs = [Counter(tokens(p.title + " " + p.title + " " + p.text)) for p in passages]
        self._len = [sum(d.values()) for d in self._docs]
        self._avg = sum(self._len) / len(self._len) if self._len else 1.0
        df: Counter[str] = Counter()
        for doc in self._docs:
            df.update(doc.keys())
        n = len(passages)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    @classmethod
    def load(cls, folder: Path) -> OldKnowledgeBase:
        passages: list[Passage] = []
        for path in sorted(folder.glob("*.md")):
            # The old brain had no Questions:/Aliases: lines; they are not part of its text.
            passages.extend(_plain(p) for p in split_markdown(path.name, path.read_text(encoding="utf-8")))
        return cls(passages)

    def answer(self, query: str) -> tuple[str | None, float]:
        """(the passage's id, or None for "not sure"; confidence)."""
        terms = tokens(query)
        best, best_score = -1, 0.0
        for i, doc in enumerate(self._docs):
            norm = self.k1 * (1 - self.b + self.b * self._len[i] / self._avg)
            score = sum(self._idf[t] * doc[t] * (self.k1 + 1) / (doc[t] + norm) for t in terms if doc.get(t))
            if score > best_score:
                best, best_score = i, score
        if best < 0:
            return None, 0.0
        unique = set(terms)
        total = sum(self._idf.get(t, 1.0) for t in unique)
        covered = sum(self._idf.get(t, 0.0) for t in unique if t in self._docs[best])
        confidence = covered / total if total else 0.0
        return (self.passages[best].source if confidence >= THRESHOLD else None), confidence


def _plain(p: Passage) -> Passage:
    return Passage(p.source, p.title, p.text)
