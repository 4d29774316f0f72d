"""The amortised sweep of discord.py's rate-limit buckets (parley.channels.discord.buckets)."""

from __future__ import annotations

import discord
import pytest
from discord.http import Ratelimit
from parley.channels.discord.buckets import FLOOR, AmortisedHTTPClient
from parley.channels.discord.gateway import GatewayClient


def key(n: int) -> str:
    return f"POST /channels/{{channel_id}}/messages:{n}"  # one bucket per DM channel, as discord.py keys them


async def test_a_new_bucket_costs_a_constant_number_of_idle_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    checks = 0
    is_inactive = Ratelimit.is_inactive

    def counted(self: Ratelimit) -> bool:
        nonlocal checks
        checks += 1
        return is_inactive(self)

    monkeypatch.setattr(Ratelimit, "is_inactive", counted)
    http = AmortisedHTTPClient(None)  # type: ignore[arg-type]
    for n in range(4000):
        http.get_ratelimit(key(n))
    # discord.py's own sweep checks every bucket at each new one past 256: about 7.5 million here.
    assert 0 < checks <= 2 * 4000
    assert len(http._buckets) == 4000  # none idle yet: every one kept


async def test_idle_buckets_are_still_evicted_and_live_ones_kept() -> None:
    http = AmortisedHTTPClient(None)  # type: ignore[arg-type]
    for n in range(FLOOR):  # the 256th runs the first sweep: nothing idle yet
        http.get_ratelimit(key(n))
    for n in range(200):  # these went quiet more than five minutes ago
        http._buckets[key(n)]._last_request -= 301
    for n in range(FLOOR, 2 * FLOOR):  # the map doubles: the next sweep runs
        http.get_ratelimit(key(n))
    assert not any(key(n) in http._buckets for n in range(200))
    assert all(key(n) in http._buckets for n in range(200, 2 * FLOOR))


async def test_a_bucket_with_a_request_waiting_is_never_evicted() -> None:
    http = AmortisedHTTPClient(None)  # type: ignore[arg-type]
    waiting = http.get_ratelimit(key(0))
    waiting._last_request -= 301
    waiting.outgoing = 1  # a request in flight on it
    for n in range(1, 2 * FLOOR + 1):
        http.get_ratelimit(key(n))
    assert http._buckets[key(0)] is waiting


async def test_the_gateway_client_sends_through_it_with_its_settings() -> None:
    client = GatewayClient(None, intents=discord.Intents(dm_messages=True), max_ratelimit_timeout=45.0)  # type: ignore[arg-type]
    assert isinstance(client.http, AmortisedHTTPClient)
    assert client._connection.http is client.http  # the state sends through the same one
    assert client.http.max_ratelimit_timeout == 45.0
    await client.close()
