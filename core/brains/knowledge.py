"""The knowledge base: Markdown passages per language, searched per language.

A knowledge folder holds Markdown files (the default language) or one folder per locale code
(``knowledge/demo/en/``, ``knowledge/demo/es/``...), each translation keeping the file names and
passage anchors of the default language. A customer is searched in their own language first; a
passage that only exists in the default language is still found there, and the brain says so
(``Found.translated_from``). Analysis, ranking and confidence live in ``parley.core.brains.search``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from parley.core.brains.search.analysis import analyzer
from parley.core.brains.search.calibration import FITTED, FITTED_SEMANTIC, Calibration
from parley.core.brains.search.markdown import Passage, split_markdown

if TYPE_CHECKING:  # the index (bm25s) and embeddings import numpy: loaded with the first index, not at start-up
    from parley.core.brains.search.index import Hit, LocaleIndex, Weights
    from parley.core.brains.search.semantic import Embedder

__all__ = ["Found", "Hit", "KnowledgeBase", "Passage", "split_markdown"]
TIE = 0.95
_LOCALE_DIR = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class Found:
    """The passage a question is answered from, how sure that is, and whether it came from the
    default language because the customer's has no translation of it."""

    hit: Hit
    confidence: float
    translated_from: str = ""  # the default locale when the passage is not in the customer's

    @property
    def passage(self) -> Passage:
        return self.hit.passage


def _index(
    engine: type[LocaleIndex] | None,
    group: list[Passage],
    code: str,
    weights: Weights | None,
    embedder: Embedder | None,
) -> LocaleIndex:
    from parley.core.brains.search.index import LocaleIndex, Weights
    from parley.core.brains.search.scope import reference

    # Only given when set, so an engine without embeddings (tantivy's) keeps its signature.
    extra = {"embedder": embedder, "offtopic": reference(code)} if embedder else {}
    return (engine or LocaleIndex)(group, analyzer(code), weights or Weights(), **extra)


def __getattr__(name: str) -> object:
    if name == "Hit":  # still importable from here, without loading the index module at start-up
        from parley.core.brains.search.index import Hit

        return Hit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Indexes(Mapping[str, "LocaleIndex"]):
    """Each language's index, built the first time that language is searched: start-up reads the
    files but builds no index (eight languages took most of a second of every start), and a
    language nobody writes in costs nothing. ``KnowledgeBase.warm`` builds the rest soon after."""

    def __init__(self, groups: dict[str, list[Passage]], build: Callable[[str, list[Passage]], LocaleIndex]) -> None:
        self._groups = groups
        self._build = build
        self._built: dict[str, LocaleIndex] = {}

    def __getitem__(self, code: str) -> LocaleIndex:
        index = self._built.get(code)
        if index is None:
            index = self._built[code] = self._build(code, self._groups[code])
        return index

    def __contains__(self, code: object) -> bool:
        return code in self._groups

    def __iter__(self) -> Iterator[str]:
        return iter(self._groups)

    def __len__(self) -> int:
        return len(self._groups)

    def passages(self, code: str) -> list[Passage]:
        """A language's passages, without building its index."""
        return self._groups.get(code, [])


