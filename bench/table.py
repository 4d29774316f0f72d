"""The one table ``python -m bench.all`` prints: rows, targets and whether each is met, from the
figures the benchmarks reported (``bench.common.emit``). Pure: no timing here, so the table and
target logic is tested on made-up figures (tests/unit/test_bench_table.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What one benchmark run gave: its figures, or why there are none."""

    figures: dict[str, float]
    error: str = ""  # it ran and failed: the row says "error: ..." and bench.all exits non-zero
    skipped: str = ""  # it could not run here (a missing optional tool): said, not a failure


@dataclass(frozen=True)
class Ratio:
    """Parley's figure over a baseline's, within bounds (``at_least`` for throughput,
    ``at_most`` for latency)."""

    of: str  # the baseline's figure name
    label: str
    at_least: float | None = None
    at_most: float | None = None

    def describe(self) -> str:
        bound = f">= {self.at_least:g}x" if self.at_least is not None else f"<= {self.at_most:g}x"
        return f"{bound} {self.label}"

    def met(self, figures: dict[str, float], value: float) -> bool:
        return within(value / figures[self.of], self.at_least, self.at_most)


@dataclass(frozen=True)
class Bound:
    """Parley's figure itself within bounds (commands per turn, seconds to start)."""

    at_least: float | None = None
    at_most: float | None = None

    def describe(self) -> str:
        return f">= {self.at_least:,g}" if self.at_least is not None else f"<= {self.at_most:,g}"

    def met(self, figures: dict[str, float], value: float) -> bool:
        return within(value, self.at_least, self.at_most)


Target = Ratio | Bound


def within(value: float, at_least: float | None, at_most: float | None) -> bool:
    return (at_least is None or value >= at_least) and (at_most is None or value <= at_most)


@dataclass(frozen=True)
class Row:
    """One line of the table: which benchmark, which of its figures is Parley's, which are the
    baselines (label, figure name), the unit, and the targets (none: the figure is reported only)."""

    path: str
    bench: str
    parley: str
    unit: str
    baselines: tuple[tuple[str, str], ...] = ()
    targets: tuple[Target, ...] = ()
    missing: str = ""  # why the figure may be absent (a benchmark without that mode yet): a note, not an error
    ratio: bool = True  # False where Parley's figure over the baseline means nothing (a growth, an overhead)


@dataclass(frozen=True)
class Line:
    path: str
    parley: str
    baselines: str
    ratio: str
    target: str
    met: str

    @property
    def failed(self) -> bool:
        return self.met.startswith("error")


def show(value: float, unit: str) -> str:
    if unit == "/s":
        return f"{value:,.0f}/s"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f} {unit}".rstrip()


def line(row: Row, outcome: Outcome | None) -> Line:
    target = "; ".join(t.describe() for t in row.targets) or "-"
    empty = Line(row.path, "-", "-", "-", target, "")
    if outcome is None:
        return _with(empty, "error: not run")
    if outcome.error:
        return _with(empty, f"error: {outcome.error}")
    if outcome.skipped:
        return _with(empty, f"skipped: {outcome.skipped}")
    figures = outcome.figures
    if row.parley not in figures:
        return _with(
            empty, f"skipped: {row.missing}" if row.missing else f"error: {row.bench} reported no {row.parley}"
        )
    value = figures[row.parley]
    known = [(label, key) for label, key in row.baselines if key in figures]
    baselines = "; ".join(f"{label} {show(figures[key], row.unit)}" for label, key in known) or "-"
    ratios = "; ".join(f"{value / figures[key]:.2f}x {label}" for label, key in known if row.ratio and figures[key])
    needed = [t for t in row.targets if not isinstance(t, Ratio) or t.of in figures]
    if len(needed) < len(row.targets):
        met = f"error: {row.bench} reported no baseline for a target"
    elif not row.targets:
        met = "-"
    else:
        met = "yes" if all(t.met(figures, value) for t in row.targets) else "no"
    return Line(row.path, show(value, row.unit), baselines, ratios or "-", target, met)


def _with(empty: Line, met: str) -> Line:
    return Line(empty.path, empty.parley, empty.baselines, empty.ratio, empty.target, met)


def table(rows: list[Row], outcomes: dict[str, Outcome]) -> list[Line]:
    return [line(row, outcomes.get(row.bench)) for row in rows]


def markdown(lines: list[Line]) -> str:
    out = ["| path | Parley | baseline(s) | ratio | target | met? |", "|---|---|---|---|---|---|"]
    out += [f"| {x.path} | {x.parley} | {x.baselines} | {x.ratio} | {x.target} | {x.met} |" for x in lines]
    return "\n".join(out)
