"""The ``AnalyticsStore`` seam: counters keyed by day x channel x locale x persona x metric, read
back by day range, plus the unanswered questions behind the knowledge-gap report.

Reads never scan conversations: a page asks for one (channel, locale, persona) combination over
a day range, and the recorder (parley.core.analytics.recorder) writes every fact under each of
the eight combinations of its dimensions and ``ALL``, so a filter is always one exact key. One
contract suite (parley.testing.contracts.analytics) covers memory, SQLite and Redis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from parley.core.privacy.mentions import Mentions

ALL = "*"  # a dimension summed over every value


@dataclass(frozen=True)
class Cell:
    day: str  # YYYY-MM-DD, UTC
    channel: str
    locale: str
    persona: str
    metric: str
    detail: str = ""


@dataclass(frozen=True)
class Row:
    day: str
    metric: str
    detail: str
    value: float  # the sum
    n: int  # how many facts made it


@dataclass(frozen=True)
class Question:
    text: str  # redacted, as asked
    locale: str
    n: int


class AnalyticsStore(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...

    async def add(self, cells: dict[Cell, tuple[float, int]]) -> None:
        """Add (sum, count) to each cell, in one round trip or transaction."""

    async def rows(self, first: str, last: str, channel: str, locale: str, persona: str) -> list[Row]:
        """Every metric of one combination (``ALL`` for a dimension not filtered), days
        ``first``..``last`` inclusive, in day order."""

    async def add_questions(self, day: str, questions: dict[tuple[str, str], int]) -> None:
        """Count unanswered questions: (locale, text) -> times asked that day."""

    async def questions(self, first: str, last: str, limit: int) -> list[Question]:
        """The most asked unanswered questions over the days, most asked first."""

    async def forget_questions(self, mentions: Mentions) -> int:
        """Delete the unanswered questions that mention a person (an id, a phone, an email or
        their whole name: ``Mentions.in_text``) on every day; returns how many went. The
        counters carry no person and stay."""
