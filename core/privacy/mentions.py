"""What names a person in data that is not keyed by them: their ids, conversation ids, case
references, phone numbers and email addresses, matched as whole tokens.

Erasure finds the records keyed by a person directly (profile, conversations, outbox); the rest
(key/value entries such as ``consent:sms:+1555...``, dedupe ids, a lead card queued to the desk,
a follow-up's id) only *mention* them, so erasure looks for these needles in keys and values.
Whole tokens matter: erasing ``telegram:42`` must not touch ``telegram:421``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import ahocorasick

MIN_NEEDLE = 4  # a shorter needle ("42") would match unrelated records
# Characters that continue an id, a phone number or an address: a needle followed or preceded
# by one of them is part of a longer token, not a mention.
_INSIDE = r"[\w.@+-]"


@dataclass(frozen=True)
class Mentions:
    needles: tuple[str, ...]
    # Their name as given: matched in free text only (the knowledge-gap report's questions), as
    # the whole name, never word by word ("Will" alone would take every question with "will").
    names: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, needles: object, names: object = ()) -> Mentions:
        clean = sorted({str(n).strip() for n in needles if len(str(n).strip()) >= MIN_NEEDLE}, key=len, reverse=True)  # type: ignore[attr-defined]
        full = sorted({" ".join(str(n).split()) for n in names if len(str(n).strip()) >= MIN_NEEDLE})  # type: ignore[attr-defined]
        return cls(tuple(clean), tuple(full))

    @cached_property
    def pattern(self) -> re.Pattern[str] | None:
        if not self.needles:
            return None
        alternatives = "|".join(re.escape(n) for n in self.needles)
        return re.compile(f"(?<!{_INSIDE})(?:{alternatives})(?!{_INSIDE})", re.IGNORECASE)

    @cached_property
    def _names(self) -> re.Pattern[str] | None:
        if not self.names:
            return None
        names = "|".join(r"\s+".join(re.escape(w) for w in n.split()) for n in self.names)
        return re.compile(rf"(?<!\w)(?:{names})(?!\w)", re.IGNORECASE)

    def found(self, text: str | bytes | None) -> bool:
        """True when ``text`` mentions one of the needles as a whole token."""
        if text is None or self.pattern is None:
            return False
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        # One Aho-Corasick pass first (every anchor at once, in C): most records mention none
        # of the needles, and the token-boundary regex only runs on those that might.
        if next(self._automaton.iter(text.casefold()), None) is None:
            return False
        return self.pattern.search(text) is not None

    @cached_property
    def _automaton(self) -> ahocorasick.Automaton:
        automaton = ahocorasick.Automaton()
        for anchor in self.anchors:
            automaton.add_word(anchor, anchor)
        automaton.make_automaton()
        return automaton

    @cached_property
    def anchors(self) -> tuple[str, ...]:
        """The fewest lower-cased substrings one of which every mention contains: a needle that
        contains another (a conversation id holds the phone number) needs no test of its own."""
        folded = sorted({n.casefold() for n in self.needles}, key=len)
        kept: list[str] = []
        for needle in folded:
            if not any(k in needle for k in kept):
                kept.append(needle)
        return tuple(kept)

    def in_text(self, text: str) -> bool:
        """Free text (a question someone asked): the needles, or a word of their name."""
        return self.found(text) or (self._names is not None and self._names.search(text) is not None)
