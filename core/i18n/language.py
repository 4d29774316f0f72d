"""Which language a person speaks: explicit requests, offline detection, platform hints.

Order (parley.core.kernel.middleware.locale applies it): an explicit choice ("/language es", "¿hablas
español?", phrases from each pack's ``intents.language``) over the language detected from the
text, over the platform's hint (Telegram ``language_code``, Slack locale, browser language, phone
country code), over the default.

Detection is offline and cheap. Short messages are where statistical models fail ("hola" scores
as Zulu, "merci" as Polish), so three steps, cheapest first:
1. script: kana is Japanese, Han without kana is Chinese, Arabic letters are Arabic;
2. a whole message that is a greeting/thanks/goodbye phrase of exactly one pack ("merci");
3. up to five words, the packs' own words vote (parley.core.i18n.shortwords);
4. py3langid over the shipped languages plus a few look-alikes (so Italian is not taken for
   Spanish), trusted only on a few words and a high probability.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.shortwords import WordVote

if TYPE_CHECKING:  # the model and numpy load with the first detection, not at start-up
    from py3langid.langid import LanguageIdentifier

# Latin-script languages we do not ship but that look like ones we do: detecting them keeps
# an Italian or Catalan message from being forced into Spanish or Portuguese.
LOOKALIKES = ("it", "nl", "ca", "gl", "ro", "pl", "sv", "da", "no", "tr", "id", "cs")
SHORT_INTENTS = ("greeting", "thanks", "goodbye")
MIN_WORDS = 3  # below this, langid is a coin toss; see the module docstring
MIN_PROBABILITY = 0.85
SHORT_WORDS = 5  # up to this many words, the packs' own words vote before the model
# A request is mostly the phrase: "Hi, can we speak Spanish please?" is one; "do you have the
# manual in English?" is a question about a manual. Words around it (chars for ja/zh) allowed:
EXTRA_WORDS, EXTRA_CJK_CHARS = 4, 8
_PUNCT = re.compile(r"[^\w\s'’]+")
_PHONE = re.compile(r"^(?:whatsapp:)?\+(\d{1,15})$")
_COMMAND = re.compile(r"^/(?:language|lang|idioma|langue|sprache|lingua|言語|语言|لغة)(?:@\w+)?(?:\s+(\S+))?\s*$", re.I)


def without_marks(text: str) -> str:
    """Arabic short vowels and tanween are combining marks: "شكرًا" and "شكرا" are one word."""
    if text.isascii():  # no combining marks: skip the per-character lookup (most messages)
        return text
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


@lru_cache(maxsize=256)
def normalize(text: str) -> str:
    """Cached: one message is normalised by several steps of the same turn."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = without_marks(text)
    return " ".join(_PUNCT.sub(" ", text).split())


def word_count(text: str) -> int:
    return len(text.split())


def script_language(text: str) -> str | None:
    """Languages a script gives away, even in one word (ありがとう, 谢谢, شكرا)."""
    if text.isascii():
        return None
    kana = han = arabic = letters = 0
    for ch in text:
        o = ord(ch)
        if 0x3040 <= o <= 0x30FF:
            kana += 1
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF:
            han += 1
        elif 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F:
            if ch in "پچژگکی":  # Persian/Urdu letters: not Arabic, do not guess
                return None
            arabic += 1
        elif ch.isalpha():
            letters += 1
    if kana:
        return "ja"
    if han and han >= letters:
        return "zh"
    if arabic and arabic >= letters:
        return "ar"
    return None


@dataclass(frozen=True)
class Detection:
    code: str  # a shipped pack code
    how: str  # "script", "phrase", "words" or "model"
    # Strong enough to move a conversation already settled in another language: "ok merci" in
    # an English conversation is not (one word of French), "Hola, buenas tardes" is.
    strong: bool = True


