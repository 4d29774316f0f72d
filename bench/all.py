"""Every path's benchmark once, then one table (path | Parley | baseline(s) | ratio | target | met?).

    .venv/bin/python -m bench.all --quick [--only telegram,slack] [--json results.json]

Each benchmark runs as its own process (``bench/<name>.py --quick --json``), one after another
(two cores: running them side by side would measure each other), and reports its figures in
one machine-readable line (``bench.common.emit``). A benchmark that fails, times out or reports
nothing shows "error: ..." in its rows and makes this exit 1; one that cannot run here (wrk or
nginx missing) shows "skipped: ..." instead. Every ratio is measured within one benchmark's run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import MARKER  # noqa: E402
from bench.rows import ROWS  # noqa: E402
from bench.table import Outcome, markdown, table  # noqa: E402


@dataclass(frozen=True)
class Job:
    bench: str
    timeout: float  # seconds, for --quick; a full run gets ten times as long
    needs: tuple[str, ...] = ()  # programs on PATH, or the rows are skipped


JOBS = [
    Job("telegram", 120),
    Job("slack", 120, ("wrk", "nginx")),
    Job("twilio", 90),
    Job("discord", 90),
    Job("webchat", 90),
    Job("scale", 180),
    Job("memory", 180),
    Job("startup", 90),
    Job("voice", 120),
]


def parse(stdout: str) -> dict[str, float] | None:
    """The figures of the last ``MARKER`` line, or None when there is none."""
    for text in reversed(stdout.splitlines()):
        if text.startswith(MARKER):
            return {k: float(v) for k, v in json.loads(text[len(MARKER) :])["figures"].items()}
    return None


def last_words(stderr: str, stdout: str) -> str:
    """What a failed benchmark said last (a traceback's final line), short enough for a cell."""
    for text in (stderr, stdout):
        lines = [x.strip() for x in text.splitlines() if x.strip()]
        if lines:
            return lines[-1][:120].replace("|", "/")
    return "no output"


def run(job: Job, quick: bool) -> Outcome:
    missing = [p for p in job.needs if not shutil.which(p)]
    if missing:
        return Outcome({}, skipped=f"needs {' and '.join(missing)} (apt-get install -y nginx-light wrk)")
    script = ROOT / "bench" / f"{job.bench}.py"
    if not script.exists():
        return Outcome({}, error=f"bench/{job.bench}.py is missing")
    # The project's settings from the caller's environment would change what is measured.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PYTHONPATH"] = str(ROOT)
    argv = [sys.executable, str(script), "--json", *(["--quick"] if quick else [])]
    timeout = job.timeout if quick else job.timeout * 10
    # Its own session: on a timeout the servers it started (bot.py, redis-server) go with it.
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Outcome({}, error=f"bench/{job.bench}.py took over {timeout:.0f} s")
    figures = parse(stdout)
    if proc.returncode != 0 or figures is None:
        return Outcome({}, error=f"bench/{job.bench}.py exit {proc.returncode}: {last_words(stderr, stdout)}")
    return Outcome(figures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each benchmark's small sizes (under five minutes in all)")
    parser.add_argument("--only", default="", help="comma-separated benchmarks: " + ", ".join(j.bench for j in JOBS))
    parser.add_argument("--json", type=Path, help="also write every benchmark's figures here")
    args = parser.parse_args()
    chosen = set(filter(None, args.only.split(","))) or {j.bench for j in JOBS}
    outcomes: dict[str, Outcome] = {}
    began = time.monotonic()
    for job in JOBS:
        if job.bench not in chosen:
            continue
        started = time.monotonic()
        outcomes[job.bench] = outcome = run(job, args.quick)
        state = outcome.error or outcome.skipped or "ok"
        print(f"{job.bench:<9} {time.monotonic() - started:6.1f} s  {state}", file=sys.stderr, flush=True)
    rows = [r for r in ROWS if r.bench in chosen]
    lines = table(rows, outcomes)
    print(
        f"\n{os.cpu_count()} cores, {time.monotonic() - began:.0f} s in all, {'quick' if args.quick else 'full'} sizes\n"
    )
    print(markdown(lines), flush=True)
    if args.json:
        args.json.write_text(json.dumps({k: asdict(v) for k, v in outcomes.items()}, indent=1) + "\n")
    return 1 if any(x.failed for x in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
