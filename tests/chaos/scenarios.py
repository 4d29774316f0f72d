"""The faults, each a function ``(work folder, updates) -> [Figures per channel]`` that
tests/chaos/ asserts on and bench/chaos.py runs longer. The store faults are met by Telegram,
the web chat and Twilio SMS at once (``updates`` Telegram messages, half as many on each of the
other two); the model and platform-storm faults by Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

from parley.testing.fakes.openai import FakeOpenAI
from tests.chaos.disk import SmallDisk
from tests.chaos.harness import Cluster, Driver, Figures, answered, figures, kill_at
from tests.chaos.sides import Side, TelegramSide, TwilioSide, WebChatSide
from tests.integration.processes import RedisServer, http_status

SETTLE = 30.0  # seconds every acknowledged message has to get its answer after the load


@contextlib.asynccontextmanager
async def platforms(every: bool = True) -> AsyncIterator[list[Side]]:
    """Telegram, and with ``every`` the web chat and Twilio SMS too, each opened and closed."""
    async with contextlib.AsyncExitStack() as stack:
        made: list[Side] = [await TelegramSide().open()]
        if every:
            made += [await WebChatSide().open(), await TwilioSide().open()]
        for side in made:
            stack.push_async_callback(side.close)
        yield made


def drivers(cluster: Cluster, updates: int, concurrency: int = 16) -> list[Driver]:
    """The Telegram driver first (the faults follow its progress), then the others at half load."""
    first, *others = cluster.sides
    out = [Driver(cluster, first, updates, concurrency)]
    return out + [Driver(cluster, side, max(1, updates // 2), max(1, concurrency // 2)) for side in others]


async def _run(name: str, cluster: Cluster, load: list[Driver], *faults) -> list[Figures]:
    await cluster.start()
    try:
        await asyncio.gather(*(d.run() for d in load), *faults)
        await answered(load, SETTLE)
        out = [figures(name, d, cluster) for d in load]
        out[0].notes.append(f"{cluster.tracebacks()} tracebacks in the logs")
        return out
    finally:
        cluster.stop()


async def sigkill_sqlite(work: Path, updates: int) -> list[Figures]:
    async with platforms() as sides:
        cluster = Cluster(f"sqlite:///{work / 'parley.db'}", work, sides)
        load = drivers(cluster, updates)
        return await _run("SIGKILL under load, SQLite", cluster, load, kill_at(cluster, load[0], (0.5,)))


async def sigkill_redis(work: Path, updates: int) -> list[Figures]:
    redis = RedisServer(work / "redis")
    redis.start()
    try:
        async with platforms() as sides:
            cluster = Cluster(redis.url, work, sides)
            load = drivers(cluster, updates)
            return await _run("SIGKILL under load, Redis", cluster, load, kill_at(cluster, load[0], (0.5,)))
    finally:
        redis.stop()


async def redis_paused_and_restarted(work: Path, updates: int) -> list[Figures]:
    redis = RedisServer(work / "redis")
    redis.start()

    async def pause_then_restart(driver: Driver) -> None:
        await driver.when_acked(updates // 4)
        redis.proc.send_signal(signal.SIGSTOP)  # hung, not gone: sockets stay open, calls time out
        await asyncio.sleep(6)
        redis.proc.send_signal(signal.SIGCONT)
        await driver.when_acked(updates * 2 // 3)
        redis.stop()  # SIGTERM: the AOF is flushed
        await asyncio.sleep(2)
        redis.start()  # same port, same AOF

    try:
        async with platforms() as sides:
            cluster = Cluster(redis.url, work, sides)
            load = drivers(cluster, updates)
            return await _run("Redis paused 6 s, then restarted", cluster, load, pause_then_restart(load[0]))
    finally:
        with contextlib.suppress(Exception):
            redis.proc.send_signal(signal.SIGCONT)
        redis.stop()


async def disk_full(work: Path, updates: int) -> list[Figures]:
    async with SmallDisk(work / "disk") as disk, platforms() as sides:
        cluster = Cluster(f"sqlite:///{disk.path / 'parley.db'}", work, sides)
        load = drivers(cluster, updates)
        driver = load[0]
        seen: dict[str, int] = {}

        async def fill_then_free() -> None:
            await driver.when_acked(updates // 3)
            disk.fill(cluster.bot.proc.pid)
            await asyncio.sleep(3)  # load keeps arriving: webhooks answer 503, Telegram re-sends
            seen["readyz_full"] = await http_status(cluster.base + "/readyz")
            disk.free(cluster.bot.proc.pid)
            for _ in range(200):
                if await http_status(cluster.base + "/readyz") == 200:
                    seen["readyz_freed"] = 200
                    break
                await asyncio.sleep(0.1)

        out = await _run("disk full, then freed", cluster, load, fill_then_free())
        out[0].notes.append(f"/readyz {seen.get('readyz_full')} while full, {seen.get('readyz_freed')} once freed")
        out[0].notes.append(f"disk filled by {disk.how}")
        return out


async def llm_failing_and_slow(work: Path, updates: int) -> list[Figures]:
    calls = {"n": 0}

    def failing_then_slow(body: dict) -> dict:
        calls["n"] += 1
        return {"status": 500} if calls["n"] % 2 else {"delay": 30, "text": "too late"}

    async with FakeOpenAI(failing_then_slow) as model, platforms(every=False) as sides:
        llm = {"PARLEY_LLM__API_KEY": "sk-chaos-0123456789", "PARLEY_LLM__BASE_URL": model.base_url}
        cluster = Cluster(f"sqlite:///{work / 'parley.db'}", work, sides, PARLEY_LLM__TIMEOUT="3", **llm)
        load = drivers(cluster, updates, concurrency=4)
        out = await _run("LLM failing (500) and slow (30 s)", cluster, load)
        out[0].notes.append(f"{calls['n']} model calls")
        return out


async def platform_storms(work: Path, updates: int) -> list[Figures]:
    async with platforms(every=False) as sides:
        telegram = sides[0].fake
        telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=updates // 5)
        telegram.fail("sendMessage", 502, "Bad Gateway", times=updates // 5, after=updates // 4)
        cluster = Cluster(f"sqlite:///{work / 'parley.db'}", work, sides)
        return await _run("Telegram 429 and 502 storms", cluster, drivers(cluster, updates))


SCENARIOS = {
    "sigkill_sqlite": sigkill_sqlite,
    "sigkill_redis": sigkill_redis,
    "redis_paused": redis_paused_and_restarted,
    "disk_full": disk_full,
    "llm": llm_failing_and_slow,
    "storms": platform_storms,
}
