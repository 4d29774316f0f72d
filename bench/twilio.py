"""Inbound SMS end to end: Parley's Twilio channel beside a bare aiohttp handler, in one run.

    .venv/bin/python bench/twilio.py [N] [CONCURRENCY]

Three processes per target: a fake Twilio REST API (records when each reply arrives), the
server under test, and this driver posting N signed SMS webhooks from N distinct numbers with
CONCURRENCY in flight. "bare" checks the signature, posts the reply to the API and answers
TwiML: the ceiling for any Python Twilio bot in one process. Parley acks first and replies
through its durable outbox (SQLite store), so its ack is short and its reply comes after.
Figures: acks/s, replies/s end to end (first request to last reply), p50/p99 of the ack and of
the reply latency (request sent -> reply received by the API).
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, where this file's name would shadow
# the twilio package (and bench/locale.py the standard library's locale, which subprocess and
# tempfile import): drop the folder before importing anything else.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))  # the root, for bench.common

import asyncio  # noqa: E402
import base64  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from bench.common import RunFlags, emit, run_flags  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SID, TOKEN, FROM = "AC" + "0" * 32, "bench-token", "+15005550006"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the fake REST API ---------------------------------------------------------------------------
def run_fake(port: int) -> None:
    arrivals: dict[str, float] = {}

    async def create(request: web.Request) -> web.Response:
        form = await request.post()
        arrivals.setdefault(form["To"], time.time())
        n = len(arrivals)
        return web.json_response({"sid": f"SM{n:032x}", "status": "queued", "to": form["To"]}, status=201)

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(arrivals)

    async def reset(request: web.Request) -> web.Response:
        arrivals.clear()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", create)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- the bare handler --------------------------------------------------------------------------
def run_bare(port: int, api: str) -> None:
    validator = RequestValidator(TOKEN)
    auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()

    async def on_startup(app: web.Application) -> None:
        app["http"] = aiohttp.ClientSession()

    async def sms(request: web.Request) -> web.Response:
        form = await request.post()
        url = f"http://127.0.0.1:{port}{request.path_qs}"
        if not validator.validate(url, form, request.headers.get("X-Twilio-Signature", "")):
            raise web.HTTPForbidden()
        data = {"To": form["From"], "From": form["To"], "Body": "echo: " + form["Body"]}
        async with request.app["http"].post(
            f"{api}/2010-04-01/Accounts/{SID}/Messages.json", data=data, headers={"Authorization": auth}
        ) as resp:
            await resp.read()
        return web.Response(text=TWIML, content_type="text/xml")

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def on_cleanup(app: web.Application) -> None:
        await app["http"].close()

    app = web.Application()
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_post("/webhooks/twilio/sms", sms)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- the driver --------------------------------------------------------------------------------
def spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ, **(env or {})})


async def wait_up(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with http.get(url) as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def requests_for(port: int, prefix: str, n: int) -> list[tuple[str, dict[str, str], str]]:
    url = f"http://127.0.0.1:{port}/webhooks/twilio/sms"
    validator = RequestValidator(TOKEN)
    out = []
    for i in range(n):
        params = {
            "MessageSid": f"SM{prefix}{i:030d}",
            "AccountSid": SID,
            "From": f"+1{prefix}{i:08d}",
            "To": FROM,
            "Body": "Do you ship abroad?",
            "NumMedia": "0",
        }
        out.append((params["From"], params, validator.compute_signature(url, params)))
    return out


async def load(http, port, reqs, concurrency) -> tuple[dict[str, float], list[float], float]:
    url = f"http://127.0.0.1:{port}/webhooks/twilio/sms"
    sent_at: dict[str, float] = {}
    acks: list[float] = []
    queue = list(reversed(reqs))

    async def worker() -> None:
        while queue:
            sender, params, signature = queue.pop()
            t0 = time.time()
            sent_at[sender] = t0
            async with http.post(url, data=params, headers={"X-Twilio-Signature": signature}) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            acks.append(time.time() - t0)

    start = time.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sent_at, acks, start


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def measure(name, http, api, port, n, concurrency, prefix) -> dict[str, float]:
    warm = requests_for(port, prefix + "9", 100)
    await reset(http, api)
    await load(http, port, warm, concurrency)
    await wait_replies(http, api, len(warm))
    await reset(http, api)
    reqs = requests_for(port, prefix, n)
    sent_at, acks, start = await load(http, port, reqs, concurrency)
    acked = time.time()
    arrivals = await wait_replies(http, api, n)
    e2e = [arrivals[s] - sent_at[s] for s in sent_at]
    last = max(arrivals.values())
    return {
        "acks/s": n / (acked - start),
        "replies/s": n / (last - start),
        "ack p50": pct(acks, 50),
        "ack p99": pct(acks, 99),
        "reply p50": pct(e2e, 50),
        "reply p99": pct(e2e, 99),
    }


async def reset(http, api) -> None:
    async with http.post(f"{api}/reset") as resp:
        await resp.read()


async def wait_replies(http, api, n) -> dict[str, float]:
    for _ in range(3000):
        async with http.get(f"{api}/stats") as resp:
            arrivals = await resp.json()
        if len(arrivals) >= n:
            return arrivals
        await asyncio.sleep(0.05)
    raise RuntimeError(f"only {len(arrivals)} of {n} replies arrived")


async def main(n: int, concurrency: int, flags: RunFlags) -> None:
    fake_port, bare_port, parley_port = free_port(), free_port(), free_port()
    api = f"http://127.0.0.1:{fake_port}"
    procs = [spawn([__file__, "--fake", str(fake_port)])]
    results = {}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as http:
            await wait_up(http, f"{api}/stats")
            bare = spawn([__file__, "--bare", str(bare_port), api])
            procs.append(bare)
            await wait_up(http, f"http://127.0.0.1:{bare_port}/healthz")
            results["bare aiohttp"] = await measure("bare", http, api, bare_port, n, concurrency, "1")
            bare.terminate()
            bare.wait()
            with tempfile.TemporaryDirectory() as tmp:
                env = {
                    "PARLEY_STORE_URL": f"sqlite:///{tmp}/bench.db",
                    "PARLEY_HTTP__PORT": str(parley_port),
                    "PARLEY_PUBLIC_URL": f"http://127.0.0.1:{parley_port}",
                    "PARLEY_LOG_LEVEL": "WARNING",
                    "PARLEY_TWILIO__ACCOUNT_SID": SID,
                    "PARLEY_TWILIO__AUTH_TOKEN": TOKEN,
                    "PARLEY_TWILIO__SMS_FROM": FROM,
                    "PARLEY_TWILIO__API_BASE": api,
                    "PARLEY_TWILIO__SMS_RATE": "100000",  # measure Parley, not the long-code limit
                    "PARLEY_FLOOD_PER_MINUTE": "100000",
                }
                parley = spawn(["bot.py", "run"], env)
                procs.append(parley)
                await wait_up(http, f"http://127.0.0.1:{parley_port}/healthz")
                results["parley"] = await measure("parley", http, api, parley_port, n, concurrency, "2")
                parley.terminate()
                parley.wait()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait()
    cols = list(results["parley"])
    print(f"inbound SMS, {n} messages from {n} numbers, {concurrency} in flight, {os.cpu_count()} CPUs")
    print(f"{'':14}" + "".join(f"{c:>12}" for c in cols))
    for name, figures in results.items():
        print(f"{name:14}" + "".join(f"{figures[c]:12.1f}" for c in cols))
    ratio = results["parley"]["replies/s"] / results["bare aiohttp"]["replies/s"]
    print(f"parley / bare replies/s: {ratio:.2f}x  (latencies in ms)")
    figures = {"parley": results["parley"]["replies/s"], "bare": results["bare aiohttp"]["replies/s"]}
    for name, key in (("parley", "parley"), ("bare aiohttp", "bare")):
        figures[f"{key}_p99_ms"] = results[name]["reply p99"]
    emit(flags, "twilio", figures)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fake"]:
        run_fake(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--bare"]:
        run_bare(int(sys.argv[2]), sys.argv[3])
    else:
        flags = run_flags()
        args = [int(a) for a in sys.argv[1:3]]
        asyncio.run(main(*(args + [500 if flags.quick else 2000, 32][len(args) :]), flags))
