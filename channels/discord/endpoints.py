"""Pointing discord.py at another REST API and gateway (PARLEY_DISCORD__API_BASE, __GATEWAY_URL).

discord.py 2.7 has no per-client base URL. Every REST URL is built as ``Route.BASE + path``
(``Route.BASE`` is a class attribute, read in ``Route.__init__``), and that includes the
interaction callbacks its webhook adapter sends, which bypass ``HTTPClient.request``; the first
gateway connection, and the one after an invalidated session, go to the class attribute
``DiscordWebSocket.DEFAULT_GATEWAY`` (a plain ``Client`` never asks ``GET /gateway/bot``).
Resumes use the ``resume_gateway_url`` the gateway itself sent in READY.

So the two values are set on those classes: process-wide, which matches Parley (one Discord bot
token per process, from one Settings). A subclassed HTTPClient could rebase REST per client,
but would miss the interaction callbacks: half-pointed is worse than process-wide. The previous
values are restored on close so tests with fakes on different ports stay independent.
"""

from __future__ import annotations

from collections.abc import Callable

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route


def point_sdk_at(api_base: str, gateway_url: str) -> Callable[[], None]:
    """Set the SDK's endpoints when configured; return a function that puts the old ones back.

    ``api_base`` is the versioned API root, like Discord's own ``https://discord.com/api/v10``;
    ``gateway_url`` a ``ws://`` or ``wss://`` URL (discord.py adds ``?v=10&encoding=json``).
    """
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if api_base:
        Route.BASE = api_base.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)

    def restore() -> None:
        if api_base and Route.BASE == api_base.rstrip("/"):
            Route.BASE = old_base
        if gateway_url and DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL(gateway_url):
            DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    return restore
