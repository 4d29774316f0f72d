"""Telegram webhook throughput, end to end: update in -> sendMessage at the fake Bot API.

    .venv/bin/python bench/telegram.py [--updates 4000] [--rounds 3] [--stores sqlite,memory] [--quick]
    .venv/bin/python bench/telegram.py --rate 400 [--seconds 10]   # latency only, at 400 updates/s

One run measures, in alternating rounds against the same fast fake:
- ``bare``: bench/baselines/bare_ceiling.py (parse, one aiohttp post, answer 200);
- ``aiogram``: bench/baselines/aiogram_alone.py (SimpleRequestHandler + a handler answering);
- ``parley``: Parley's Telegram channel with dedupe, per-conversation locks, state saving and
  the durable outbox on (SQLite store, the embedded default) and the offline retrieval brain.

After the maximum, the bare handler and Parley are run again at half of Parley's maximum, open
loop (bench/rate.py), for the p99 of update-to-sendMessage at the same load. ``--rate`` runs only
that, at the rate given.

Each update comes from a new chat (people who write once), so no send is held back by
Telegram's one-message-per-second-per-chat rule, which Parley enforces. Latency is from the
moment the update is posted to the moment the fake receives the first sendMessage for its chat.
The fake and the load generator share this process (one clock); each bot runs in its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, Python puts bench/ first on sys.path, where bench/locale.py would shadow the
# standard library's ``locale`` (argparse and babel import it): put the project root there instead.
ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator  # noqa: E402
from contextlib import asynccontextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from urllib.parse import parse_qs  # noqa: E402

import aiohttp  # noqa: E402

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

BASELINES = ROOT / "bench" / "baselines"
TOKEN = "123:abc"  # what the baselines use
SECRET = "bench-secret"
ME = b'{"ok":true,"result":{"id":123,"is_bot":true,"first_name":"Bench","username":"BenchBot"}}'
TRUE = b'{"ok":true,"result":true}'
MESSAGE = '{"ok":true,"result":{"message_id":1,"date":1700000000,"chat":{"id":%s,"type":"private"},"text":"ok"}}'


class FastFake(asyncio.Protocol):
    """A minimal HTTP/1.1 Bot API: keep-alive, Content-Length bodies, canned answers. It notes
    when the first sendMessage for each chat arrives."""

    arrivals: dict[int, float] = {}
    methods: dict[str, int] = {}

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            body, self.buffer = self.buffer[head_end + 4 : end], self.buffer[end:]
            self.answer(head.split(" ", 2)[1], head, body)

    def answer(self, path: str, head: str, body: bytes) -> None:
        method = path.rsplit("/", 1)[-1]
        FastFake.methods[method] = FastFake.methods.get(method, 0) + 1
        if method == "sendMessage":
            if "application/json" in head.lower():
                chat = int(json.loads(body)["chat_id"])
            else:
                chat = int(parse_qs(body.decode())["chat_id"][0])
            FastFake.arrivals.setdefault(chat, time.perf_counter())
            payload = (MESSAGE % chat).encode()
        elif method == "getMe":
            payload = ME
        else:
            payload = TRUE
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(payload), payload)
        )


def update(n: int) -> bytes:
    chat = 10_000_000 + n
    return json.dumps(
        {
            "update_id": n,
            "message": {
                "message_id": n,
                "date": 1700000000,
                "chat": {"id": chat, "type": "private"},
                "from": {"id": chat, "is_bot": False, "first_name": "A", "language_code": "en"},
                "text": f"hello {n}",
            },
        }
    ).encode()


async def wait_port(port: int, proc: asyncio.subprocess.Process, timeout: float = 120.0) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.returncode is not None:
            raise RuntimeError(f"bot exited with {proc.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise RuntimeError("bot did not start")


async def load(url: str, first: int, count: int, concurrency: int, headers: dict) -> tuple[dict[int, float], float]:
    """Post ``count`` updates with ``concurrency`` keep-alive connections; returns post times."""
    posted: dict[int, float] = {}
    numbers = iter(range(first, first + count))
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as http:

        async def worker() -> None:
            for n in numbers:
                posted[10_000_000 + n] = time.perf_counter()
                async with http.post(url, data=update(n), headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"webhook answered {resp.status}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        acked = time.perf_counter() - started
    return posted, acked


@asynccontextmanager
async def started(cmd: list[str], path: str, args, headers: dict) -> AsyncIterator[tuple[str, int, int]]:
    """The target running and warmed up: yields its webhook URL, its pid and the first unused
    update number."""
    port = int(cmd[-2])
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await wait_port(port, proc)
        url = f"http://127.0.0.1:{port}{path}"
        base = int(time.time() * 1000) % 1_000_000_000 * 10  # distinct update ids across runs
        warm = 300
        await load(url, base, warm, args.concurrency, headers)
        await drain(range(base, base + warm), 30)
        FastFake.arrivals.clear()
        yield url, proc.pid, base + warm
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()


async def measure(name: str, cmd: list[str], path: str, api: str, args, headers: dict) -> dict:
    """One target, one round: start it, warm it up, post the updates, wait for every reply."""
    async with started(cmd, path, args, headers) as (url, pid, first):
        spy = await _profiler(pid, name)
        cpu = cpu_seconds(pid)
        posted, acked = await load(url, first, args.updates, args.concurrency, headers)
        missing = await drain(range(first, first + args.updates), 60)
        cpu = cpu_seconds(pid) - cpu
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its flame data on SIGINT
            await spy.wait()
    arrivals = FastFake.arrivals
    lat = [(arrivals[c] - t) * 1000 for c, t in posted.items() if c in arrivals]
    span = max(arrivals.values()) - min(posted.values())
    return {
        "name": name,
        "rate": len(lat) / span,
        "ack_rate": args.updates / acked,
        "p50": pct(lat, 50),
        "p99": pct(lat, 99),
        "missing": missing,
        "cpu_us": cpu / args.updates * 1e6,
    }


async def measure_at(cmd: list[str], path: str, args, headers: dict, rate: float) -> Latency:
    """One target at a fixed rate, open loop (bench/rate.py): update-to-sendMessage latency."""
    count = max(1, int(rate * args.seconds))
    async with started(cmd, path, args, headers) as (url, _, first):
        # As many connections as requests in flight: a pool limit would queue them here.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

            async def post(i: int) -> None:
                async with http.post(url, data=update(first + i), headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"webhook answered {resp.status}")

            planned, failed = await open_loop(post, rate, count)
        await drain(range(first, first + count), 60)
    arrivals = FastFake.arrivals
    return latency(rate, ((t, arrivals.get(10_000_000 + first + i)) for i, t in planned.items()), failed)


async def _profiler(pid: int, name: str) -> asyncio.subprocess.Process | None:
    """PARLEY_BENCH_PYSPY=out.txt: sample the Parley process with py-spy (collapsed stacks)."""
    out = os.environ.get("PARLEY_BENCH_PYSPY")
    if not out or not name.startswith("parley"):
        return None
    spy = os.environ.get("PY_SPY", "py-spy")
    cmd = [spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--output", out, "--nonblocking"]
    return await asyncio.create_subprocess_exec(*cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def drain(numbers: range, timeout: float) -> int:
    """Wait until every update's reply reached the fake; returns how many never did."""
    chats = {10_000_000 + n for n in numbers}
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        missing = len(chats - FastFake.arrivals.keys())
        if not missing:
            return 0
        await asyncio.sleep(0.02)
    return len(chats - FastFake.arrivals.keys())


