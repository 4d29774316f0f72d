"""The recorder: turns' facts into aggregate counters, buffered and written once a second.

``observe(turn)`` is the engine's post-commit hook: it only reads ``turn.facts``, which
middlewares filled while the turn ran, so a turn that never committed counts nothing. Facts are
added up in memory and flushed in one write per second (and at shutdown): a busy bot costs the
store one batch a second, not a write per turn. A crash loses at most that second of analytics,
never a conversation. Each fact is written under all eight combinations of its channel, locale
and persona with ``ALL``, so every filter the console offers reads one exact key.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from itertools import product

from parley.core.analytics.store import ALL, AnalyticsStore, Cell
from parley.core.kernel.clock import Clock, as_datetime
from parley.core.kernel.facts import Fact, Metric
from parley.core.kernel.outage import Outage
from parley.core.kernel.turn import Turn
from parley.core.storage.store import StoreUnavailable

log = logging.getLogger("parley.analytics")
Where = tuple[str, str, str]  # channel, locale, persona


def clean(label: str) -> str:
    # A label becomes part of a key: bounded, and without the separators keys are made of.
    return label.replace("|", "/").replace(":", "/")[:40] or "-"


class Recorder:
    def __init__(self, store: AnalyticsStore, clock: Clock, every: float = 1.0) -> None:
        self.store = store
        self.clock = clock
        self.every = every
        self._cells: dict[Cell, list[float]] = {}  # kept from a flush the store refused
        # (day, channel, locale, persona, metric, detail) -> [sum, count], since the last flush
        self._raw: dict[tuple[str, str, str, str, str, str], list[float]] = {}
        self._questions: dict[str, Counter[tuple[str, str]]] = {}
        self.outage = Outage(log, "analytics")

    def observe(self, turn: Turn) -> None:
        """The engine's post-commit hook."""
        if turn.facts:
            where = (turn.address.channel, turn.pack.code, turn.persona.id)
            self.record(where, turn.facts, turn.now.timestamp())

    def record(self, where: Where, facts: list[Fact], at: float) -> None:
        """Facts from outside a turn too (a conversion posted to the admin API). Added up here
        under the turn's own combination only; ``flush`` spreads them over the eight (eight
        cells per fact per turn cost more than the rest of the turn's analytics)."""
        day = as_datetime(at).date().isoformat()
        channel, locale, persona = (x if x == ALL else clean(x) for x in where)
        for fact in facts:
            if fact.metric is Metric.NOT_SURE and fact.detail:
                self._questions.setdefault(day, Counter())[(locale, fact.detail[:300])] += 1
            detail = "" if fact.metric is Metric.NOT_SURE else clean(fact.detail) if fact.detail else ""
            held = self._raw.setdefault((day, channel, locale, persona, fact.metric.value, detail), [0.0, 0])
            held[0] += fact.value
            held[1] += 1

    def _spread(self) -> dict[Cell, list[float]]:
        """The raw sums under every combination of their dimensions with ``ALL``, added to the
        cells a failed flush kept."""
        cells, self._cells = self._cells, {}
        raw, self._raw = self._raw, {}
        for (day, channel, locale, persona, metric, detail), (v, n) in raw.items():
            # A set: a dimension given as ALL (a conversion's unknown persona) is counted once.
            for c, lo, p in set(product((channel, ALL), (locale, ALL), (persona, ALL))):
                held = cells.setdefault(Cell(day, c, lo, p, metric, detail), [0.0, 0])
                held[0] += v
                held[1] += n
        return cells

    async def flush(self) -> None:
        cells = self._spread()
        questions, self._questions = self._questions, {}
        try:
            await self.store.add({cell: (v, int(n)) for cell, (v, n) in cells.items()})
        except StoreUnavailable as exc:
            self.outage.failed(exc)
            self._keep(cells, questions)  # the next flush tries them again
            return
        try:
            for day in list(questions):
                await self.store.add_questions(day, dict(questions[day]))
                del questions[day]
        except StoreUnavailable as exc:
            self.outage.failed(exc)
            self._keep({}, questions)  # the days not written yet
            return
        self.outage.ok()

    def _keep(self, cells: dict[Cell, list[float]], questions: dict[str, Counter[tuple[str, str]]]) -> None:
        for cell, (v, n) in cells.items():
            held = self._cells.setdefault(cell, [0.0, 0])
            held[0] += v
            held[1] += n
        for day, asked in questions.items():
            self._questions.setdefault(day, Counter()).update(asked)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            await self.flush()
