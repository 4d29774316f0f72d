"""Reading a lead's budget and timeline (parley.core.handoff.budget, .timeline): how many free
answers of a labelled set in the eight shipped languages are read right, and how long one answer
takes, beside the baseline in the same run: price-parser alone (the library the budget reader
builds on) on the same budget answers.

    .venv/bin/python -m bench.leads [rounds]

Prints the budgets read right by each (amount range and ISO currency), the timelines read right
(the wanted-by date), then microseconds per answer (p50, p99) for price-parser alone, the budget
reader, the timeline reader and a whole lead (budget, timeline and the sales persona's score).
"""

from __future__ import annotations

import sys
import time
from datetime import date
from decimal import Decimal

from parley.core.config.settings import shipped
from parley.core.handoff.budget import read_budget
from parley.core.handoff.score import score
from parley.core.handoff.timeline import read_timeline
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog
from price_parser import Price

from bench.common import pct

TODAY = date(2026, 12, 2)
# (locale, answer, low, high, ISO currency): what a rep should see.
BUDGETS = [
    ("en", "around $5k", 5000, 5000, "USD"),
    ("en", "$5,000-10,000", 5000, 10000, "USD"),
    ("en", "about 3000 dollars", 3000, 3000, "USD"),
    ("en", "£4,500 max", 4500, 4500, "GBP"),
    ("en", "between 20 and 30 thousand USD", 20000, 30000, "USD"),
    ("es", "entre 5 y 10 mil euros", 5000, 10000, "EUR"),
    ("es", "unos 3.000 €", 3000, 3000, "EUR"),
    ("es", "1,5 millones de euros", 1_500_000, 1_500_000, "EUR"),
    ("fr", "environ 8 000 €", 8000, 8000, "EUR"),
    ("fr", "15 mille euros", 15000, 15000, "EUR"),
    ("de", "5.000 €", 5000, 5000, "EUR"),
    ("de", "etwa 2,5 Mio. Euro", 2_500_000, 2_500_000, "EUR"),
    ("de", "10 Tsd. EUR", 10000, 10000, "EUR"),
    ("pt-BR", "uns 50 mil reais", 50000, 50000, "BRL"),
    ("pt-BR", "R$ 20.000", 20000, 20000, "BRL"),
    ("pt-BR", "$ 3.000", 3000, 3000, "BRL"),
    ("ja", "50万円くらい", 500000, 500000, "JPY"),
    ("ja", "¥300,000", 300000, 300000, "JPY"),
    ("zh-CN", "大概5万元", 50000, 50000, "CNY"),
    ("zh-CN", "¥30000", 30000, 30000, "CNY"),
    ("ar", "٥٠٠٠ ريال", 5000, 5000, "SAR"),
    ("ar", "حوالي 10 آلاف دولار", 10000, 10000, "USD"),
]
# (locale, answer, wanted by)
TIMELINES = [
    ("en", "asap please", "2026-12-02"),
    ("en", "in 2 weeks", "2026-12-16"),
    ("en", "next month", "2027-01-31"),
    ("en", "Q3", "2027-09-30"),
    ("en", "by March", "2027-03-31"),
    ("es", "en 3 meses", "2027-03-05"),
    ("es", "para el mes que viene", "2027-01-31"),
    ("es", "lo antes posible", "2026-12-02"),
    ("fr", "dans 2 semaines", "2026-12-16"),
    ("fr", "en mars", "2027-03-31"),
    ("de", "in 2 Wochen", "2026-12-16"),
    ("de", "bis nächsten Monat", "2027-01-31"),
    ("de", "Ende des Jahres", "2026-12-31"),
    ("pt-BR", "em 10 dias", "2026-12-12"),
    ("pt-BR", "mês que vem", "2027-01-31"),
    ("ja", "来月までに", "2027-01-31"),
    ("ja", "2週間以内", "2026-12-16"),
    ("zh-CN", "两周内", "2026-12-16"),
    ("zh-CN", "第三季度", "2027-09-30"),
    ("ar", "في أقرب وقت", "2026-12-02"),
    ("ar", "خلال أسبوعين", "2026-12-16"),
    ("ar", "مارس", "2027-03-31"),
]
# What price-parser's currency strings mean, for judging the baseline fairly.
_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "R$": "BRL", "¥": "JPY", "円": "JPY", "US$": "USD"}


def baseline_right(answer: str, low: int, high: int, currency: str) -> bool:
    price = Price.fromstring(answer)
    sign = price.currency or ""
    code = _SIGNS.get(sign, sign.upper())
    return price.amount == Decimal(low) and low == high and code == currency


def per_answer(rounds: int, read) -> list[float]:
    """Microseconds for each of ``rounds`` calls of ``read(i)`` (i picks the answer)."""
    out = []
    for i in range(rounds):
        start = time.perf_counter()
        read(i)
        out.append((time.perf_counter() - start) * 1e6)
    return out


def line(label: str, micros: list[float]) -> None:
    print(f"{label:<48} p50 {pct(micros, 50):8.1f} µs   p99 {pct(micros, 99):8.1f} µs")


def main(rounds: int) -> None:
    packs = LocaleCatalog.load(shipped("locales"))
    rules = PersonaCatalog.load(shipped("personas"), "demo").get("sales").scoring
    assert rules is not None
    right = sum(
        (b := read_budget(a, packs.get(c))) is not None and (b.low, b.high, b.currency) == (lo, hi, cur)
        for c, a, lo, hi, cur in BUDGETS
    )
    base = sum(baseline_right(a, lo, hi, cur) for _, a, lo, hi, cur in BUDGETS)
    print(f"budgets read right: Parley {right}/{len(BUDGETS)}   baseline price-parser alone {base}/{len(BUDGETS)}")
    timed = sum(
        (t := read_timeline(a, packs.get(c), TODAY)) is not None and t.by.isoformat() == by for c, a, by in TIMELINES
    )
    print(f"timelines read right: Parley {timed}/{len(TIMELINES)}")
    budgets = [(a, packs.get(c)) for c, a, *_ in BUDGETS]
    timelines = [(a, packs.get(c)) for c, a, _ in TIMELINES]
    n = len(budgets)
    samples = {
        "baseline: price-parser alone, one budget": lambda i: Price.fromstring(budgets[i % n][0]),
        "Parley: one budget": lambda i: read_budget(*budgets[i % n]),
        "Parley: one timeline": lambda i: read_timeline(*timelines[i % len(timelines)], TODAY),
        "Parley: a whole lead (budget, timeline, score)": lambda i: score(
            {"contact": "x", "name": "y"},
            read_budget(*budgets[i % n]),
            read_timeline(*timelines[i % len(timelines)], TODAY),
            rules,
            TODAY,
        ),
    }
    for label, read in samples.items():
        for i in range(rounds // 10):  # warm the caches (Babel's month names, compiled patterns)
            read(i)
        line(label, per_answer(rounds, read))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
