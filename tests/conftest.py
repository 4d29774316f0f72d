"""Shared fixtures: a real Parley on a random port, real stores, and the CI rule that tests
needing Redis or Chromium fail (never skip) when CI=true."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from parley.core.config.settings import Settings

from parley.app import Bot

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REDIS_URL = os.environ.get("PARLEY_TEST_REDIS", "redis://127.0.0.1:6379/13")


def redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


def require(available: bool, what: str) -> None:
    if available:
        return
    if CI:
        pytest.fail(f"{what} is required when CI=true")
    pytest.skip(f"{what} not available")


@pytest.fixture
def redis_url() -> str:
    require(redis_up(), "Redis at 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture
def make_settings(tmp_path: Path):
    def make(**overrides) -> Settings:
        values = {"store_url": f"sqlite:///{tmp_path / 'parley.db'}", "http": {"host": "127.0.0.1", "port": 0}}
        values.update(overrides)
        return Settings(_env_file=None, **values)

    return make


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def parley(make_settings) -> AsyncIterator[Bot]:
    async with Bot(make_settings()) as app:
        yield app


async def eventually(predicate, timeout: float = 5.0):
    """Wait for a condition driven by background tasks, yielding to the loop (no fixed sleeps)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
