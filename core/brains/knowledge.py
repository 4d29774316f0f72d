"""The knowledge base: Markdown files split into passages at headings, ranked with BM25.

BM25 (Okapi, k1=1.5, b=0.75) over lowercase word tokens with light suffix folding is enough for
a shop's FAQ and needs nothing but the standard library; passages carry a source id
(``file.md#heading``) the brain cites.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    "a an and are as at be by can do does for from how i if in is it me my of on or our the this "
    "to what when where which who why will with you your we us there their get have has much many "
    "take please want need like would could should tell know about any some".split()
)


def tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for word in _WORD.findall(text):
        if word in _STOP or (word.isdigit() and len(word) < 3):
            continue  # "hello 1" must not match "1 to 2 business days"
        # CJK text has no spaces: index characters so "送料" still matches.
        if any("\u3040" <= ch <= "\u9fff" for ch in word):
            out.extend(word)
            continue
        out.append(_stem(word))
    return out


def _stem(word: str) -> str:
    """A light English suffix fold: shipping/ships/shipped -> ship, returns -> return."""
    for suffix in ("ing", "es", "s", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # shipp -> ship
            break
    return word


@dataclass(frozen=True)
class Passage:
    source: str  # "shipping.md#delivery-times"
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


class KnowledgeBase:
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

    def replace(self, other: KnowledgeBase) -> None:
        """Swap in a freshly loaded knowledge base (hot reload): the brains holding this one see
        it on their next search, like the locale and persona catalogs."""
        self.passages, self.k1, self.b = other.passages, other.k1, other.b
        self._docs, self._len, self._avg, self._idf = other._docs, other._len, other._avg, other._idf

    @classmethod
    def load(cls, folder: Path) -> KnowledgeBase:
        if not folder.is_dir():
            raise FileNotFoundError(f"knowledge folder {folder} does not exist (PARLEY_KNOWLEDGE_DIR)")
        passages: list[Passage] = []
        for path in sorted(folder.rglob("*.md")):
            passages.extend(split_markdown(path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8")))
        return cls(passages)

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        terms = tokens(query)
        scores = []
        for i, doc in enumerate(self._docs):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * self._len[i] / self._avg)
            for term in terms:
                f = doc.get(term)
                if f:
                    score += self._idf[term] * f * (self.k1 + 1) / (f + norm)
            if score > 0:
                scores.append(Hit(self.passages[i], score))
        scores.sort(key=lambda h: h.score, reverse=True)
        return scores[:limit]

    def confidence(self, query: str, hit: Hit) -> float:
        """0..1: the share of the query's informative weight the best passage covers."""
        terms = set(tokens(query))
        if not terms:
            return 0.0
        doc = self._docs[self.passages.index(hit.passage)]
        # A word the knowledge never uses counts as one unit: filler ("much") must not sink a
        # good match, but a question made only of unknown words still scores zero.
        total = sum(self._idf.get(t, 1.0) for t in terms)
        covered = sum(self._idf.get(t, 0.0) for t in terms if t in doc)
        return covered / total if total else 0.0


def split_markdown(name: str, text: str) -> list[Passage]:
    passages: list[Passage] = []
    title, body, doc_title = "", [], ""
    for line in text.splitlines():
        heading = re.match(r"^(#{1,3})\s+(.*)", line)
        if heading:
            if body and "".join(body).strip():
                passages.append(_passage(name, doc_title, title, body))
            if heading.group(1) == "#":
                doc_title = heading.group(2).strip()
            title, body = heading.group(2).strip(), []
        else:
            body.append(line)
    if body and "".join(body).strip():
        passages.append(_passage(name, doc_title, title, body))
    return passages


def _passage(name: str, doc_title: str, title: str, body: list[str]) -> Passage:
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-")
    full = f"{doc_title}: {title}" if doc_title and doc_title != title else title
    return Passage(f"{name}#{slug}" if slug else name, full, "\n".join(body).strip())
