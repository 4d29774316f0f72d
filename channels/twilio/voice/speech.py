"""Replies written for the ear: what a chat shows but a phone cannot say.

A chat answer has markdown, links, citations like ``[1]``, emoji and buttons; a caller hears
none of them well. ``spoken`` turns a reply into plain sentences in the caller's language:
markdown through markdown-it-py's parser (link text kept, addresses dropped), emoji through the
``emoji`` package, buttons as "For shipping, press 1", and prices, dates, times and numbers in
the forms the language's text-to-speech reads naturally, through Babel (CLDR): "12,50 euros",
"4 de marzo de 2026", "2:30 PM". Babel has no spelled-out numbers (no RBNF) and num2words is not
a dependency we ship, so digits stay digits in the local format, which every Twilio voice reads
as words. ``Cleaner`` does the same to a stream of LLM tokens, word by word.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import emoji
from babel import numbers as babel_numbers
from markdown_it import MarkdownIt
from parley.core.i18n.formatting import babel_locale, format_date, format_time
from parley.core.i18n.locales import LocalePack
from parley.core.kernel.messages import Button

MAX_CHOICES = 9  # one key each on the phone's pad
_MD = MarkdownIt("commonmark")
_MARKDOWN = re.compile(r"[*_`#>\[\]|~<&\\]|^\s*(?:[-+]|\d+[.)])\s|^\s{4}", re.M)  # anything markdown could mean
_CITATION = re.compile(r"\s?\[\^?\d+(?:[,\s]+\d+)*\]")
_URL = re.compile(r"\(?\b(?:https?://|www\.)\S+|\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_LEFTOVER = re.compile(r"[*_`>|~]+|#(?!\s?\d)|\[\s*\]|\(\s*\)")
_LOOSE_MARK = re.compile(r"\s+([.,;:!?])")
_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b(?!\s?[ap]\.?m)", re.IGNORECASE)
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "R$": "BRL"}
_MONEY = re.compile(
    r"(?P<pre>R\$|[$€£¥]|\b(?:USD|EUR|GBP|JPY|BRL|CNY|MXN|AED|SAR)\b)\s?(?P<a>\d[\d,.]*\d|\d)"
    r"|(?P<b>\d[\d,.]*\d|\d)\s?(?P<post>[€$]|\b(?:USD|EUR|GBP|JPY|BRL|CNY|MXN|AED|SAR)\b)"
)
_REFERENCE = re.compile(r"#\s?(\d{3,})\b")  # an order number: read digit by digit
_PERCENT = re.compile(r"\b(\d+(?:\.\d+)?)\s?%")
_DECIMAL = re.compile(r"\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|\b\d+\.\d+\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
_SPACES = re.compile(r"[ \t]+")
_CLOSED = re.compile(r"\[[^\]]*\](?:\([^)]*\)|[^(])")  # a finished link or citation
_DIGIT = re.compile(r"\d")  # every form ``localise`` rewrites has one


def spoken(text: str, pack: LocalePack, buttons: tuple[Button, ...] = (), max_words: int = 60) -> str:
    """The reply as the caller should hear it: plain, short, numbers localised, choices spoken."""
    said = shorten(speakable(text, pack), max_words, pack)
    return " ".join(part for part in (said, choices(buttons, pack)) if part)


def speakable(text: str, pack: LocalePack, sentences: bool = True) -> str:
    words = plain(text, sentences)
    words = localise(words, pack)
    return " ".join(line.strip() for line in words.splitlines() if line.strip())


def plain(text: str, sentences: bool = True) -> str:
    """Markdown to the words it shows: link text without its address, list items and headings
    as lines, code as its text; then citations, bare addresses, emoji and stray marks removed."""
    if not text.isascii():  # every emoji has a character outside ASCII
        text = emoji.replace_emoji(text, replace="")
    if _MARKDOWN.search(text):
        lines: list[str] = []
        for token in _MD.parse(text):
            if token.type == "inline" and token.children is not None:
                lines.append("".join(_inline(child) for child in token.children))
            elif token.type in ("fence", "code_block"):
                lines.append(token.content.strip())
    else:  # most streamed words: nothing for the parser to do (it costs ~0.4 ms a call)
        lines = text.splitlines()
    out = "\n".join(_end_sentence(line) if sentences else line for line in lines if line.strip())
    out = _URL.sub("", _CITATION.sub("", out))
    return _LOOSE_MARK.sub(r"\1", _SPACES.sub(" ", _LEFTOVER.sub("", out))).strip()


def _inline(token) -> str:
    if token.type in ("text", "code_inline"):
        return token.content
    if token.type in ("softbreak", "hardbreak"):
        return " "
    if token.type == "image":
        return token.content  # its alt text
    return ""  # link_open / strong_open ...: the marks themselves are not said


def _end_sentence(line: str) -> str:
    """A list item or heading said as a sentence of its own (a pause, not a run-on)."""
    line = line.strip()
    return line if not line or line[-1] in ".!?:;。！？：；," else line + "."


def localise(text: str, pack: LocalePack) -> str:
    """Prices, dates, times, percentages and numbers in the pack's language (Babel/CLDR)."""
    if not _DIGIT.search(text):
        return text  # no amount, date, time or number to say
    locale = babel_locale(pack.babel)

    def money(match: re.Match[str]) -> str:
        mark = match.group("pre") or match.group("post")
        amount = _decimal(match.group("a") or match.group("b"))
        if amount is None:
            return match.group(0)
        currency = _SYMBOLS.get(mark, mark) if mark != "$" else ("USD" if pack.currency != "MXN" else "MXN")
        return babel_numbers.format_currency(amount, currency, locale=locale, format_type="name")

    def iso_date(match: re.Match[str]) -> str:
        try:
            return format_date(pack, date(int(match[1]), int(match[2]), int(match[3])), "long")
        except ValueError:
            return match.group(0)

    def clock(match: re.Match[str]) -> str:
        return format_time(pack, time(int(match[1]), int(match[2])), "short")

    def number(match: re.Match[str]) -> str:
        value = _decimal(match.group(0))
        return babel_numbers.format_decimal(value, locale=locale) if value is not None else match.group(0)

    text = _MONEY.sub(money, text)
    text = _DATE.sub(iso_date, text)
    text = _TIME.sub(clock, text)
    text = _PERCENT.sub(lambda m: babel_numbers.format_percent(Decimal(m[1]) / 100, locale=locale), text)
    text = _REFERENCE.sub(lambda m: " ".join(m[1]), text)
    return _DECIMAL.sub(number, text) if "." not in _decimal_mark(pack.babel) else text


