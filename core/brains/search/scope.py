"""What the knowledge is not about: a reference corpus of questions from other domains.

A question can share a word or two with the knowledge and still be about something else: "is
my bank open on sunday" shares "open" and "sunday" with the opening hours, "will it rain
tomorrow" shares "tomorrow" with delivery times. Parley ships, per language, questions people
ask assistants about other things (the weather, banking, travel, trivia, timers, recipes...;
``offtopic/`` beside this module, whose SOURCES.md says where they come from). With the optional
sentence embeddings (``semantic``), a question is compared in meaning with them as with the
passages, and how much closer it comes to one of them than to the passage is a feature of the
embeddings' confidence model (``Hit.offtopic``, ``calibration.FITTED_SEMANTIC``).

It never outweighs the knowledge owner: a question at least as close to one of a passage's
example questions as to any off-topic question gets no off-topic weight, so adding an example
question widens the scope. Without embeddings the corpus is not read: compared word by word it
cost in-scope answers for the out-of-scope ones it caught (docs/knowledge.md has the figures).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from parley.core.brains.search.analysis import base

FOLDER = Path(__file__).with_name("offtopic")


@lru_cache(maxsize=16)
def shipped(code: str) -> tuple[str, ...]:
    """One language's off-topic questions ("pt-BR" reads ``offtopic/pt``), or none: every line
    of its ``*.txt`` files but blank ones and ``#`` comments."""
    folder = FOLDER / base(code)
    lines: list[str] = []
    for path in sorted(folder.glob("*.txt")) if folder.is_dir() else ():
        lines += [s for s in (raw.strip() for raw in path.read_text(encoding="utf-8").splitlines()) if s]
    return tuple(s for s in lines if not s.startswith("#"))


def reference(code: str) -> tuple[str, ...]:
    """What a language's questions are compared with: its own off-topic questions and the
    English ones (the largest set; the embedding places a question near its meaning in any
    language)."""
    own = shipped(code)
    return own if base(code) == "en" else own + shipped("en")
