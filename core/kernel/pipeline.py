"""The middleware pipeline: a fold over a list of ``async def mw(turn, call_next)``.

No bookkeeping flags: a middleware that answers by itself simply does not call ``call_next``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import reduce

from parley.core.kernel.turn import Turn

Handler = Callable[[Turn], Awaitable[None]]
Middleware = Callable[[Turn, Handler], Awaitable[None]]


def fold(middlewares: Sequence[Middleware], endpoint: Handler) -> Handler:
    """Wrap ``endpoint`` in ``middlewares``; the first in the list runs first."""

    def wrap(inner: Handler, mw: Middleware) -> Handler:
        # A plain function handing back mw's coroutine, not a coroutine awaiting it: one frame
        # per middleware instead of two on every await that suspends the turn.
        def handler(turn: Turn) -> Awaitable[None]:
            return mw(turn, inner)

        return handler

    return reduce(wrap, reversed(middlewares), endpoint)
