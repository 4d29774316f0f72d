"""Short messages by their words: "Hola, buenas tardes", "Hallo, guten Tag", "Olá, boa tarde".

Statistical detection needs more text than a first message often has, so each pack's own words
vote: the words of its greetings, thanks and goodbyes and its ``intents.words`` (a few dozen
everyday words: "necesito", "pedido", "bitte"), three letters or more. A word two languages share ("ok", "hallo" in
German and Dutch-speaking packs, "no") votes for nobody. Diacritics are ignored: people type
"ola" and "cuanto" on phone keyboards.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from parley.core.i18n.locales import LocaleCatalog

SOURCES = ("greeting", "thanks", "goodbye", "words")


def plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Vote:
    code: str
    hits: int  # distinctive words of that language in the message
    others: int  # distinctive words of any other language


class WordVote:
    def __init__(self, catalog: LocaleCatalog) -> None:
        owners: dict[str, set[str]] = {}
        for code, (pack, _) in catalog.files.items():
            for intent in SOURCES:
                for phrase in pack.intents.get(intent, []):
                    for word in plain(phrase).replace("'", " ").split():
                        if len(word) < 3:
                            continue  # "a", "o", "la", "de": articles several languages share
                        owners.setdefault(word, set()).add(code.split("-")[0])
        bases = {code.split("-")[0]: code for code in sorted(catalog.files, key=len)}
        self._word = {w: bases[next(iter(c))] for w, c in owners.items() if len(c) == 1}

    def vote(self, norm: str) -> Vote | None:
        """``norm`` is the normalised message (parley.core.i18n.language.normalize)."""
        counts = Counter(self._word[w] for w in plain(norm).replace("'", " ").split() if w in self._word)
        if not counts:
            return None
        (code, hits), *rest = counts.most_common()
        others = sum(n for _, n in rest)
        return Vote(code, hits, others) if hits > others else None
