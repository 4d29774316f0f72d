"""The faults, each a function ``(work folder, updates) -> Figures`` that tests/chaos/ asserts on
and bench/chaos.py runs longer."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

from parley.testing.fakes.openai import FakeOpenAI
from tests.chaos.disk import SmallDisk
from tests.chaos.harness import Cluster, Driver, Figures, StampedTelegram, answered, figures, kill_at
from tests.integration.processes import RedisServer, http_status

SETTLE = 30.0  # seconds every acknowledged update has to get its answer after the load


async def _run(name: str, cluster: Cluster, telegram: StampedTelegram, driver: Driver, *faults) -> Figures:
    await cluster.start()
    try:
        await asyncio.gather(driver.run(), *faults)
        await answered(telegram, driver, SETTLE)
        out = figures(name, telegram, driver, cluster)
        out.notes.append(f"{cluster.tracebacks()} tracebacks in the logs")
        return out
    finally:
        cluster.stop()


async def sigkill_sqlite(work: Path, updates: int) -> Figures:
    async with StampedTelegram() as telegram:
        cluster = Cluster(f"sqlite:///{work / 'parley.db'}", work, telegram)
        driver = Driver(cluster, updates)
        return await _run("SIGKILL under load, SQLite", cluster, telegram, driver, kill_at(cluster, driver, (0.5,)))


async def sigkill_redis(work: Path, updates: int) -> Figures:
    redis = RedisServer(work / "redis")
    redis.start()
    try:
        async with StampedTelegram() as telegram:
            cluster = Cluster(redis.url, work, telegram)
            driver = Driver(cluster, updates)
            faults = kill_at(cluster, driver, (0.5,))
            return await _run("SIGKILL under load, Redis", cluster, telegram, driver, faults)
    finally:
        redis.stop()


async def redis_paused_and_restarted(work: Path, updates: int) -> Figures:
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
        async with StampedTelegram() as telegram:
            cluster = Cluster(redis.url, work, telegram)
            driver = Driver(cluster, updates)
            return await _run("Redis paused 6 s, then restarted", cluster, telegram, driver, pause_then_restart(driver))
    finally:
        with contextlib.suppress(Exception):
            redis.proc.send_signal(signal.SIGCONT)
        redis.stop()


async def disk_full(work: Path, updates: int) -> Figures:
    async with SmallDisk(work / "disk") as disk, StampedTelegram() as telegram:
        cluster = Cluster(f"sqlite:///{disk.path / 'parley.db'}", work, telegram)
        driver = Driver(cluster, updates)
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

        out = await _run("disk full, then freed", cluster, telegram, driver, fill_then_free())
        out.notes.append(f"/readyz {seen.get('readyz_full')} while full, {seen.get('readyz_freed')} once freed")
        out.notes.append(f"disk filled by {disk.how}")
        return out


async def llm_failing_and_slow(work: Path, updates: int) -> Figures:
    calls = {"n": 0}

    def failing_then_slow(body: dict) -> dict:
        calls["n"] += 1
        return {"status": 500} if calls["n"] % 2 else {"delay": 30, "text": "too late"}

    async with FakeOpenAI(failing_then_slow) as model, StampedTelegram() as telegram:
        llm = {"PARLEY_LLM__API_KEY": "sk-chaos-0123456789", "PARLEY_LLM__BASE_URL": model.base_url}
        cluster = Cluster(f"sqlite:///{work / 'parley.db'}", work, telegram, PARLEY_LLM__TIMEOUT="3", **llm)
        driver = Driver(cluster, updates, concurrency=4)
        out = await _run("LLM failing (500) and slow (30 s)", cluster, telegram, driver)
        late = [m["at"] - driver.acked[int(m["chat_id"]) - 100_000] for m in telegram.sent]
        out.notes.append(f"slowest answer {max(late, default=0):.1f} s after its ack, {calls['n']} model calls")
        return out


async def platform_storms(work: Path, updates: int) -> Figures:
    async with StampedTelegram() as telegram:
        telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, times=updates // 5)
        telegram.fail("sendMessage", 502, "Bad Gateway", times=updates // 5, after=updates // 4)
        cluster = Cluster(f"sqlite:///{work / 'parley.db'}", work, telegram)
        driver = Driver(cluster, updates)
        return await _run("Telegram 429 and 502 storms", cluster, telegram, driver)


SCENARIOS = {
    "sigkill_sqlite": sigkill_sqlite,
    "sigkill_redis": sigkill_redis,
    "redis_paused": redis_paused_and_restarted,
    "disk_full": disk_full,
    "llm": llm_failing_and_slow,
    "storms": platform_storms,
}
