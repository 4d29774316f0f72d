"""One field's BM25 index: bm25s computes every (term, passage) score once, at build; a search
adds up its terms' scores here.

bm25s's own ``get_scores`` was most of a search's cost on a shop-sized knowledge: per call it
maps the terms to ids, builds and checks arrays, and adds each term's column with ``np.add.at``,
a slow path meant for repeated indices. Here a small field (at most ``DENSE`` cells) keeps a
dense row per term, and a search adds its terms' rows; a large one adds each term's sparse
column with a plain indexed add (a column names a passage once). Both do bm25s's float32
additions in bm25s's order, from zero, so the scores are bit for bit its own
(tests/unit/test_search_postings.py).
"""

from __future__ import annotations

import bm25s
import numpy as np

DENSE = 1 << 20  # terms x passages up to which a field is kept dense (4 MB of float32)


class Field:
    def __init__(self, docs: list[list[str]], dense: int = DENSE) -> None:
        index = bm25s.BM25()
        index.index(docs, show_progress=False)
        matrix = index.scores
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        self.size = int(matrix["num_docs"])
        self.dtype = np.dtype(index.dtype)
        columns = len(indptr) - 1  # bm25s may name an empty token past the last column
        self._ids = {term: i for term, i in index.vocab_dict.items() if i < columns}
        self._rows: list[np.ndarray] = []
        self._columns: list[tuple[np.ndarray, np.ndarray]] = []
        if columns * self.size <= dense:
            rows = np.zeros((columns, self.size), dtype=self.dtype)
            rows[np.repeat(np.arange(columns), np.diff(indptr)), indices] = data
            self._rows = list(rows)
        else:
            self._columns = [
                (indices[indptr[i] : indptr[i + 1]], data[indptr[i] : indptr[i + 1]]) for i in range(columns)
            ]

    def __contains__(self, term: str) -> bool:
        return term in self._ids

    def scores(self, terms: list[str]) -> np.ndarray | None:
        """Each passage's BM25 score for ``terms`` (a repeated term counts again, as in bm25s);
        None when the field has none of them."""
        ids = [i for i in map(self._ids.get, terms) if i is not None]
        if not ids:
            return None
        # One term after another from zero, as bm25s adds them (numpy's own sum down rows
        # groups the additions otherwise, which moves the last bit of some scores).
        total = np.zeros(self.size, dtype=self.dtype)
        if self._rows:
            for i in ids:
                total += self._rows[i]
        else:
            for i in ids:
                passages, values = self._columns[i]
                total[passages] += values
        return total


def build(docs: list[list[str]]) -> Field | None:
    """None for a field no passage uses (bm25s cannot index nothing)."""
    return Field(docs) if any(docs) else None