class KnowledgeBase:
    def __init__(
        self,
        passages: list[Passage],
        default: str = "en",
        calibration: Calibration | None = None,  # the shipped fit for the index (with embeddings or not)
        weights: Weights | None = None,
        engine: type[LocaleIndex] | None = None,  # the benchmark compares tantivy through this
        embedder: Embedder | None = None,  # optional sentence embeddings (search/semantic.py)
    ) -> None:
        self.passages = passages
        self.default = default
        self.embedder = embedder
        self.calibration = calibration or (FITTED_SEMANTIC if embedder else FITTED)
        grouped: dict[str, list[Passage]] = {}
        for p in passages:
            grouped.setdefault(p.locale or default, []).append(p)
        self.indexes = Indexes(grouped, lambda code, group: _index(engine, group, code, weights, embedder))
        self._missing = self._untranslated()

    def replace(self, other: KnowledgeBase) -> None:
        """Swap in a freshly loaded knowledge base (hot reload): the brains holding this one see
        it on their next search, like the locale and persona catalogs."""
        self.passages, self.default, self.calibration = other.passages, other.default, other.calibration
        self.indexes, self._missing = other.indexes, other._missing

    @classmethod
    def load(
        cls,
        folder: Path,
        default: str = "en",
        engine: type[LocaleIndex] | None = None,
        embedder: Embedder | None = None,
    ) -> KnowledgeBase:
        if not folder.is_dir():
            raise FileNotFoundError(f"knowledge folder {folder} does not exist (PARLEY_KNOWLEDGE_DIR)")
        passages: list[Passage] = []
        for path in sorted(folder.rglob("*.md")):
            relative = path.relative_to(folder)
            top = relative.parts[0] if len(relative.parts) > 1 else ""
            locale = top if _LOCALE_DIR.match(top) else default
            name = relative.relative_to(top).as_posix() if locale == top else relative.as_posix()
            passages.extend(split_markdown(name, path.read_text(encoding="utf-8"), locale))
        return cls(passages, default, engine=engine, embedder=embedder)

    @property
    def locales(self) -> list[str]:
        return sorted(self.indexes)

    def locale_of(self, code: str) -> str:
        """The knowledge language for a pack code: "pt-BR" -> "pt-BR" (or "pt"), else the default."""
        if code in self.indexes:
            return code
        base = code.split("-")[0].lower()
        for known in self.indexes:
            if known.split("-")[0].lower() == base:
                return known
        return self.default

    def passages_in(self, locale: str) -> list[Passage]:
        return self.indexes.passages(self.locale_of(locale or self.default))

    def build(self) -> None:
        """Build every language's index now (a reload does, on its worker thread)."""
        for code in self.indexes:
            self.indexes.get(code)

    async def warm(self, pause: float = 0.05) -> None:
        """Build every language's index now, in the background: one language (tens of
        milliseconds), then a pause, so what arrives meanwhile (health checks, the first
        webhooks) is not held up behind the whole set. Started once the server listens: the
        first question in a language rarely pays for its index, and start-up never does."""
        for code in list(self.indexes):
            await asyncio.sleep(pause)
            self.indexes.get(code)

    def search(self, query: str, limit: int = 3, locale: str = "", foreign: bool = False) -> list[Hit]:
        index = self.indexes.get(self.locale_of(locale or self.default))
        return index.search(query, limit, foreign) if index else []

    def confidence(self, hit: Hit) -> float:
        return self.calibration.probability(hit)

    def find(self, query: str, locale: str, threshold: float) -> Found | None:
        """The best passage in the customer's language; failing a confident one there, the best in
        the default language among the passages their language lacks."""
        own = self.locale_of(locale)
        hits = self.search(query, 3, own)
        # Passages BM25 cannot tell apart (within 5%) are decided by the confidence model, which
        # also weighs how much of the question each covers ("how many days do I have to return
        # something": the return policy, not the how-to that shares "return something").
        close = [Found(h, self.confidence(h)) for h in hits if h.score >= TIE * hits[0].score]
        best = max(close, key=lambda f: f.confidence, default=None)
        if (best is None or best.confidence < threshold) and own != self.default:
            missing = self._missing.get(own, set())
            if missing:
                for hit in self.search(query, 3, self.default, foreign=True):
                    if hit.passage.source in missing:
                        found = Found(hit, self.confidence(hit), translated_from=self.default)
                        if found.confidence >= threshold:
                            return found
                        break
        return best

    def cited(self, sources: tuple[str, ...], locale: str) -> list[Passage]:
        """The passages an answer cites, in the customer's language where it has them."""
        own, found = self.locale_of(locale), {}
        for p in self.passages:
            if p.source in sources and (p.source not in found or p.locale == own):
                found[p.source] = p
        return [found[s] for s in sources if s in found]

    def understands(self, query: str, locale: str) -> bool:
        """Whether the question has a word the knowledge uses: a question to search, not just
        words around small talk ("hi there", "thanks a lot")."""
        index = self.indexes.get(self.locale_of(locale))
        return bool(index) and any(index.knows(t) for t in index.query_terms(query))

    def missing(self) -> dict[str, list[str]]:
        """Per locale, the ids of the default language's passages it has no translation of
        (``parley check`` reports them)."""
        return {code: sorted(ids) for code, ids in self._missing.items()}

    def _untranslated(self) -> dict[str, set[str]]:
        """Per locale, the ids of the default language's passages it has no translation of."""
        ids = {p.source for p in self.indexes.passages(self.default)}
        own = self.indexes.passages
        return {code: ids - {p.source for p in own(code)} for code in self.indexes if code != self.default}
