"""Phrase matching against the locale packs' intents, and the small pieces every brain shares:
the person button, the question without personal data, a passage's excerpt."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from parley.core.i18n.language import without_marks
from parley.core.i18n.locales import LocalePack
from parley.core.kernel.messages import Button
from parley.core.privacy.pii import redact

_SENTENCES = re.compile(r"(?<=[.!?。！？])\s+")
_PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")


def searchable(text: str) -> str:
    """The question without the customer's email, phone, card or IBAN: the knowledge never
    contains them, so they only diluted the match ("my email is ..., how do I return this?"
    fell below the confidence threshold)."""
    return _PLACEHOLDER.sub(" ", redact(text))


# Phones type the typographic apostrophe ("someone else’s"): it matches the packs' straight one.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _bare(text: str) -> str:
    return without_marks(unicodedata.normalize("NFC", text)).translate(_APOSTROPHES)


@functools.lru_cache(maxsize=4096)
def _pattern(phrase: str) -> tuple[str, bool]:
    """A phrase normalised once (the packs' phrases are few and fixed; every turn checks them)."""
    p = _bare(phrase).lower().strip()
    return p, any("\u3040" <= ch <= "\u9fff" for ch in p)


@functools.lru_cache(maxsize=256)
def _prepared(text: str) -> tuple[str, str]:
    """The text as phrases are matched against: bare, and lower-cased with words padded. Cached:
    one message is checked against several intents."""
    bare = _bare(text)
    return bare, " " + re.sub(r"[^\w\s']", " ", bare.lower()) + " "


@functools.lru_cache(maxsize=512)
def _needles(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A pack's phrase list as what ``has_phrase`` looks for: whole words padded with spaces,
    and CJK substrings. Built once per list (``LocalePack.phrases`` hands out the same tuples)."""
    words, cjk = [], []
    for phrase in phrases:
        p, is_cjk = _pattern(phrase)
        if p:
            (cjk if is_cjk else words).append(p if is_cjk else f" {p} ")
    return tuple(words), tuple(cjk)


def has_phrase(text: str, phrases: Iterable[str]) -> bool:
    text, low = _prepared(text)
    # Scripts without spaces (ja, zh) match as substrings; others as whole words.
    words, cjk = _needles(phrases if isinstance(phrases, tuple) else tuple(phrases))
    return any(w in low for w in words) or any(c in text for c in cjk)


def intent_of(text: str, pack: LocalePack) -> str | None:
    # "are you human?" asks about the bot: check it before "human" (a request for a person).
    if has_phrase(text, pack.phrases("bot")):
        return "bot"
    if has_phrase(text, pack.phrases("human")):
        return "human"
    for intent in ("thanks", "greeting", "goodbye"):
        if has_phrase(text, pack.phrases(intent)):
            return intent
    return None


def human_button(pack: LocalePack) -> Button:
    return Button(title=pack.t("human_button"), payload="/human")


# A line holding only a ``geo:LAT,LON`` URI marks a passage as a place (parley.core.brains.shared):
# data for the nearest-place answer, never shown in an answer's text.
GEO_LINE = re.compile(r"^[ \t]*geo:(-?\d{1,2}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)[ \t]*$", re.M)


@functools.lru_cache(maxsize=1024)
def excerpt(text: str, limit: int = 600) -> str:
    """A passage's answer text, whole sentences up to ``limit``: the same passage is quoted
    again and again, so each passage's is cut once (bounded: a knowledge base has that many)."""
    out = ""
    for sentence in _SENTENCES.split(GEO_LINE.sub("", text).strip()):
        if out and len(out) + len(sentence) > limit:
            break
        out = f"{out} {sentence}".strip()
    return out[:limit]
