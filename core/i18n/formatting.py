"""Dates, times, numbers and money in the person's conventions, through Babel and the pack's
``babel`` locale ("22. November 2026", "1.234,50 €", "R$ 1.234,50", "2026年11月22日")."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from parley.core.i18n.locales import LocalePack


@lru_cache(maxsize=64)
def babel_locale(code: str) -> Locale:
    """A Babel locale for a pack's ``babel`` value; an unknown one falls back to English rather
    than break a reply (``bot.py check`` reports it)."""
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def known_locale(code: str) -> bool:
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def format_date(pack: LocalePack, value: date | datetime, length: str = "long") -> str:
    return babel_dates.format_date(value, format=length, locale=babel_locale(pack.babel))


def format_time(pack: LocalePack, value: time | datetime, length: str = "short") -> str:
    return babel_dates.format_time(value, format=length, locale=babel_locale(pack.babel))


def format_datetime(pack: LocalePack, value: datetime, length: str = "medium") -> str:
    return babel_dates.format_datetime(value, format=length, locale=babel_locale(pack.babel))


def format_number(pack: LocalePack, value: int | float | Decimal) -> str:
    return babel_numbers.format_decimal(value, locale=babel_locale(pack.babel))


def format_money(pack: LocalePack, amount: int | float | Decimal, currency: str | None = None) -> str:
    """``amount`` in ``currency`` (ISO 4217; the pack's own by default), written the local way."""
    return babel_numbers.format_currency(amount, currency or pack.currency, locale=babel_locale(pack.babel))
