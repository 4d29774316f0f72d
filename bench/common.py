"""Shared by the benchmark programs: free ports, starting servers, percentiles, memory, and the
seam ``bench.all`` reads (``--quick`` and ``--json``, see ``RunFlags``)."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    full.update(env or {})
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=full, stdout=subprocess.DEVNULL)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (Linux /proc): per-message CPU is a steadier
    figure than throughput on a machine shared with other work."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, every: float = 0.25, quiet: float = 0.02, timeout: float = 10.0) -> float:
    """Wait until a server has finished the work it does in the background after starting (its
    CPU grows by less than ``quiet`` seconds over ``every``), so a steady state is measured:
    Parley builds the knowledge indexes of the languages nobody has asked in yet during its first
    second, about a quarter of what a short run's turns cost. Returns the seconds waited."""
    started = last = time.monotonic()
    used = cpu_seconds(pid)
    while last - started < timeout:
        time.sleep(every)
        now, total = time.monotonic(), cpu_seconds(pid)
        if total - used < quiet:
            return now - started
        last, used = now, total
    return last - started


def pct(values: Iterable[float], q: float) -> float:
    """The q-th percentile by nearest rank: the least value that q% of them are at or below. An
    observed value, never one interpolated between two, so a percentile of histogram bounds is
    still a bound (the chaos harness's windows). NaN for no values. The one percentile helper of
    the benchmarks and the chaos suite."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = math.ceil(q * len(ordered) / 100 - 1e-9)  # the epsilon: 99% of 100 is rank 99, not 100
    return ordered[min(len(ordered), max(rank, 1)) - 1]


def row(name: str, count: int, seconds: float, latencies: list[float], rss: float, base: float | None = None) -> str:
    rate = count / seconds if seconds else 0.0
    ratio = f"{rate / base:5.2f}x" if base else "  1.00x"
    return (
        f"{name:<28} {rate:>9.0f}/s {ratio}  p50 {pct(latencies, 50) * 1000:7.2f} ms  "
        f"p99 {pct(latencies, 99) * 1000:7.2f} ms  rss {rss:6.1f} MB"
    )


MARKER = "BENCH-JSON "  # the one machine-readable line a benchmark prints with --json


@dataclass(frozen=True)
class RunFlags:
    """What ``python -m bench.all`` asks of every benchmark: ``--quick`` (its own small sizes, a
    few seconds to a minute) and ``--json`` (one more line, ``MARKER`` + a JSON object of named
    figures, after the usual human table)."""

    quick: bool = False
    json: bool = False


def run_flags(argv: list[str] | None = None) -> RunFlags:
    """Take --quick and --json out of ``argv`` (``sys.argv`` by default, changed in place), so a
    benchmark's own argument parsing, positional or argparse, never sees them."""
    args = sys.argv if argv is None else argv
    flags = RunFlags(quick="--quick" in args, json="--json" in args)
    args[:] = [a for a in args if a not in ("--quick", "--json")]
    return flags


def emit(flags: RunFlags, bench: str, figures: dict[str, float]) -> None:
    """Print the figures for ``bench.all`` when --json was given. Names are the benchmark's own
    (``parley``, ``bare``, ``parley_p99_ms``, ...); ``bench/all.py`` maps them onto table rows.
    A benchmark with a rate mode adds ``parley_p99_half_ms`` and ``bare_p99_half_ms``: the p99
    at half the measured maximum load, which the latency row compares."""
    if flags.json:
        print(MARKER + json.dumps({"bench": bench, "figures": figures}), flush=True)
