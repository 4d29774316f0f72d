"""``bench.common.pct``, the one percentile of the benchmarks and the chaos suite: nearest rank,
so every percentile is a value that was observed (a histogram's bound stays a bound)."""

from __future__ import annotations

import math
import random

from bench.common import pct


def test_nearest_rank_on_a_hundred_values_in_any_order():
    values = list(range(1, 101))
    random.Random(3).shuffle(values)
    assert [pct(values, q) for q in (1, 50, 95, 99, 100)] == [1, 50, 95, 99, 100]
    assert pct(values, 99.5) == 100 and pct(values, 0) == 1


def test_a_percentile_is_always_one_of_the_values():
    bounds = [0.001, 0.0025, 0.005, 0.01, 0.025]
    windows = [bounds[i % 5] for i in range(7)] + [bounds[4]] * 3
    assert {pct(windows, q) for q in range(1, 101)} <= set(bounds)
    assert pct(windows, 50) == 0.005 and pct(windows, 99) == 0.025


def test_one_value_and_none():
    assert pct([0.25], 1) == pct([0.25], 99) == 0.25
    assert math.isnan(pct([], 99))
