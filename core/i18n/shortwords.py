"""Short messages by their words: "Hola, buenas tardes", "Hallo, guten Tag", "Olá, boa tarde".

Statistical detection needs more text than a first message often has, so words vote: each
pack's greetings, thanks and goodbyes and its ``intents.words`` (a few dozen everyday words:
"necesito", "pedido", "bitte"), and the language's most frequent words, which are exactly what
short messages are made of (the stop-word lists bm25s ships for English, Spanish, French,
German and Portuguese). Words of three letters or more; a word two languages share ("pedido",
"mais", "come") votes for nobody. Diacritics are ignored: people type "ola" and "cuanto" on
phone keyboards.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from parley.core.i18n.locales import LocaleCatalog

SOURCES = ("greeting", "thanks", "goodbye", "words", "human", "bot", "complaint", "frustration")


def frequent(base: str) -> tuple[str, ...]:
    """A language's most frequent words (bm25s's lists), imported with the first vote, not at
    start-up: bm25s imports numpy, a fifth of a second of every start."""
    from bm25s import stopwords

    lists = {
        "en": stopwords.STOPWORDS_EN_PLUS,
        "es": stopwords.STOPWORDS_SPANISH,
        "fr": stopwords.STOPWORDS_FRENCH,
        "de": stopwords.STOPWORDS_GERMAN,
        "pt": stopwords.STOPWORDS_PORTUGUESE,
    }
    return tuple(lists.get(base, ()))


def plain(text: str) -> str:
    if text.isascii():  # nothing to decompose (most words): skip the per-character pass
        return text.lower()
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Vote:
    code: str
    hits: int  # distinctive words of that language in the message
    others: int  # distinctive words of any other language


class WordVote:
    def __init__(self, catalog: LocaleCatalog) -> None:
        exact: dict[str, set[str]] = {}
        for code, (pack, _) in catalog.files.items():
            base = code.split("-")[0]
            phrases = [p for intent in SOURCES for p in pack.intents.get(intent, [])]
            for phrase in [*phrases, *frequent(base)]:
                for word in phrase.lower().replace("'", " ").split():
                    if len(word) >= 3:  # "a", "o", "la", "de": several languages share them
                        exact.setdefault(word, set()).add(base)
        folded: dict[str, set[str]] = {}
        for word, owners in exact.items():
            folded.setdefault(plain(word), set()).update(owners)
        bases = {code.split("-")[0]: code for code in sorted(catalog.files, key=len)}
        # Exact spelling first ("está" and "esta", "cómo" and "como" tell Spanish from
        # Portuguese), then without diacritics for those who type without them.
        self._exact = {w: bases[next(iter(c))] for w, c in exact.items() if len(c) == 1}
        self._shared = {w for w, c in exact.items() if len(c) > 1}
        self._folded = {w: bases[next(iter(c))] for w, c in folded.items() if len(c) == 1}

    def _owner(self, word: str) -> str | None:
        if word in self._exact:
            return self._exact[word]
        if word in self._shared:
            return None
        return self._folded.get(plain(word))

    def vote(self, norm: str) -> Vote | None:
        """``norm`` is the normalised message (parley.core.i18n.language.normalize)."""
        counts: dict[str, int] = {}  # a plain dict: this runs on every message
        for word in norm.replace("'", " ").split():
            owner = self._owner(word)
            if owner:
                counts[owner] = counts.get(owner, 0) + 1
        if not counts:
            return None
        code = max(counts, key=counts.__getitem__)  # the first one seen among equals
        hits = counts[code]
        others = sum(counts.values()) - hits
        return Vote(code, hits, others) if hits > others and (hits >= 2 or not others) else None
