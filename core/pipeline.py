"""The middleware pipeline: a fold over a list of ``async def mw(turn, call_next)``.

No bookkeeping flags: a middleware that answers by itself simply does not call ``call_next``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import reduce

from core.turn import Turn

Handler = Callable[[Turn], Awaitable[None]]
Middleware = Callable[[Turn, Handler], Awaitable[None]]


def fold(middlewares: Sequence[Middleware], endpoint: Handler) -> Handler:
    """Wrap ``endpoint`` in ``middlewares``; the first in the list runs first."""

    def wrap(inner: Handler, mw: Middleware) -> Handler:
        async def handler(turn: Turn) -> None:
            await mw(turn, inner)

        return handler

    return reduce(wrap, reversed(middlewares), endpoint)
