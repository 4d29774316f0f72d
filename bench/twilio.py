"""Inbound SMS end to end: Parley's Twilio channel beside a bare aiohttp handler, in one run.

    .venv/bin/python bench/twilio.py [N] [CONCURRENCY] [--quick] [--rate R] [--seconds S] [--no-latency]

Three processes per target: a fake Twilio REST API (records when each reply arrives), the
server under test, and this driver posting N signed SMS webhooks from N distinct numbers with
CONCURRENCY in flight. "bare" checks the signature, posts the reply to the API and answers
TwiML: the ceiling for any Python Twilio bot in one process. Parley acks first and replies
through its durable outbox (SQLite store), so its ack is short and its reply comes after.
Figures: acks/s, replies/s end to end (first request to last reply), p50/p99 of the ack and of
the reply latency (request sent -> reply received by the API). Then both run again open loop
(bench/rate.py) at half of Parley's maximum replies/s, for the p99 of SMS-in-to-reply at the same
load; ``--rate`` runs only that, at the rate given.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, where this file's name would shadow
# the twilio package (and bench/locale.py the standard library's locale, which subprocess and
# tempfile import): drop the folder before importing anything else.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import base64  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from contextlib import asynccontextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

sys.path.append(str(Path(__file__).resolve().parent.parent))  # the root, for bench.rate
from bench.common import RunFlags, cpu_seconds, emit, free_port, pct  # noqa: E402
from bench.rate import (  # noqa: E402
    Latency,
    add_rate_arguments,
    half,
    latency,
    latency_figures,
    open_loop,
    rate_seconds,
    report,
)

ROOT = Path(__file__).resolve().parent.parent
SID, TOKEN, FROM = "AC" + "0" * 32, "bench-token", "+15005550006"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


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


async def measure(name, http, api, port, n, concurrency, prefix, pid) -> dict[str, float]:
    warm = requests_for(port, prefix + "9", 100)
    await reset(http, api)
    await load(http, port, warm, concurrency)
    await wait_replies(http, api, len(warm))
    await reset(http, api)
    reqs = requests_for(port, prefix, n)
    cpu = cpu_seconds(pid)
    sent_at, acks, start = await load(http, port, reqs, concurrency)
    acked = time.time()
    arrivals = await wait_replies(http, api, n)
    cpu = cpu_seconds(pid) - cpu
    e2e = [arrivals[s] - sent_at[s] for s in sent_at]
    last = max(arrivals.values())
    return {
        "acks/s": n / (acked - start),
        "replies/s": n / (last - start),
        "ack p50": pct(acks, 50) * 1000,
        "ack p99": pct(acks, 99) * 1000,
        "reply p50": pct(e2e, 50) * 1000,
        "reply p99": pct(e2e, 99) * 1000,
        "CPU us/msg": cpu / n * 1e6,  # the server's, SMS in to reply out
    }


async def reset(http, api) -> None:
    async with http.post(f"{api}/reset") as resp:
        await resp.read()


async def wait_replies(http, api, n, give_up: bool = False) -> dict[str, float]:
    """The fake's arrivals once ``n`` replies came; after 150 s an error, or with ``give_up``
    what came (the missing ones count as lost)."""
    for _ in range(3000):
        async with http.get(f"{api}/stats") as resp:
            arrivals = await resp.json()
        if len(arrivals) >= n:
            return arrivals
        await asyncio.sleep(0.05)
    if give_up:
        return arrivals
    raise RuntimeError(f"only {len(arrivals)} of {n} replies arrived")


async def measure_at(http, api, port, reqs, rate) -> Latency:
    """Open loop at ``rate``: SMS-in (planned send) to reply received by the fake API."""
    url = f"http://127.0.0.1:{port}/webhooks/twilio/sms"
    await reset(http, api)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as loose:

        async def post(i: int) -> None:
            _, params, signature = reqs[i]
            async with loose.post(url, data=params, headers={"X-Twilio-Signature": signature}) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"webhook answered {resp.status}")

        planned, failed = await open_loop(post, rate, len(reqs), clock=time.time)
    arrivals = await wait_replies(http, api, len(reqs), give_up=True)
    return latency(rate, ((t, arrivals.get(reqs[i][0])) for i, t in planned.items()), failed)


@asynccontextmanager
async def serving(kind: str, http, api: str, tmp: str) -> AsyncIterator[tuple[int, int]]:
    """The bare handler or Parley (SQLite store in ``tmp``) up and answering; yields its port
    and pid."""
    port = free_port()
    if kind == "bare":
        proc = spawn([__file__, "--bare", str(port), api])
    else:
        env = {
            "PARLEY_STORE_URL": f"sqlite:///{tmp}/bench-{port}.db",
            "PARLEY_HTTP__PORT": str(port),
            "PARLEY_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "PARLEY_LOG_LEVEL": "WARNING",
            "PARLEY_TWILIO__ACCOUNT_SID": SID,
            "PARLEY_TWILIO__AUTH_TOKEN": TOKEN,
            "PARLEY_TWILIO__SMS_FROM": FROM,
            "PARLEY_TWILIO__API_BASE": api,
            "PARLEY_TWILIO__SMS_RATE": "100000",  # measure Parley, not the long-code limit
            "PARLEY_FLOOD_PER_MINUTE": "100000",
        }
        proc = spawn(["bot.py", "run"], env)
    try:
        await wait_up(http, f"http://127.0.0.1:{port}/healthz")
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait()


@dataclass
class Figures:
    """What one run measured, for ``python -m bench.all`` and the printout."""

    at_max: dict[str, dict[str, float]] = field(default_factory=dict)  # "bare aiohttp", "parley"
    at_rate: dict[str, Latency] = field(default_factory=dict)


async def run(args) -> Figures:
    """The measurements ``args`` ask for (see ``options``); prints nothing."""
    fake_port = free_port()
    api = f"http://127.0.0.1:{fake_port}"
    fake = spawn([__file__, "--fake", str(fake_port)])
    figures = Figures()
    targets = (("bare aiohttp", "bare", "1"), ("parley", "parley", "2"))
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency)) as http:
            await wait_up(http, f"{api}/stats")
            with tempfile.TemporaryDirectory() as tmp:
                if args.rate is None:
                    for name, kind, prefix in targets:
                        async with serving(kind, http, api, tmp) as (port, pid):
                            figures.at_max[name] = await measure(
                                name, http, api, port, args.n, args.concurrency, prefix, pid
                            )
                rate = args.rate or (half(figures.at_max["parley"]["replies/s"]) if args.latency else None)
                if rate:
                    count = max(1, int(rate * args.seconds))
                    for name, kind, prefix in targets:
                        async with serving(kind, http, api, tmp) as (port, _):
                            warm = requests_for(port, prefix + "8", 100)
                            await reset(http, api)
                            await load(http, port, warm, args.concurrency)
                            await wait_replies(http, api, len(warm))
                            reqs = requests_for(port, prefix + "7", count)  # signed before the clock starts
                            figures.at_rate[name] = await measure_at(http, api, port, reqs, rate)
    finally:
        fake.terminate()
        fake.wait()
    return figures


async def main(args) -> None:
    figures = await run(args)
    results = figures.at_max
    if results:
        cols = list(results["parley"])
        print(
            f"inbound SMS, {args.n} messages from {args.n} numbers, {args.concurrency} in flight, {os.cpu_count()} CPUs"
        )
        print(f"{'':14}" + "".join(f"{c:>12}" for c in cols))
        for name, row in results.items():
            print(f"{name:14}" + "".join(f"{row[c]:12.1f}" for c in cols))
        ratio = results["parley"]["replies/s"] / results["bare aiohttp"]["replies/s"]
        cpu = results["bare aiohttp"]["CPU us/msg"] / results["parley"]["CPU us/msg"]
        print(f"parley / bare replies/s: {ratio:.2f}x, CPU per message bare / parley: {cpu:.2f}x  (latencies in ms)")
    if figures.at_rate:
        print(f"open loop, {args.seconds:g} s at the rate, latency from the planned SMS to the reply at the API")
        for line in report(figures.at_rate, "parley", "bare aiohttp"):
            print(line)
    found = {}
    for name, key in (("parley", "parley"), ("bare aiohttp", "bare")):
        if name in results:
            found[key] = results[name]["replies/s"]
            found[f"{key}_p99_ms"] = results[name]["reply p99"]
    found.update(latency_figures(figures.at_rate, "parley", "bare aiohttp"))
    emit(RunFlags(quick=args.quick, json=args.json), "twilio", found)


def options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", help="messages at the maximum (2,000; 500 with --quick)")
    parser.add_argument("concurrency", type=int, nargs="?", default=32)
    add_rate_arguments(parser, "messages", quick="500 messages")
    args = parser.parse_args(argv)
    args.n = args.n or (500 if args.quick else 2000)
    args.seconds = rate_seconds(args)
    return args


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fake"]:
        run_fake(int(sys.argv[2]))
    elif sys.argv[1:2] == ["--bare"]:
        run_bare(int(sys.argv[2]), sys.argv[3])
    else:
        asyncio.run(main(options(sys.argv[1:])))
