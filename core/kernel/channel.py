"""The ``Channel`` seam: a name, its capabilities, ``send``, and how it receives.

A channel receives either through webhook routes mounted on the one server (``routes``) or a
long-running ``run`` (polling, sockets, gateways). It hands each event to ``deliver`` (the
engine) as an ``Inbound``; ``deliver`` raises StoreUnavailable, which webhooks turn into 503.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from parley.core.kernel.messages import Address, Inbound, Reply

Deliver = Callable[[Inbound], Awaitable[bool]]


@dataclass(frozen=True)
class Capabilities:
    buttons: bool = False
    threads: bool = False
    edits: bool = False  # can stream by editing a message
    typing: bool = False
    max_text: int = 4096
    per_chat_rate: float = 1.0  # messages per second per chat (platform rule)
    per_chat_burst: int = 3
    global_rate: float = 30.0  # messages per second per bot
    proactive: bool = True  # may it speak first to an address that wrote before?


class RetryAfter(Exception):
    """The platform said "later" (429) or the address is offline for now: retry at a time,
    without counting it as a failed attempt."""

    def __init__(self, seconds: float, reason: str = "rate_limited") -> None:
        super().__init__(f"{reason}: retry after {seconds:.1f}s")
        self.seconds = seconds
        self.reason = reason


class Unreachable(Exception):
    """The person cannot be reached on this address (blocked the bot, opted out): stop trying
    and remember it, so proactive sends skip it too."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Rejected(Exception):
    """The platform refused this message for good (bad request): do not retry it."""


class Channel(Protocol):
    name: str
    capabilities: Capabilities

    def routes(self) -> list[web.RouteDef]:
        """Webhook routes to mount on the one server (may be empty)."""

    async def run(self) -> None:
        """Receive until cancelled (polling, sockets); return at once for webhook channels."""

    async def send(self, address: Address, reply: Reply) -> str:
        """Send one reply; return the platform's message id. Raise RetryAfter, Unreachable or
        Rejected for the outbox; any other exception is retried with backoff."""

    async def close(self) -> None: ...


class Typing(Protocol):
    """Optional: channels that can show "typing..." while the brain works."""

    async def typing(self, address: Address) -> None: ...


class Streaming(Protocol):
    """Optional: channels that can edit a sent message show a streamed answer as it grows.

    ``stream`` posts the first chunk, then edits the same message as more text arrives,
    throttled to the platform's edit rate, and returns the platform id of the final message.
    The caller records the final text; if ``stream`` raises, it falls back to a normal send
    through the outbox (durable), so a broken stream never loses the answer. After a stream,
    the final reply reaches ``send`` with ``meta["streamed"]`` = the id ``stream`` returned:
    edit that message into its final form (text, buttons), never post a second one
    (parley.core.kernel.streaming).
    """

    async def stream(self, address: Address, chunks: AsyncIterator[str]) -> str: ...
