"""SMS length: GSM-7 vs UCS-2 segment counting, and fitting a reply into a segment budget.

A single SMS carries 160 GSM-7 septets or 70 UCS-2 code units; a concatenated one spends a
6-byte header per part, leaving 153 septets or 67 units per segment (3GPP TS 23.040). One
character outside the GSM-7 alphabet (a curly quote from an LLM, an emoji) switches the whole
message to UCS-2 and more than halves its room, so typographic punctuation is folded to its
GSM-7 twin first, the way Twilio's "Smart Encoding" does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# 3GPP TS 23.038 default alphabet, and the extension table (each costs an escape septet too).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

SMART_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u200b": "",
        "\u2022": "-",
    }
)
ELLIPSIS = "..."  # three GSM-7 dots, not U+2026 (which would force UCS-2)
_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int


def fold(text: str) -> str:
    """Replace typographic punctuation with GSM-7 equivalents (keeps a message in GSM-7)."""
    return text.translate(SMART_FOLD)


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text)


def units(text: str, gsm7: bool) -> int:
    if gsm7:
        return sum(2 if c in GSM7_EXTENDED else 1 for c in text)
    # UCS-2 on the wire is UTF-16: characters outside the BMP (most emoji) take two units.
    return len(text.encode("utf-16-le")) // 2


def capacity(segments: int, gsm7: bool) -> int:
    """Units that fit in ``segments`` segments."""
    single, part = (160, 153) if gsm7 else (70, 67)
    return single if segments == 1 else part * segments


def count(text: str) -> Segments:
    gsm7 = is_gsm7(text)
    used = units(text, gsm7)
    single, part = (160, 153) if gsm7 else (70, 67)
    n = 1 if used <= single else -(-used // part)
    return Segments("GSM-7" if gsm7 else "UCS-2", used, n)


def fit(text: str, tail: str, max_segments: int) -> str:
    """``text`` then ``tail`` (numbered choices) within ``max_segments``.

    The tail is kept whole when it fits on its own: an answer without its choices cannot be
    answered by number. The text is shortened at a sentence end or a word break, with "...".
    """
    text, tail = fold(text).strip(), fold(tail).strip()
    joiner = "\n\n" if text and tail else ""
    whole = text + joiner + tail
    if count(whole).count <= max_segments:
        return whole
    gsm7 = is_gsm7(whole)
    room = capacity(max_segments, gsm7)
    suffix = ELLIPSIS + ("\n\n" + tail if tail else "")
    budget = room - units(suffix, gsm7)
    if budget <= 0:  # the choices alone overflow: hard cut of everything
        return _cut(whole, room - units(ELLIPSIS, gsm7), gsm7) + ELLIPSIS
    head = _cut(text, budget, gsm7)
    return head + suffix


def _cut(text: str, budget: int, gsm7: bool) -> str:
    """The longest prefix within ``budget`` units, backed off to a sentence end or word break
    when one lies in its last two thirds."""
    used = 0
    end = 0
    for i, char in enumerate(text):
        used += units(char, gsm7)
        if used > budget:
            break
        end = i + 1
    prefix = text[:end]
    if end == len(text):
        return prefix
    sentence = max((m.start() for m in _BREAK.finditer(prefix)), default=0)
    if sentence > end // 3:
        return prefix[:sentence].rstrip().rstrip(".")  # "end." + "..." would read as four dots
    space = prefix.rfind(" ")
    if space > end // 3:
        return prefix[:space].rstrip(" ,;:-")
    return prefix
