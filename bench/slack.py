"""Signed Slack events per second, p50 and p99, end to end, in one run, beside two baselines:

- bare: an aiohttp handler that verifies the signature, parses the event and posts one reply
  with a shared session before answering (the ceiling for a Python Slack bot in one process);
- bolt: slack-bolt's AsyncApp answering each DM with say() (bench/baselines/bolt_alone.py);
- parley: `python bot.py`'s Slack channel on the embedded SQLite store, replies through the outbox
  (Slack's rate limits lifted so every reply is really posted during the run).

The Web API is nginx answering {"ok":true} at C speed on 127.0.0.1:18081 (bench/baselines/nginx-fake.conf).
Needs `apt-get install -y nginx-light wrk`. Run: `.venv/bin/python bench/slack.py [seconds]`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after bench/ (a script's own folder): for bench.common

from bench.common import RunFlags, emit, run_flags  # noqa: E402

BASELINES = ROOT / "bench" / "baselines"
SECRET = "bench-secret"
API = "http://127.0.0.1:18081"
EVENTS = 20_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
def serve_bare(port: int) -> None:
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
        async with request.app["http"].post(f"{API}/api/chat.postMessage", json=reply) as r:
            await r.json()
        return web.Response(text="")

    app = web.Application()
    app.on_startup.append(on_startup)
    app.router.add_post("/webhook", webhook)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_parley(port: int, data: str) -> None:
    from dataclasses import replace

    from parley.core.config.settings import Settings

    from parley.app import Bot

    async def main() -> None:
        settings = Settings(
            _env_file=None,
            store_url=f"sqlite:///{data}/bench.db",
            http={"host": "127.0.0.1", "port": port},
            slack={"bot_token": "xoxb-bench", "signing_secret": SECRET, "api_base": API + "/api/"},
            flood_per_minute=1_000_000,
        )
        async with Bot(settings) as app:
            slack = app.channels["slack"]
            # Lift Slack's real limits (1/s per channel) so the run measures our work, not waiting.
            slack.capabilities = replace(slack.capabilities, per_chat_rate=1e6, per_chat_burst=10**6)  # type: ignore[misc]
            slack.workspace_rate = 1e6  # type: ignore[attr-defined]
            await asyncio.Event().wait()

    asyncio.run(main())


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


def main(flags: RunFlags) -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 3 if flags.quick else 10
    if not shutil.which("wrk") or not shutil.which("nginx"):
        raise SystemExit("needs wrk and nginx: apt-get install -y nginx-light wrk")
    nginx = Path(tempfile.mkdtemp(prefix="parley-bench-nginx-"))
    started_nginx = not listening(18081)
    if started_nginx:  # another run may already serve the fake: reuse it, never stop it
        settings = f"pid {nginx}/nginx.pid; error_log {nginx}/error.log;"
        subprocess.run(
            ["nginx", "-p", str(nginx), "-c", str(BASELINES / "nginx-fake.conf"), "-g", settings], check=True
        )
        wait_for(18081)
    procs: list[subprocess.Popen] = []
    results: dict[str, dict[str, float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            plans = [
                ("bare aiohttp", [sys.executable, __file__, "--bare"], "/webhook"),
                ("bolt alone", [sys.executable, str(BASELINES / "bolt_alone.py")], "/webhook"),
                ("parley", [sys.executable, __file__, "--parley"], "/webhooks/slack"),
            ]
            for name, command, path in plans:
                port = free_port()
                extra = [str(port), tmp] if name == "parley" else [str(port), API] if "bolt" in name else [str(port)]
                proc = subprocess.Popen(
                    command + extra, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                procs.append(proc)
                wait_for(port)
                wrk(port, path, 2, work)  # warm-up (bolt's lazy auth.test, SQLite pages, JIT-free caches)
                before = metric(port, "parley_messages_out") if name == "parley" else 0.0
                results[name] = wrk(port, path, seconds, work)
                if name == "parley":
                    results[name]["replies/s"] = (metric(port, "parley_messages_out") - before) / seconds
                    results[name]["accepted"] = metric(port, "parley_messages_in")
                proc.terminate()
                proc.wait(timeout=15)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        if started_nginx:
            os.kill(int((nginx / "nginx.pid").read_text().strip()), 15)
        shutil.rmtree(nginx, ignore_errors=True)
    bare = results["bare aiohttp"]["rps"]
    print(f"wrk -t1 -c32 -d{seconds}s, {EVENTS} distinct signed message events, 500 DMs, nginx Web API fake")
    print(f"{'':14} {'events/s':>9} {'x bare':>7} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:14} {r['rps']:9.0f} {r['rps'] / bare:7.2f} {r['p50']:7.2f} {r['p99']:7.2f} {r['non2xx']:8.0f}")
    p = results["parley"]
    print(f"parley replies posted during the run: {p['replies/s']:.0f}/s (x{p['replies/s'] / p['rps']:.2f} of events)")
    figures = {"bare": bare, "bolt": results["bolt alone"]["rps"], "parley": p["rps"], "parley_replies": p["replies/s"]}
    for name, key in (("bare aiohttp", "bare"), ("bolt alone", "bolt"), ("parley", "parley")):
        figures[f"{key}_p99_ms"] = results[name]["p99"]
    emit(flags, "slack", figures)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--bare"]:
        serve_bare(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--parley"]:
        serve_parley(int(sys.argv[2]), sys.argv[3])
    else:
        main(run_flags())