@lru_cache(maxsize=64)
def _decimal_mark(code: str) -> str:
    return babel_locale(code).number_symbols["latn"]["decimal"]


def _decimal(raw: str) -> Decimal | None:
    """An amount as written in English-style source text ("1,234.50", "12.5")."""
    try:
        return Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None


def shorten(text: str, max_words: int, pack: LocalePack) -> str:
    """Whole sentences up to about ``max_words`` (CJK: two characters a word), then a line that
    says there is more; a single long sentence is kept whole rather than cut mid-thought."""
    kept: list[str] = []
    used = 0
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    for sentence in sentences:
        size = _words(sentence)
        if kept and used + size > max_words:
            return " ".join([*kept, pack.spoken("shortened")])
        kept.append(sentence.strip())
        used += size
    return " ".join(kept)


def _words(sentence: str) -> int:
    spaced = len(sentence.split())
    return spaced if spaced > 1 or len(sentence) < 8 else max(1, len(sentence) // 2)


def choices(buttons: tuple[Button, ...], pack: LocalePack) -> str:
    """Buttons as spoken choices: "For shipping, press 1. For returns, press 2." (the digit
    comes back as DTMF, or said, and maps to the button: parley.core.kernel.render.choice)."""
    return " ".join(
        pack.spoken("choice", title=plain(b.title, sentences=False), digit=n)
        for n, b in enumerate(buttons[:MAX_CHOICES], 1)
    )


class Cleaner:
    """``spoken``'s cleaning for a token stream: text goes out up to the last finished word, and
    a link or citation is held until it closes, so "[our page](https://…)" never reaches the
    voice half-read. No shortening: a streamed answer is interrupted by the caller instead."""

    def __init__(self, pack: LocalePack) -> None:
        self.pack = pack
        self.buffer = ""
        self.space = False  # the last words said ended a word: a space is owed before the next

    def feed(self, token: str) -> str:
        self.buffer += token
        cut = self._safe_end()
        if cut <= 0:
            return ""
        head, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return self._clean(head)

    def flush(self) -> str:
        head, self.buffer = self.buffer, ""
        return self._clean(head)

    def _safe_end(self) -> int:
        text = self.buffer
        end = max(text.rfind(" "), text.rfind("\n")) + 1
        if self.pack.code in ("ja", "zh-CN"):  # no spaces: cut after punctuation instead
            end = max(end, max((m.end() for m in re.finditer(r"[。！？、，]", text)), default=0))
        opened = text.rfind("[")
        if opened >= 0:
            closed = _CLOSED.match(text, opened)
            # Open: wait for it to close. Closed: never cut inside it ("[our page](…)" with a
            # space in its words), so it is cleaned whole once a word follows it.
            if closed is None or opened < end < closed.end():
                end = min(end, opened)
        return end

    def _clean(self, head: str) -> str:
        said = speakable(head, self.pack, sentences=False)
        if not said:
            return ""
        # The space between two pieces goes with the second, so a dropped citation ("days [1].")
        # leaves no space before its full stop.
        owed = " " if self.space and said[0] not in ".,;:!?" else ""
        self.space = head[-1:].isspace()
        return owed + said
