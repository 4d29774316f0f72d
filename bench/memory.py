"""Memory: the Parley process's RSS as idle conversations and known people pile up, on SQLite and
on Redis, measured at several sizes to show it stays flat (nothing per conversation or per person
kept in process memory), beside the same process's RSS with nothing created (the baseline).

    .venv/bin/python -m bench.memory [--quick] [--json]

Each store gets a fresh process running a ``Bot`` with no platform channel configured and one
null channel (its sends are counted, not kept). Conversations go through the real pipeline: each
is a new person's one message (``Engine.deliver``: inbox, dedupe, lock, state, brain, commit,
outbox, send), then stays idle. People go through the stores' public API: a profile
(``Store.save_profile``) and a row of the people index (``ScheduleStore.put_person``). A warm-up
comes first (caches, the flood guard's window filled to its cap, the allocator's first arenas);
the figure is the RSS growth over the steps after it, per 10,000 conversations and per 100,000
people. Redis is a private redis-server on a free port; its own memory is not counted (it is the
store, and grows with the data by design).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import emit, rss_mb, run_flags  # noqa: E402


@dataclass(frozen=True)
class Sizes:
    warm: int  # conversations before the first measure
    step: int  # conversations per step
    steps: int
    people_warm: int
    people_step: int
    people_steps: int


# The warm-up passes the flood guard's cap (4,096 people: core/kernel/middleware.py). Redis turns
# cost more round trips, so its quick run is smaller (and its per-10,000 figure less precise).
QUICK = {
    "sqlite": Sizes(warm=4_500, step=2_000, steps=3, people_warm=5_000, people_step=10_000, people_steps=3),
    "redis": Sizes(warm=4_500, step=1_000, steps=3, people_warm=4_000, people_step=4_000, people_steps=3),
}
FULL = Sizes(warm=10_000, step=10_000, steps=3, people_warm=20_000, people_step=100_000, people_steps=3)


# -- the process under test ------------------------------------------------------------------------
def child(store_url: str, sizes: Sizes) -> None:
    """Runs in its own process: prints one JSON line per measure (stage, count, rss)."""
    import logging

    from parley.core.config.settings import Settings
    from parley.core.kernel.channel import Capabilities, Channel, ChannelContext
    from parley.core.kernel.messages import Address, Inbound, Reply
    from parley.core.schedule.store import PersonEntry

    from parley.app import Bot

    logging.disable(logging.WARNING)

    class Null(Channel):
        """Counts its sends and keeps nothing: a recording fake would itself grow per reply."""

        name = "null"
        capabilities = Capabilities(per_chat_rate=1e6, per_chat_burst=10**6, global_rate=1e9)

        def __init__(self, ctx: ChannelContext) -> None:
            super().__init__(ctx)
            self.sent = 0
            self.reached = asyncio.Event()
            self.goal = 0

        async def send(self, address: Address, reply: Reply) -> str:
            self.sent += 1
            if self.sent >= self.goal:
                self.reached.set()
            return reply.meta.get("id", "")

    began = time.perf_counter()

    def measure(stage: str, count: int) -> None:
        gc.collect()
        at = round(time.perf_counter() - began, 1)
        print(json.dumps({"stage": stage, "count": count, "rss": rss_mb(os.getpid()), "at": at}), flush=True)

    async def conversations(app: Bot, null: Null, start: int, n: int) -> None:
        null.goal = null.sent + n
        null.reached.clear()
        for i in range(start, start + n):
            address = Address(channel="null", chat=f"c{i}", user=f"u{i}")
            await app.engine.deliver(Inbound(address=address, event_id=f"e{i}", text="what are your opening hours?"))
        await asyncio.wait_for(null.reached.wait(), timeout=600)

    async def people(app: Bot, start: int, n: int) -> None:
        sched = app.scheduler.sched
        for first in range(start, start + n, 500):
            batch = range(first, min(first + 500, start + n))
            await asyncio.gather(*(known(app, sched, i) for i in batch))

    async def known(app: Bot, sched, i: int) -> None:
        address = Address(channel="sms", chat=f"+1555{i:07d}")
        await app.store.save_profile(address.person, {"name": f"Person {i}", "tags": ["newsletter"]})
        await sched.put_person(PersonEntry(address.person, address, "en", last_seen=1.7e9 + i, name=f"Person {i}"))

    async def main() -> None:
        settings = Settings(_env_file=None, store_url=store_url, http={"host": "127.0.0.1", "port": 0})
        async with Bot(settings, channels=[Null]) as app:
            null = app.channels["null"]
            measure("base", 0)
            await conversations(app, null, 0, sizes.warm)
            measure("conversations", sizes.warm)
            for step in range(1, sizes.steps + 1):
                await conversations(app, null, sizes.warm + (step - 1) * sizes.step, sizes.step)
                measure("conversations", sizes.warm + step * sizes.step)
            await people(app, 0, sizes.people_warm)
            measure("people", sizes.people_warm)
            for step in range(1, sizes.people_steps + 1):
                await people(app, sizes.people_warm + (step - 1) * sizes.people_step, sizes.people_step)
                measure("people", sizes.people_warm + step * sizes.people_step)

    asyncio.run(main())


# -- the driver ------------------------------------------------------------------------------------
def spawn(store_url: str, sizes: Sizes) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARLEY_")}
    env["PYTHONPATH"] = str(ROOT)
    argv = [sys.executable, __file__, "--child", store_url, "--sizes", json.dumps(asdict(sizes))]
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def points(proc: subprocess.Popen) -> list[dict]:
    stdout, stderr = proc.communicate()
    if proc.returncode:
        raise RuntimeError(f"the measured process failed: {stderr.strip().splitlines()[-1:]}")
    return [json.loads(x) for x in stdout.splitlines() if x.startswith("{")]


def growth(measured: list[dict], stage: str, per: int) -> tuple[float, list[float]]:
    """MB of RSS per ``per`` items over the steps after the warm-up (the median step: one step
    that met a one-off, an allocator's new arena, does not decide it), and each step's own."""
    mine = [p for p in measured if p["stage"] == stage]
    slopes = [(b["rss"] - a["rss"]) / (b["count"] - a["count"]) * per for a, b in zip(mine, mine[1:], strict=False)]
    return statistics.median(slopes), slopes


def stores(work: Path) -> list[tuple[str, str, object]]:
    from tests.integration.processes import RedisServer

    found: list[tuple[str, str, object]] = [("sqlite", f"sqlite:///{work / 'bench.db'}", None)]
    try:
        server = RedisServer(work / "redis", fsync="everysec")
        server.start()
        found.append(("redis", server.url, server))
    except (OSError, AssertionError) as exc:  # no redis-server here, or it would not start
        print(f"redis: skipped ({exc})")
    return found


def report(name: str, sizes: Sizes, measured: list[dict]) -> dict[str, float]:
    base = measured[0]["rss"]
    talk, talk_steps = growth(measured, "conversations", 10_000)
    known, known_steps = growth(measured, "people", 100_000)
    print(
        f"\n{name}: {sizes.warm:,} conversations to warm up, then {sizes.steps} steps of {sizes.step:,}; "
        f"{sizes.people_warm:,} people, then {sizes.people_steps} steps of {sizes.people_step:,}"
    )
    print(f"  RSS with nothing created {base:.1f} MB")
    for p in measured:
        print(f"  after {p['count']:>7,} {p['stage']:<13} {p['rss']:7.1f} MB  ({p['at']:.0f} s)")
    print(f"  growth per 10,000 conversations: {talk:+.2f} MB (steps: {', '.join(f'{s:+.2f}' for s in talk_steps)})")
    print(f"  growth per 100,000 people: {known:+.2f} MB (steps: {', '.join(f'{s:+.2f}' for s in known_steps)})")
    return {f"{name}_base_mb": base, f"{name}_conversations_mb": talk, f"{name}_people_mb": known}


def main() -> None:
    flags = run_flags()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, Sizes(**json.loads(args.sizes)))
        return
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        found = stores(Path(tmp))
        # Side by side: RSS does not depend on how fast the other one runs, and it halves the wait.
        running = [(name, QUICK[name] if flags.quick else FULL, server, url) for name, url, server in found]
        procs = [(name, sizes, server, spawn(url, sizes)) for name, sizes, server, url in running]
        try:
            for name, sizes, _, proc in procs:
                figures.update(report(name, sizes, points(proc)))
        finally:
            for _, _, server, proc in procs:
                if proc.poll() is None:
                    proc.kill()
                if server is not None:
                    server.stop()  # type: ignore[attr-defined]
    emit(flags, "memory", figures)


if __name__ == "__main__":
    main()
