"""A lead's budget read from a free answer, in any shipped language: "around 5k", "5.000 €",
"entre 5 y 10 mil euros", "50万円", "٥٠٠٠ ريال" -> an amount (or a range) and an ISO currency.

price-parser reads each number (thousands and decimal separators as each country writes them)
and spots currency signs; what it does not know is Parley's own: the multipliers the locale
packs list after a number (k, mil, tausend, 万...), ranges, currency words ("dollars", "reais",
"元") and which "$" or "¥" a pack means. Numbers spelt out in words ("fünftausend") are left as
the customer wrote them: the card shows the answer either way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from parley.core.i18n.locales import LocalePack
from price_parser import Price

# One number as people write it: 5000, 5,000, 5.000,50, 5 000, 1'200, 2.5
_NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f.,'’]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?")
# Currency words and signs -> ISO 4217 ("$" and "¥" depend on the pack: _LOCAL).
_CODES = {
    "€": "EUR", "euro": "EUR", "euros": "EUR", "eur": "EUR", "欧元": "EUR", "يورو": "EUR",
    "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "dólar": "USD", "dólares": "USD",
    "dollars américains": "USD", "美元": "USD", "ドル": "USD", "دولار": "USD",
    "£": "GBP", "gbp": "GBP", "pounds": "GBP", "libras": "GBP",
    "r$": "BRL", "brl": "BRL", "real": "BRL", "reais": "BRL",
    "円": "JPY", "jpy": "JPY", "yen": "JPY",
    "元": "CNY", "人民币": "CNY", "rmb": "CNY", "cny": "CNY", "块": "CNY",
    "ريال": "SAR", "ر.س": "SAR", "sar": "SAR", "درهم": "AED", "aed": "AED",
    "chf": "CHF", "franken": "CHF", "mxn": "MXN", "pesos": "MXN",
}  # fmt: skip
_LOCAL = {"$": {"pt-BR": "BRL"}, "¥": {"zh-CN": "CNY"}}  # the sign -> pack code -> what it means there
_DEFAULT_SIGN = {"$": "USD", "¥": "JPY"}


@dataclass(frozen=True)
class Budget:
    low: Decimal
    high: Decimal
    currency: str  # ISO 4217
    assumed: bool = False  # no currency named: the pack's

    @property
    def amount(self) -> Decimal:
        """What the lead could spend at most (what the score's bands weigh)."""
        return self.high

    def text(self) -> str:
        """For the desk: "5,000 EUR", "5,000–10,000 USD (currency assumed)"."""
        span = f"{self.low:,.0f}" if self.low == self.high else f"{self.low:,.0f}–{self.high:,.0f}"
        return f"{span} {self.currency}{' (currency assumed)' if self.assumed else ''}"


def _ascii_digits(text: str) -> str:
    """Arabic-Indic and full-width digits as ASCII; Arabic's own separators as . and ,"""
    out = []
    for ch in text:
        digit = unicodedata.digit(ch, None) if not ch.isascii() else None
        out.append(str(digit) if digit is not None else {"٫": ".", "٬": ",", "،": ","}.get(ch, ch))
    return "".join(out)


def _words(pack: LocalePack, kind: str) -> list[str]:
    found = {w for f in pack.chain for w in getattr(f.leads, kind)}
    return sorted(found, key=len, reverse=True)  # "百万" before "万"


def _multipliers(pack: LocalePack) -> list[tuple[str, int]]:
    pairs = [(w, 1_000) for w in _words(pack, "thousand")]
    pairs += [(w, 10_000) for w in _words(pack, "ten_thousand")]
    pairs += [(w, 1_000_000) for w in _words(pack, "million")]
    return sorted(pairs, key=lambda p: len(p[0]), reverse=True)


def _amount(token: str) -> Decimal | None:
    try:
        value = Price.fromstring(token).amount
    except (InvalidOperation, ValueError):
        return None
    return value if value is not None and value > 0 else None


def _currency(text: str, pack: LocalePack) -> str:
    low = f" {text.lower()} "
    for word in sorted(_CODES, key=len, reverse=True):
        if word.isalpha() and word.isascii():
            if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", low):
                return _CODES[word]
        elif word in low:
            return _CODES[word]
    sign = Price.fromstring(text).currency or ""
    if sign.upper() in {c for c in _CODES.values()}:
        return sign.upper()
    if sign in _DEFAULT_SIGN:
        return _LOCAL[sign].get(pack.code, _DEFAULT_SIGN[sign])
    return ""


def read_budget(answer: str, pack: LocalePack) -> Budget | None:
    """The budget in ``answer``; None when it names no amount ("not sure yet")."""
    text = _ascii_digits(unicodedata.normalize("NFKC", answer))[:500]
    multipliers = _multipliers(pack)
    found: list[tuple[Decimal, int]] = []  # (amount, its multiplier) for the first two numbers
    for match in _NUMBER.finditer(text):
        value = _amount(match.group())
        if value is None:
            continue
        after = text[match.end() : match.end() + 12].lstrip(" .")
        times = next((m for word, m in multipliers if _starts_with_word(after, word)), 1)
        found.append((value, times))
        if len(found) == 2:
            break
    if not found:
        return None
    if len(found) == 2 and found[0][1] == 1 and found[1][1] > 1 and found[0][0] < found[1][0]:
        found[0] = (found[0][0], found[1][1])  # "5-10k", "entre 5 y 10 mil": one multiplier for both
    amounts = sorted(v * m for v, m in found)
    currency = _currency(text, pack)
    return Budget(amounts[0], amounts[-1], currency or pack.currency, assumed=not currency)


def _starts_with_word(text: str, word: str) -> bool:
    if not text.lower().startswith(word.lower()):
        return False
    rest = text[len(word) :]
    # "5k" and "5 mil" but not "5 mile" or "5 months" ("m" is a million only on its own).
    return not rest or not (rest[0].isalpha() and rest[0].isascii())
