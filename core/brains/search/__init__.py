"""Retrieval over the knowledge base: per-language analysis, a field-weighted BM25 index (bm25s)
per locale, typo tolerance and a calibrated confidence. ``parley.core.brains.knowledge`` loads the
Markdown into it; the offline and LLM brains search it."""
