"""Signed Slack events per second, p50 and p99, end to end, in one run, beside two baselines:

- bare: an aiohttp handler that verifies the signature, parses the event and posts one reply
  with a shared session before answering (the ceiling for a Python Slack bot in one process);
- bolt: slack-bolt's AsyncApp answering each DM with say() (bench/baselines/bolt_alone.py);
- parley: `python bot.py`'s Slack channel on the embedded SQLite store, replies through the outbox
  (Slack's rate limits lifted so every reply is really posted during the run).

The Web API is nginx answering {"ok":true} at C speed on 127.0.0.1:18081 (bench/baselines/nginx-fake.conf).
Each server's CPU per event is printed too: steadier than events/s on a machine shared with other work.

Then the rate mode (bench/slack_rate.py): bare and Parley at half of Parley's maximum, open loop,
p50/p99 from each event to its reply reaching the Web API. ``--rate R`` measures that rate alone.

Needs `apt-get install -y nginx-light wrk`. Run: `.venv/bin/python bench/slack.py [seconds] [--rate R] [--quick]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after bench/ (a script's own folder): for bench.common

from bench.common import RunFlags, cpu_seconds, emit, free_port, run_flags  # noqa: E402
from bench.openloop import Latency, half, rate_option  # noqa: E402

BASELINES = ROOT / "bench" / "baselines"
SECRET = "bench-secret"
API = "http://127.0.0.1:18081"
EVENTS = 20_000


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not listening(port):
        if time.monotonic() > deadline:
            raise SystemExit(f"nothing listening on {port}")
        time.sleep(0.1)


# -- the servers under test (each runs in its own process) -------------------------------------
def serve_bare(port: int, api: str = API) -> None:
    import hashlib
    import hmac
    import json

    from aiohttp import ClientSession, web

    async def on_startup(app: web.Application) -> None:
        app["http"] = ClientSession()

    async def webhook(request: web.Request) -> web.Response:
        raw = await request.read()
        stamp = request.headers["X-Slack-Request-Timestamp"]
        mine = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mine, request.headers["X-Slack-Signature"]):
            return web.Response(status=401)
        event = json.loads(raw)["event"]
        reply = {"channel": event["channel"], "text": "echo: " + event["text"]}
        async with request.app["http"].post(f"{api}/api/chat.postMessage", json=reply) as r:
            await r.json()
        return web.Response(text="")

    app = web.Application()
    app.on_startup.append(on_startup)
    app.router.add_post("/webhook", webhook)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_parley(port: int, data: str, api: str = API) -> None:
    """The bot under test, run by bot.py's own ``serve`` (so start-up tuning such as the
    collector's counts as it does in production)."""
    from dataclasses import replace

    from parley.core.config.settings import Settings

    from parley.app import Bot
    from parley.cli import serve

    @contextlib.asynccontextmanager
    async def lifted(settings: Settings) -> AsyncIterator[Bot]:
        async with Bot(settings) as app:
            slack = app.channels["slack"]
            # Lift Slack's real limits (1/s per channel) so the run measures our work, not waiting.
            slack.capabilities = replace(slack.capabilities, per_chat_rate=1e6, per_chat_burst=10**6)  # type: ignore[misc]
            slack.workspace_rate = 1e6  # type: ignore[attr-defined]
            yield app

    settings = Settings(
        _env_file=None,
        store_url=f"sqlite:///{data}/bench.db",
        http={"host": "127.0.0.1", "port": port},
        slack={"bot_token": "xoxb-bench", "signing_secret": SECRET, "api_base": api + "/api/"},
        flood_per_minute=1_000_000,
    )
    asyncio.run(serve(settings, lifted))  # type: ignore[arg-type]


# -- the driver ---------------------------------------------------------------------------------
def wrk(port: int, path: str, seconds: int, workdir: Path) -> dict[str, float]:
    subprocess.run(
        [sys.executable, str(BASELINES / "slack_events.py"), str(EVENTS), SECRET, path], cwd=workdir, check=True
    )
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", "-s", "slack_events.lua", f"http://127.0.0.1:{port}"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for label, key in (("50%", "p50"), ("99%", "p99")):
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        figures[key] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["non2xx"] = float(bad.group(1)) if bad else 0.0
    return figures


