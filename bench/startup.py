"""Cold start: from spawning ``bot.py run`` with no channels configured (only the built-in web
chat, an empty SQLite file) to the first 200 from ``/readyz``, beside a bare aiohttp app's start
to its first 200 in the same run. Each is started several times, alternating; the median counts.

    .venv/bin/python -m bench.startup [--runs 7] [--quick] [--json]

Start-up is mostly imports: ``python -X importtime bot.py check`` shows where the time goes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import emit, free_port, run_flags  # noqa: E402

BARE = """
import sys
from aiohttp import web

async def ready(request):
    return web.json_response({"status": "ready"})

app = web.Application()
app.router.add_get("/readyz", ready)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


def first_ok(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.005)
    raise RuntimeError(f"no 200 from {url} within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process has used so far: less blurred by a busy machine than
    the wall clock, which also counts the time spent waiting for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cold_start(argv: list[str], env: dict[str, str], port: int) -> tuple[float, float]:
    """Seconds from spawning ``argv`` to the first 200 from its /readyz, and its CPU seconds then."""
    began = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first_ok(f"http://127.0.0.1:{port}/readyz", proc)
        return time.perf_counter() - began, cpu_seconds(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    flags = run_flags()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3 if flags.quick else 7)
    args = parser.parse_args()
    # An installed package has its bytecode compiled (pip does it): let the first, uncounted
    # start write it here too, or every start would compile Parley's modules again.
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_") and k != "PYTHONDONTWRITEBYTECODE"}
    parley: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for run in range(args.runs + 1):  # alternating, so a neighbour's load falls on both alike
        port = free_port()
        bare.append(cold_start([sys.executable, "-c", BARE, str(port)], base_env, port))
        with tempfile.TemporaryDirectory() as tmp:  # a fresh, empty store each time: a first start
            port = free_port()
            env = {
                **base_env,
                "PARLEY_STORE_URL": f"sqlite:///{tmp}/bench.db",
                "PARLEY_HTTP__PORT": str(port),
                "PARLEY_LOG_LEVEL": "WARNING",
            }
            parley.append(cold_start([sys.executable, "bot.py", "run"], env, port))
        if run == 0:
            del parley[0], bare[0]
    figures = {}
    print(f"cold start to the first 200 from /readyz, median of {args.runs}, {os.cpu_count()} cores")
    for key, label, runs in (("bare", "bare aiohttp app", bare), ("parley", "bot.py run, no channels", parley)):
        wall, cpu = (statistics.median(r[n] for r in runs) * 1000 for n in (0, 1))
        figures.update({f"{key}_ms": wall, f"{key}_cpu_ms": cpu})
        each = " ".join(f"{r[0] * 1000:.0f}" for r in runs)
        print(f"  {label:<26} {wall:6.0f} ms wall (runs: {each}), {cpu:5.0f} ms CPU")
    print(f"  goal: Parley at most 1,500 ms; Parley - bare: {figures['parley_ms'] - figures['bare_ms']:.0f} ms wall")
    emit(flags, "startup", figures)


if __name__ == "__main__":
    main()
