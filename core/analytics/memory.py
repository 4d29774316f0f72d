"""Analytics in process memory, for tests and ``memory://``: the same semantics as SQLite and Redis."""

from __future__ import annotations

from collections import Counter

from parley.core.analytics.store import Cell, Question, Row
from parley.core.privacy.mentions import Mentions


class MemoryAnalyticsStore:
    def __init__(self) -> None:
        self._cells: dict[Cell, list[float]] = {}
        self._questions: dict[str, Counter[tuple[str, str]]] = {}

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def add(self, cells: dict[Cell, tuple[float, int]]) -> None:
        for cell, (value, n) in cells.items():
            held = self._cells.setdefault(cell, [0.0, 0])
            held[0] += value
            held[1] += n

    async def rows(self, first: str, last: str, channel: str, locale: str, persona: str) -> list[Row]:
        out = [
            Row(c.day, c.metric, c.detail, v, int(n))
            for c, (v, n) in self._cells.items()
            if first <= c.day <= last and (c.channel, c.locale, c.persona) == (channel, locale, persona)
        ]
        return sorted(out, key=lambda r: (r.day, r.metric, r.detail))

    async def add_questions(self, day: str, questions: dict[tuple[str, str], int]) -> None:
        self._questions.setdefault(day, Counter()).update(questions)

    async def questions(self, first: str, last: str, limit: int) -> list[Question]:
        total: Counter[tuple[str, str]] = Counter()
        for day, counts in self._questions.items():
            if first <= day <= last:
                total.update(counts)
        ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        return [Question(text, locale, n) for (locale, text), n in ranked]

    async def forget_questions(self, mentions: Mentions) -> int:
        removed = 0
        for counts in self._questions.values():
            for key in [k for k in counts if mentions.in_text(k[1])]:
                del counts[key]
                removed += 1
        return removed
