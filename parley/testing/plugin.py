"""Parley's pytest plugin: fixtures that run your bot on the real pipeline, in memory, on a clock
the test moves. pytest loads it by itself wherever Parley is installed (the ``pytest11`` entry
point ``parley``); ``-p no:parley`` turns it off.

Fixtures, each overridable by a fixture of the same name in your conftest.py:

- ``parley_clock``: the ``ManualClock`` the bot runs on (2026-01-01 00:00 UTC at the start).
- ``parley_settings``: ``Settings`` with the in-memory store and a free loopback port;
  everything else as configured (your ``PARLEY_*`` variables, no ``.env`` file).
- ``parley_bot``: the bot under test, not started: override it to test your own.
- ``parley_harness``: the started bot (`parley.testing.conversation.Harness`).
- ``conversation``: a customer in the web chat, in English (`parley.testing.conversation.Customer`).
- ``customer``: ``await customer("telegram", locale="es")`` for anyone else.

For example:

    async def test_order_status(conversation):
        [reply] = await conversation.say("/order 12345")
        assert "shipped" in reply.text
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from parley.app import Bot
from parley.core.config.settings import Settings
from parley.core.kernel.clock import ManualClock
from parley.testing.conversation import Customer, Harness

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - only without the "testing" extra
    pytest_asyncio = None


def _async_fixture(fn: Callable[..., Any]) -> Any:
    """An async fixture under pytest-asyncio in strict and auto mode alike; without it, a
    fixture that says what to install instead of a confusing "coroutine was never awaited".

    The loop is the test's own (function scope), whatever the project's default fixture loop
    scope: the web chat customer's reader task must run while the test awaits its replies."""
    if pytest_asyncio is not None:
        return pytest_asyncio.fixture(fn, loop_scope="function")

    @functools.wraps(fn)
    def missing(*args: Any, **kwargs: Any) -> None:
        pytest.fail("parley.testing's fixtures need pytest-asyncio: pip install 'parley[testing]'")

    return pytest.fixture(missing)


@pytest.fixture
def parley_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def parley_settings() -> Settings:
    return Settings(_env_file=None, store_url="memory://", http={"host": "127.0.0.1", "port": 0})


@pytest.fixture
def parley_bot(parley_settings: Settings, parley_clock: ManualClock) -> Bot:
    return Bot(parley_settings, clock=parley_clock)


@_async_fixture
async def parley_harness(parley_bot: Bot, parley_clock: ManualClock) -> AsyncIterator[Harness]:
    async with Harness(parley_bot, parley_clock) as harness:
        yield harness


@_async_fixture
async def conversation(parley_harness: Harness) -> Customer:
    return await parley_harness.customer()


@pytest.fixture
def customer(parley_harness: Harness) -> Callable[..., Awaitable[Customer]]:
    return parley_harness.customer
