"""Parley: customer conversations on the channels people already use, one asyncio core.

The names in ``__all__`` are the public API (docs/api.md), stable across minor versions.
Everything else (``parley.core``, ``parley.channels``, ``parley.app``, ...) is internal.

They are imported on first use (PEP 562), so ``parley --help`` and ``parley check`` do not
load aiohttp, the channels' SDKs and the stores just because the package was imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parley.app import Bot
    from parley.core.brains.brain import Answer, Brain
    from parley.core.config.errors import StartupError
    from parley.core.config.settings import Settings
    from parley.core.kernel.channel import Capabilities, Channel, ChannelContext, Rejected, RetryAfter, Unreachable
    from parley.core.kernel.messages import Address, Button, Inbound, Reply
    from parley.core.kernel.pipeline import Middleware
    from parley.core.kernel.turn import Turn
    from parley.core.routing.router import Router
    from parley.core.storage.store import StoreUnavailable

_WHERE = {
    "Address": "parley.core.kernel.messages",
    "Answer": "parley.core.brains.brain",
    "Bot": "parley.app",
    "Brain": "parley.core.brains.brain",
    "Button": "parley.core.kernel.messages",
    "Capabilities": "parley.core.kernel.channel",
    "Channel": "parley.core.kernel.channel",
    "ChannelContext": "parley.core.kernel.channel",
    "Inbound": "parley.core.kernel.messages",
    "Middleware": "parley.core.kernel.pipeline",
    "Rejected": "parley.core.kernel.channel",
    "Reply": "parley.core.kernel.messages",
    "RetryAfter": "parley.core.kernel.channel",
    "Router": "parley.core.routing.router",
    "Settings": "parley.core.config.settings",
    "StartupError": "parley.core.config.errors",
    "StoreUnavailable": "parley.core.storage.store",
    "Turn": "parley.core.kernel.turn",
    "Unreachable": "parley.core.kernel.channel",
}

__all__ = [
    "Address",
    "Answer",
    "Bot",
    "Brain",
    "Button",
    "Capabilities",
    "Channel",
    "ChannelContext",
    "Inbound",
    "Middleware",
    "Rejected",
    "Reply",
    "RetryAfter",
    "Router",
    "Settings",
    "StartupError",
    "StoreUnavailable",
    "Turn",
    "Unreachable",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'parley' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once: later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