def metric(port: int, name: str) -> float:
    import urllib.request

    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    found = re.search(rf'^{name}_total{{channel="slack"}} ([\d.e+]+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


def max_load(seconds: int) -> dict[str, dict[str, float]]:
    """Each server in turn under wrk: events/s, p50/p99 of the ack, CPU per event."""
    nginx = Path(tempfile.mkdtemp(prefix="parley-bench-nginx-"))
    started_nginx = not listening(18081)
    if started_nginx:  # another run may already serve the fake: reuse it, never stop it
        settings = f"pid {nginx}/nginx.pid; error_log {nginx}/error.log;"
        subprocess.run(
            ["nginx", "-p", str(nginx), "-c", str(BASELINES / "nginx-fake.conf"), "-g", settings], check=True
        )
        wait_for(18081)
    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for name, path in (("bare aiohttp", "/webhook"), ("bolt alone", "/webhook"), ("parley", "/webhooks/slack")):
                with server(name, API, tmp) as (proc, port):
                    wrk(port, path, 2, work)  # warm-up (bolt's lazy auth.test, SQLite pages, JIT-free caches)
                    before = metric(port, "parley_messages_out") if name == "parley" else 0.0
                    cpu = cpu_seconds(proc.pid)
                    results[name] = wrk(port, path, seconds, work)
                    results[name]["cpu_us"] = (cpu_seconds(proc.pid) - cpu) / (results[name]["rps"] * seconds) * 1e6
                    if name == "parley":
                        results[name]["replies/s"] = (metric(port, "parley_messages_out") - before) / seconds
    finally:
        if started_nginx:
            os.kill(int((nginx / "nginx.pid").read_text().strip()), 15)
        shutil.rmtree(nginx, ignore_errors=True)
    return results


@contextlib.contextmanager
def server(name: str, api: str, data: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """One server under test on a free port, stopped afterwards."""
    port = free_port()
    if name == "parley":
        command = [sys.executable, __file__, "--parley", str(port), data, api]
    elif name == "bolt alone":
        command = [sys.executable, str(BASELINES / "bolt_alone.py"), str(port), api]
    else:
        command = [sys.executable, __file__, "--bare", str(port), api]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


async def at_rate(rate: float, seconds: float) -> dict[str, Latency]:
    """Bare and Parley at ``rate`` events/s (open loop), each after a one-second warm-up."""
    from bench.slack_rate import ApiFake, measure

    api = ApiFake()
    await api.start(free_port())
    out: dict[str, Latency] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, path in (("bare aiohttp", "/webhook"), ("parley", "/webhooks/slack")):
                with server(name, api.url, tmp) as (_, port):
                    url = f"http://127.0.0.1:{port}{path}"
                    await measure(api, url, SECRET, rate, 1.0)  # warm-up: first-turn loading, caches
                    out[name] = await measure(api, url, SECRET, rate, seconds)
    finally:
        await api.stop()
    return out


def figures(flags: RunFlags, seconds: int, rate: float | None = None) -> dict[str, float]:
    """The whole benchmark (or the rate mode alone, at ``rate``), printed; returns the figures
    ``bench.all`` reads."""
    out: dict[str, float] = {}
    if rate is None:
        if not shutil.which("wrk") or not shutil.which("nginx"):
            raise SystemExit("needs wrk and nginx: apt-get install -y nginx-light wrk")
        results = max_load(seconds)
        show_max(results, seconds)
        out.update({"bare": results["bare aiohttp"]["rps"], "bolt": results["bolt alone"]["rps"]})
        out.update({"parley": results["parley"]["rps"], "parley_replies": results["parley"]["replies/s"]})
        for name, key in (("bare aiohttp", "bare"), ("bolt alone", "bolt"), ("parley", "parley")):
            out[f"{key}_p99_ms"] = results[name]["p99"]
            out[f"{key}_cpu_us"] = results[name]["cpu_us"]
        rate = half(results["parley"]["rps"])
    latencies = asyncio.run(at_rate(rate, 3 if flags.quick else max(5, seconds)))
    print(f"\nopen loop at {rate:.0f} events/s (half of Parley's maximum), a DM per event, event -> reply posted:")
    for name, lat in latencies.items():
        print(lat.line(name))
    bare, parley = latencies["bare aiohttp"], latencies["parley"]
    print(f"parley p99 / bare p99: {parley.p99_ms / bare.p99_ms:.2f} (target: at most 2)")
    out.update({"half_rate": rate, "parley_p50_half_ms": parley.p50_ms, "parley_p99_half_ms": parley.p99_ms})
    out.update({"bare_p50_half_ms": bare.p50_ms, "bare_p99_half_ms": bare.p99_ms})
    return out


def show_max(results: dict[str, dict[str, float]], seconds: int) -> None:
    bare = results["bare aiohttp"]["rps"]
    print(f"wrk -t1 -c32 -d{seconds}s, {EVENTS} distinct signed message events, 500 DMs, nginx Web API fake")
    print(f"{'':14} {'events/s':>9} {'x bare':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU us/event':>13}")
    for name, r in results.items():
        print(f"{name:14} {r['rps']:9.0f} {r['rps'] / bare:7.2f} {r['p50']:7.2f} {r['p99']:7.2f} {r['cpu_us']:13.0f}")
    p = results["parley"]
    bolt = results["bolt alone"]["rps"]
    print(f"parley replies posted during the run: {p['replies/s']:.0f}/s (x{p['replies/s'] / p['rps']:.2f} of events)")
    print(f"parley: {p['rps'] / bare:.2f}x bare (target 0.5), {p['rps'] / bolt:.2f}x bolt alone (target 2)")
    if results["parley"]["non2xx"] or results["bare aiohttp"]["non2xx"]:
        print(f"non-2xx answers: parley {p['non2xx']:.0f}, bare {results['bare aiohttp']['non2xx']:.0f}")


def main(flags: RunFlags) -> None:
    args = sys.argv[1:]
    rate, positional = rate_option(args)
    seconds = int(positional[0]) if positional else 3 if flags.quick else 10
    emit(flags, "slack", figures(flags, seconds, rate))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bare"]:
        serve_bare(int(sys.argv[2]), *sys.argv[3:4])
    elif sys.argv[1:2] == ["--parley"]:
        serve_parley(int(sys.argv[2]), sys.argv[3], *sys.argv[4:5])
    else:
        main(run_flags())