def targets(args, api: str, tmp: str) -> list[tuple[str, list[str], str, dict]]:
    py = sys.executable
    plain = {"Content-Type": "application/json"}
    signed = {**plain, "X-Telegram-Bot-Api-Secret-Token": SECRET}
    found = []
    if args.only in (None, "bare"):
        found.append(("bare aiohttp handler", [py, str(BASELINES / "bare_ceiling.py")], "/webhook", plain))
    if args.only in (None, "aiogram"):
        found.append(("aiogram alone", [py, str(BASELINES / "aiogram_alone.py")], "/webhook", plain))
    if args.only in (None, "parley"):
        for store in args.stores.split(","):
            # "sqlite": the embedded default, a file on disk; "sqlite-tmpfs": the same file in
            # /dev/shm (no disk waits); "memory": the in-process store.
            folder = Path("/dev/shm" if store == "sqlite-tmpfs" else tmp) / store
            folder.mkdir(parents=True, exist_ok=True)
            url = "memory://" if store == "memory" else f"sqlite:///{folder}/bench.db"
            found.append((f"parley ({store})", [py, __file__, "--serve-parley", url], "/webhooks/telegram", signed))
    return found


@dataclass
class Figures:
    """What one run measured: each target's rounds at its maximum, and the latency at a fixed
    rate (bare and Parley on the first store), for ``python -m bench.all`` and the printout."""

    rounds: dict[str, list[dict]] = field(default_factory=dict)  # target -> one dict per round
    at_rate: dict[str, Latency] = field(default_factory=dict)

    def median(self, name: str, key: str) -> float:
        return statistics.median(r[key] for r in self.rounds[name])


async def run(args) -> Figures:
    """The measurements ``args`` ask for (see ``options``); prints nothing."""
    loop = asyncio.get_running_loop()
    api_port = free_port()
    server = await loop.create_server(FastFake, "127.0.0.1", api_port, backlog=1024)
    api = f"http://127.0.0.1:{api_port}"
    figures = Figures()
    with tempfile.TemporaryDirectory() as tmp:
        found = targets(args, api, tmp)
        # Rounds alternate the targets, so a neighbour's load on a shared machine falls on all
        # of them alike; the table shows each target's median round.
        for _ in range(args.rounds if args.rate is None else 0):
            for name, cmd, path, headers in found:
                run = await measure(name, [*cmd, str(free_port()), api], path, api, args, headers)
                figures.rounds.setdefault(name, []).append(run)
        parley = next((name for name in figures.rounds if name.startswith("parley")), None)
        rate = args.rate or (half(figures.median(parley, "rate")) if parley and args.latency else None)
        if rate:
            for name, cmd, path, headers in found:
                if name.startswith("aiogram") or (name.startswith("parley") and name != _first_parley(found)):
                    continue  # the latency rows compare Parley (its first store) with the bare handler
                figures.at_rate[name] = await measure_at([*cmd, str(free_port()), api], path, args, headers, rate)
    server.close()
    return figures


