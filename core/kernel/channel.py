"""The ``Channel`` seam: a base class every channel extends, shipped or your own.

A channel receives either through webhook routes mounted on the one server (``routes``) or a
long-running ``run`` (polling, sockets, gateways). It hands each event to ``ctx.deliver`` (the
engine) as an ``Inbound``; ``deliver`` raises StoreUnavailable, which webhooks turn into 503.
It sends one ``Reply`` at a time through ``send``, called by the durable outbox.

Every channel is built the same way: ``SomeChannel(ctx, **its_own_settings)``, where ``ctx`` is
the ``ChannelContext`` the bot hands it. What a channel can do beyond sending is declared, not
probed: ``capabilities`` (buttons, edits for streaming, typing, rates) and ``singleton``, with
defaults here for every optional method.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from aiohttp import web
from parley.core.kernel.messages import Address, Inbound, Reply
from parley.core.kernel.ratelimit import Limit

if TYPE_CHECKING:
    from parley.core.http.metrics import Metrics
    from parley.core.i18n.locales import LocaleCatalog
    from parley.core.i18n.personas import PersonaCatalog
    from parley.core.kernel.clock import Clock
    from parley.core.storage.store import Store

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
    # A second send of one outbox id shows nothing twice (the web chat's page keeps the reply ids
    # it has shown): the record of a send need not be written before anything else (Sent.deduped).
    dedupes_resends: bool = False


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


@dataclass(frozen=True)
class ChannelContext:
    """What every channel may use, handed to its constructor: nothing global, all passed in."""

    deliver: Deliver  # hand an Inbound to the engine (True if new, False if a duplicate)
    store: Store
    metrics: Metrics
    clock: Clock
    # Wake the outbox: replies that waited for this channel (an offline page, a consent
    # confirmation) can go now rather than at the next poll.
    wake: Callable[[], None] = lambda: None
    # The bot's packs and personas (hot-reloaded in place), for a channel that shows its own
    # words and branding (the web chat's page and widget); None: the channel uses its defaults.
    locales: LocaleCatalog | None = None
    personas: PersonaCatalog | None = None


class Channel(ABC):
    """Extend this; only ``name`` and ``send`` are required.

    ``capabilities`` says what the platform can do: ``edits`` means the channel implements
    ``stream``, ``typing`` that it implements ``typing``; the defaults of both do nothing.
    ``singleton = True`` runs ``run`` in one process at a time across a scaled-out bot (a
    polling loop, a socket, a gateway).
    """

    name: str = ""
    capabilities: Capabilities = Capabilities()
    singleton: ClassVar[bool] = False

    def __init__(self, ctx: ChannelContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[web.RouteDef]:
        """Webhook routes to mount on the one server (none by default)."""
        return []

    async def run(self) -> None:
        """Receive until cancelled (polling, sockets); webhook channels return at once."""
        return None

    @abstractmethod
    async def send(self, address: Address, reply: Reply) -> str:
        """Send one reply; return the platform's message id. Raise RetryAfter, Unreachable or
        Rejected for the outbox; any other exception is retried with backoff."""

    async def close(self) -> None:
        """Release what the channel holds (sessions, sockets); called once at shutdown."""
        return None

    async def typing(self, address: Address) -> None:
        """Show "typing..." while the brain works; called only when ``capabilities.typing``."""
        return None

    async def stream(self, address: Address, chunks: AsyncIterator[str]) -> str:
        """Grow one message as the brain streams; called only when ``capabilities.edits``.

        Post the first chunk, then edit the same message as more text arrives, throttled to the
        platform's edit rate, and return the platform id of the final message. The caller
        records the final text; if this raises, it falls back to a normal send through the
        outbox (durable), so a broken stream never loses the answer. After a stream, the final
        reply reaches ``send`` with ``replaces`` = the id returned here: edit that
        message into its final form (text, buttons), never post a second one
        (parley.core.kernel.streaming)."""
        raise NotImplementedError(f"{type(self).__name__} declares edits but does not stream")

    def limits(self, address: Address) -> list[Limit]:
        """The rate limits a send to ``address`` must fit: per bot and per chat, from the
        capabilities. A platform that counts otherwise (per sender, per workspace) overrides it."""
        caps = self.capabilities
        return [
            Limit(f"{self.name}:bot", caps.global_rate, max(1, int(caps.global_rate))),
            Limit(f"{self.name}:chat:{address.chat}", caps.per_chat_rate, caps.per_chat_burst),
        ]


class Streaming(Protocol):
    """What the streaming code needs of a channel (a Channel with ``capabilities.edits``)."""

    async def stream(self, address: Address, chunks: AsyncIterator[str]) -> str: ...
