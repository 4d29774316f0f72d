"""A lead's timeline read from a free answer, in any shipped language, as the date it is wanted
by: "asap", "in 2 weeks", "en 3 meses", "next month", "Q3", "by March", "来月", "2026-03-15".

The words are the locale packs' (``[leads]``: asap, unit words, horizons such as "next month");
month names come from Babel's CLDR data for the pack's locale and English. What is read is
shown to the desk as a label in English plus the date, beside the customer's own answer.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import get_month_names
from parley.core.brains.phrases import has_phrase
from parley.core.handoff.budget import _ascii_digits, _words
from parley.core.i18n.locales import Horizon, LocalePack

UNIT_DAYS = {"day": 1, "week": 7, "month": 31, "year": 365}
_QUARTER = re.compile(
    r"(?<![A-Za-z])(?:Q|T)([1-4])(?:\s*[/-]?\s*(20\d\d))?(?!\d)|第\s*([1-4一二三四])\s*(?:四半期|季度)"
)
_CJK_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ISO = re.compile(r"(20\d\d)-(\d{1,2})-(\d{1,2})")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[./](\d{1,2})[./](20\d\d)(?!\d)")
_CJK_MONTH = re.compile(r"(?<!\d)(1[0-2]|[1-9])\s*月")


@dataclass(frozen=True)
class Timeline:
    by: date  # wanted by this day at the latest
    label: str  # how it was read, for the desk: "asap", "in 2 weeks", "Q3 2026", "March"

    def days(self, today: date) -> int:
        return max(0, (self.by - today).days)

    def text(self) -> str:
        return self.label if self.label == "asap" else f"{self.label} (by {self.by.isoformat()})"


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _next_month_end(today: date, month: int) -> date:
    """The end of ``month``'s next occurrence (this year's if it has not passed)."""
    year = today.year if month >= today.month else today.year + 1
    return _month_end(year, month)


@functools.lru_cache(maxsize=32)  # CLDR's names never change while we run (a pack reload keeps them)
def _months(babel: str) -> list[tuple[str, int]]:
    names: dict[str, int] = {}
    for locale in dict.fromkeys((babel, "en_US")):
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for n, name in get_month_names(width, context, locale).items():
                    if len(name.strip(".")) >= 3:  # "mai" yes, one-letter forms no
                        names.setdefault(name.strip(".").lower(), n)
    return sorted(names.items(), key=lambda p: len(p[0]), reverse=True)


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _CJK_DIGIT.get(text)


def read_timeline(answer: str, pack: LocalePack, today: date) -> Timeline | None:
    """When the lead wants it; None when the answer names no time ("no rush", "not sure")."""
    text = _ascii_digits(unicodedata.normalize("NFKC", answer))[:300]
    low = text.lower()
    if has_phrase(text, _words(pack, "asap")):
        return Timeline(today, "asap")
    if found := _ISO.search(text):
        return _dated(today, int(found[1]), int(found[2]), int(found[3]))
    if found := _DMY.search(text):
        first, second = int(found[1]), int(found[2])
        month_first = pack.babel == "en_US"  # 03/15/2026 in the US, 15/03/2026 elsewhere
        day, month = (second, first) if month_first else (first, second)
        return _dated(today, int(found[3]), month, day)
    if found := _QUARTER.search(text):
        quarter = _number(found[1] or found[3]) or 1
        year = int(found[2]) if found[2] else today.year
        end = _month_end(year, quarter * 3)
        if end < today and not found[2]:
            end = _month_end(year + 1, quarter * 3)
        return Timeline(end, f"Q{quarter} {end.year}")
    units = [(w, unit) for unit in UNIT_DAYS for w in _words(pack, unit)]
    for word, unit in sorted(units, key=lambda p: len(p[0]), reverse=True):
        found = re.search(rf"(\d{{1,3}}|[一二两三四五六七八九十])\s*{re.escape(word.lower())}(?![a-zà-ÿ])", low)
        if found and (count := _number(found[1])):
            plural = "s" if count > 1 else ""
            return Timeline(today + timedelta(days=count * UNIT_DAYS[unit]), f"in {count} {unit}{plural}")
    within = {k: v for f in pack.chain for k, v in f.leads.within.items()}
    for phrase in sorted(within, key=len, reverse=True):
        if has_phrase(text, [phrase]):
            return _horizon(today, within[phrase])
    if found := _CJK_MONTH.search(text):
        month = int(found[1])
        return Timeline(_next_month_end(today, month), calendar.month_name[month])
    for name, month in _months(pack.babel):
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", low):
            return Timeline(_next_month_end(today, month), calendar.month_name[month])
    return None


def _horizon(today: date, horizon: int | Horizon) -> Timeline:
    if isinstance(horizon, int):
        return Timeline(today + timedelta(days=horizon), f"within {horizon} days")
    which, span = horizon.split("_")
    ahead = 1 if which == "next" else 0
    if span == "week":  # by the end of (next) week, the week ending on Sunday
        end = today + timedelta(days=6 - today.weekday() + 7 * ahead)
    elif span == "month":
        month = today.month + ahead
        end = _month_end(today.year + (month - 1) // 12, (month - 1) % 12 + 1)
    elif span == "quarter":
        month = ((today.month - 1) // 3 + 1 + ahead) * 3
        end = _month_end(today.year + (month - 1) // 12, (month - 1) % 12 + 1)
    else:
        end = date(today.year + ahead, 12, 31)
    return Timeline(end, horizon.replace("_", " "))


def _dated(today: date, year: int, month: int, day: int) -> Timeline | None:
    try:
        when = date(year, month, day)
    except ValueError:
        return None
    return Timeline(when, when.isoformat()) if when >= today else None