def _first_parley(found: list[tuple[str, list[str], str, dict]]) -> str | None:
    return next((name for name, *_ in found if name.startswith("parley")), None)


async def main(args) -> None:
    figures = await run(args)
    results = figures.rounds
    median = figures.median
    if results:
        base = "aiogram alone" if "aiogram alone" in results else None
        print(f"{args.updates} updates x {args.rounds} rounds, {args.concurrency} connections, {os.cpu_count()} cores")
        head = f"{'':22} {'updates/s':>9} {'acks/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'vs aiogram':>10}"
        print(f"{head} {'CPU us/update':>13} {'vs aiogram':>10} {'lost':>4}")
        for name in results:
            rate, cpu = median(name, "rate"), median(name, "cpu_us")
            ratio = f"{rate / median(base, 'rate'):.2f}x" if base else "-"
            cpu_ratio = f"{median(base, 'cpu_us') / cpu:.2f}x" if base else "-"
            lost = sum(r["missing"] for r in results[name])
            print(
                f"{name:22} {rate:>9.0f} {median(name, 'ack_rate'):>7.0f} {median(name, 'p50'):>7.1f}"
                f" {median(name, 'p99'):>7.1f} {ratio:>10} {cpu:>13.0f} {cpu_ratio:>10} {lost:>4}"
            )
        if base and args.rounds > 1:
            for name in results:
                rounds = " ".join(
                    f"{r['rate'] / a['rate']:.2f}" for r, a in zip(results[name], results[base], strict=True)
                )
                print(f"  per round, updates/s vs aiogram, {name}: {rounds}")
        for name in results:
            print(f"  per round, CPU us/update, {name}: " + " ".join(f"{r['cpu_us']:.0f}" for r in results[name]))
        bare = "bare aiohttp handler"
        parley = _first_parley([(n, [], "", {}) for n in results])
        if bare in results and parley:
            print(f"{parley} / bare updates/s: {median(parley, 'rate') / median(bare, 'rate'):.2f}x")
    parley = next((n for n in figures.at_rate if n.startswith("parley")), "parley")
    if figures.at_rate:
        print(f"open loop, {args.seconds:g} s at the rate, latency from the planned post to the first sendMessage")
        for line in report(figures.at_rate, parley, "bare aiohttp handler"):
            print(line)
    found = {}
    for name in results:
        key = name.split(" ")[0]  # bare, aiogram, parley (the first store's row is the one quoted)
        for figure, suffix in (("rate", ""), ("p99", "_p99_ms"), ("cpu_us", "_cpu_us")):
            found.setdefault(key + suffix, median(name, figure))
    found.update(latency_figures(figures.at_rate, parley, "bare aiohttp handler"))
    emit(RunFlags(quick=args.quick, json=args.json), "telegram", found)


def options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--only", choices=["bare", "aiogram", "parley"])
    parser.add_argument("--stores", default="sqlite", help="comma-separated: sqlite, sqlite-tmpfs, memory")
    parser.add_argument("--rounds", type=int)
    add_rate_arguments(parser, "updates", quick="1,000 updates, one round")
    args = parser.parse_args(argv)
    args.updates = args.updates or (1000 if args.quick else 4000)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = rate_seconds(args)
    return args


def serve_parley(store_url: str, port: int, api: str) -> None:
    """The bot under test: Parley with only the Telegram channel's webhook, run by bot.py's own
    ``serve`` (so start-up tuning such as gc.freeze counts as it does in production)."""
    import logging

    from parley.core.config.settings import Settings

    from parley.app import Bot
    from parley.cli import serve

    logging.basicConfig(level=logging.WARNING)
    settings = Settings(
        _env_file=None,
        store_url=store_url,
        http={"host": "127.0.0.1", "port": port},
        public_url=f"http://127.0.0.1:{port}",
        # Telegram's ~30/s per bot is for broadcasts; replies here go to new chats each time.
        telegram={"token": TOKEN, "api_base": api, "mode": "webhook", "webhook_secret": SECRET, "bot_rate": 1e6},
    )

    profile = os.environ.get("PARLEY_BENCH_PROFILE")  # a path: write cProfile stats there
    if profile:
        import cProfile

        cProfile.runctx("asyncio.run(serve(settings, Bot))", globals(), locals(), profile)
    else:
        asyncio.run(serve(settings, Bot))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve-parley":
        serve_parley(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        sys.exit(0)
    asyncio.run(main(options(sys.argv[1:])))