class LanguageDetector:
    """Maps text to a shipped pack code, or None when not sure. Tables follow catalog reloads."""

    def __init__(self, catalog: LocaleCatalog) -> None:
        self.catalog = catalog
        self._identifier: LanguageIdentifier | None = None
        self._version = -1
        self._short: dict[str, str] = {}
        self._switch: list[tuple[str, str, bool]] = []
        self._scan: list[tuple[str, str, bool, int]] = []
        self._switch_exact: dict[str, str] = {}
        self._bases: dict[str, str] = {}
        self._votes: WordVote | None = None

    def _refresh(self) -> None:
        if self._version == self.catalog.version:
            return
        claims: dict[str, set[str]] = {}
        switch: list[tuple[str, str, bool]] = []
        for code, (pack, _) in self.catalog.files.items():
            for intent in SHORT_INTENTS:
                for phrase in pack.intents.get(intent, []):
                    claims.setdefault(normalize(phrase), set()).add(code)
            for phrase in pack.intents.get("language", []):
                norm = normalize(phrase)
                switch.append((norm, code, script_language(norm) in ("ja", "zh")))
        # A phrase two packs share ("ok", "hallo") tells us nothing.
        self._short = {p: next(iter(c)) for p, c in claims.items() if len(c) == 1 and p}
        self._switch = sorted(switch, key=lambda item: -len(item[0]))  # longest phrase first
        self._switch_exact = {phrase: code for phrase, code, _ in reversed(self._switch)}
        # Prepared once per catalog version: this runs on every message.
        self._scan = [
            (p if cjk else f" {p} ", code, cjk, word_count(p)) for p, code, cjk in self._switch if cjk or " " in p
        ]
        self._bases = {}
        for code in sorted(self.catalog.files, key=len):  # "pt" before "pt-BR" if both ship
            self._bases.setdefault(code.split("-")[0].lower(), code)
        self._identifier = identifier_for(frozenset({*self._bases, *LOOKALIKES}))
        self._votes = WordVote(self.catalog)
        self._version = self.catalog.version

    def requested(self, text: str) -> str | None:
        """An explicit request for a language: '/language es', 'can we speak Spanish?'."""
        self._refresh()
        stripped = text.strip()
        command = _COMMAND.match(stripped)
        if command:
            wanted = command.group(1) or ""
            return self.catalog.match(wanted) or self._by_phrase(normalize(wanted), whole=True) or ""
        norm = normalize(stripped)
        return self._by_phrase(norm, whole=False) if norm else None

    def _by_phrase(self, norm: str, whole: bool) -> str | None:
        if norm in self._switch_exact:
            return self._switch_exact[norm]
        if whole:
            return None
        padded, compact, words = f" {norm} ", norm.replace(" ", ""), word_count(norm)
        for phrase, code, cjk, count in self._scan:
            # Scripts without spaces (ja, zh) match as substrings. Elsewhere a bare language
            # name counts only alone ("Español"), not inside a question ("do you have english
            # sizes?"); longer phrases ("can we speak english") with a few words around them.
            if cjk:
                if phrase in compact and len(compact) <= len(phrase) + EXTRA_CJK_CHARS:
                    return code
            elif words <= count + EXTRA_WORDS and phrase in padded:
                return code
        return None

    def detect(self, text: str) -> Detection | None:
        self._refresh()
        if text.lstrip().startswith("/"):
            return None  # a command ("/order 12345") is in no language
        norm = normalize(text)
        if not norm:
            return None
        by_script = script_language(norm)
        if by_script:
            code = self._bases.get(by_script)
            return Detection(code, "script") if code else None
        words = word_count(norm)
        if norm in self._short:
            return Detection(self._short[norm], "phrase", strong=False)
        assert self._votes is not None and self._identifier is not None  # set by _refresh
        vote = self._votes.vote(norm)
        voted = Detection(vote.code, "words", strong=vote.hits >= 2 * max(1, vote.others)) if vote else None
        if voted is not None and words <= SHORT_WORDS:
            return voted
        if words < MIN_WORDS - 1:
            return None
        lang, probability = self._identifier.classify(norm)
        # Two words need near certainty ("buenos días"); three or more a clear majority.
        code = self._bases.get(lang)
        sure = probability >= (MIN_PROBABILITY if words >= MIN_WORDS else 0.97)
        if sure:  # a language we do not ship (Italian) stays undetected, not forced into ours
            return Detection(code, "model") if code else None
        # A longer message the model is unsure of: two words or more of one pack still tell.
        return voted if voted is not None and voted.strong else None

    def from_phone(self, number: str) -> str | None:
        """+34... -> es, +81... -> ja, +55... -> pt-BR (longest prefix wins: +1 vs +1868)."""
        match = _PHONE.match(number.replace(" ", ""))
        if not match:
            return None
        digits = match.group(1)
        best, best_len = None, 0
        for code, (pack, _) in self.catalog.files.items():
            for prefix in pack.phone_prefixes:
                p = prefix.lstrip("+")
                if digits.startswith(p) and len(p) > best_len:
                    best, best_len = code, len(p)
        return best


_IDENTIFIERS: dict[frozenset[str], LanguageIdentifier] = {}


def identifier_for(languages: frozenset[str]) -> LanguageIdentifier:
    """The model takes ~0.6 s to load, so one per process per language set (``set_languages``
    mutates it, hence not one for everybody)."""
    if languages not in _IDENTIFIERS:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages(sorted(languages & set(identifier.nb_classes)))
        _IDENTIFIERS[languages] = identifier
    return _IDENTIFIERS[languages]
