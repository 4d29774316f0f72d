"""The alternative the issue names: tantivy (its Python binding) as the ranking engine, fed the
same analysed terms, fields and weights as Parley's bm25s index, so the benchmark compares the
engines and nothing else. Each field is its own in-memory tantivy index (questions one document
each, a passage scoring its best); terms are joined by spaces and indexed with tantivy's
whitespace tokenizer, and a question is a boolean OR of term queries."""

from __future__ import annotations

import numpy as np
import tantivy
from parley.core.brains.search.analysis import Analyzer
from parley.core.brains.search.index import LocaleIndex, Weights
from parley.core.brains.search.markdown import Passage


class _Field:
    def __init__(self, docs: list[tuple[int, list[str]]]) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_integer_field("pid", stored=True, fast=True)
        builder.add_text_field("text", stored=False, tokenizer_name="terms")
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        self.index.register_tokenizer("terms", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
        writer = self.index.writer(heap_size=15_000_000, num_threads=1)
        for pid, terms in docs:
            writer.add_document(tantivy.Document(pid=pid, text=" ".join(terms)))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.searcher = self.index.searcher()
        self.size = len(docs)

    def best(self, terms: list[str], passages: int, limit: int = 50) -> np.ndarray:
        out = np.zeros(passages, dtype=np.float32)
        if not terms or not self.size:
            return out
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "text", t)) for t in terms]
        )
        for score, address in self.searcher.search(query, limit).hits:
            pid = self.searcher.doc(address)["pid"][0]
            out[pid] = max(out[pid], score)
        return out


class TantivyIndex(LocaleIndex):
    def __init__(self, passages: list[Passage], analyzer: Analyzer, weights: Weights = Weights()) -> None:
        super().__init__(passages, analyzer, weights)  # analysis, typo correction, features
        a = analyzer.terms
        self._t_names = _Field([(n, a(" ".join((p.title, *p.aliases)))) for n, p in enumerate(passages)])
        self._t_bodies = _Field([(n, a(p.title + "\n" + p.text)) for n, p in enumerate(passages)])
        self._t_questions = _Field([(n, a(q)) for n, p in enumerate(passages) for q in p.questions])

    def scores(self, terms: list[str], grams: list[str] = ()) -> np.ndarray:
        w, n = self.weights, len(self.passages)
        return (
            w.names * self._t_names.best(terms, n)
            + w.body * self._t_bodies.best(terms, n)
            + w.questions * self._t_questions.best(terms, n)
        )
