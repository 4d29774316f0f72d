"""Small talk set aside: "Hi! How do I return a jacket?" is a question with a greeting around it.

Greetings, thanks and goodbyes (each pack's ``intents``) are peeled off the start and the end of
a message, repeatedly ("Hi, good morning! ..."); what is left is the question. Only a message that
is nothing but small talk gets a small-talk answer (parley.core.brains.retrieval decides).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from parley.core.brains.search.analysis import is_cjk
from parley.core.i18n.language import without_marks
from parley.core.i18n.locales import LocalePack

KINDS = ("greeting", "thanks", "goodbye")
_PUNCT = re.compile(r"[^\w\s'’-]+")


@dataclass(frozen=True)
class Parts:
    small_talk: str | None  # "greeting", "thanks", "goodbye": the first one set aside
    rest: str  # the message without it


def _plain(text: str) -> str:
    text = without_marks(unicodedata.normalize("NFKC", text)).lower().replace("’", "'")
    return " ".join(_PUNCT.sub(" ", text).split())


def _phrases(pack: LocalePack) -> tuple[tuple[str, str, bool], ...]:
    return _prepared(tuple(pack.phrases(kind) for kind in KINDS))


@lru_cache(maxsize=64)
def _prepared(by_kind: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, str, bool], ...]:
    """(phrase, kind, cjk), normalised once per pack: every message is checked against them
    (normalising them per message cost more than the rest of the turn's small-talk work).
    Keyed by the phrases themselves, so a reloaded pack gets its own entry."""
    found = {(_plain(p), kind) for kind, phrases in zip(KINDS, by_kind, strict=True) for p in phrases if _plain(p)}
    ordered = sorted(found, key=lambda item: -len(item[0]))  # "good morning" before "good"
    return tuple((phrase, kind, is_cjk(phrase)) for phrase, kind in ordered)


def _strip(text: str, phrase: str, cjk: bool, at_start: bool) -> str | None:
    if at_start and text.startswith(phrase):
        rest = text[len(phrase) :]
        if cjk or not rest or rest[0] == " ":
            return rest.strip()
    if not at_start and text.endswith(phrase):
        rest = text[: -len(phrase)]
        if cjk or not rest or rest[-1] == " ":
            return rest.strip()
    return None


def set_aside(text: str, pack: LocalePack) -> Parts:
    rest = _plain(text)
    first: str | None = None
    phrases = _phrases(pack)
    changed = True
    while changed and rest:
        changed = False
        for at_start in (True, False):
            for phrase, kind, cjk in phrases:
                stripped = _strip(rest, phrase, cjk, at_start)
                if stripped is not None:
                    rest, changed = stripped, True
                    first = first or kind
                    break
    return Parts(first, rest if first else text)
