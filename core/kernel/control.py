"""Typed control for proactive turns: what a turn is about besides a message to say, and the
seam through which a component starts one.

A proactive turn runs under the conversation's lock like any other (``Engine.proactive``). It
may carry a ``Control``: a desk event (parley.core.handoff.events), a claimed scheduled send
(parley.core.schedule.sends). The kernel only carries it; the middleware that owns a subclass
matches it with ``isinstance``. Control travels as typed fields, never as strings in
``Reply.meta`` for someone else to parse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from parley.core.kernel.messages import Address, Reply

if TYPE_CHECKING:
    from parley.core.kernel.turn import Turn


class Control:
    """Base of the typed events a proactive turn may carry."""

    __slots__ = ()


class Proactive(Protocol):
    """Speak first in a conversation (the engine implements it; the desk and the scheduler's
    dispatcher are handed one)."""

    async def proactive(
        self, address: Address, reply: Reply | None, send_id: str, control: Control | None = None
    ) -> Turn | None:
        """Run a proactive turn saying ``reply`` (if any) and carrying ``control`` (if any);
        ``send_id`` makes its outbox ids deterministic. None when the conversation is busy."""
        ...
