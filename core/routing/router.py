"""Routers for bot authors, after aiogram 3's: handlers for commands, text and button presses.

    router = Router()

    @router.command("/order")
    async def order(turn: Turn, number: int) -> None:
        turn.say(turn.t("order_status", number=number, status=await shop.status(number)))

    @router.text(r"where is my order (?P<number>\\d+)")
    async def where(turn: Turn, number: int) -> None: ...

    @router.button("reorder:*")
    async def reorder(turn: Turn, number: int) -> None: ...

Routes are tried in the order they were registered, then the included routers' in the order
they were included. The first handler that matches runs; if it says nothing (no reply, no
message forwarded) the turn passes on to the next matching handler, and finally to the brain.
The routers run at one place in the pipeline (parley/app.py): after guard, history, locale, the
desk and the built-in commands, before AI disclosure and the brain.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from parley.core.kernel.pipeline import Handler
from parley.core.kernel.turn import Turn
from parley.core.routing.binding import BindError, Signature

log = logging.getLogger("parley.router")

H = TypeVar("H", bound=Callable[..., Awaitable[None]])
Predicate = Callable[[Turn], bool]

_COMMAND = re.compile(r"^/[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Route:
    """One handler and what it answers to: exactly one of command, pattern or predicate (with
    ``on`` saying which kind of input it looks at)."""

    on: str  # "command", "text" or "button"
    signature: Signature
    command: str = ""
    pattern: re.Pattern[str] | None = None
    predicate: Predicate | None = None

    def bind(self, turn: Turn) -> tuple[list[Any], dict[str, Any]] | None:
        """The handler's arguments if this route matches the turn's input, else None. Raises
        BindError when a command matches but its arguments do not fit (the caller answers
        with the usage line)."""
        inbound = turn.inbound
        assert inbound is not None
        if self.on == "command":
            text = inbound.payload if inbound.kind == "button" else inbound.text
            name, _, rest = text.strip().partition(" ")
            if inbound.kind == "edit" or name.lower() != self.command:
                return None
            return self.signature.from_words(rest)
        if self.on == "button":
            if inbound.kind != "button":
                return None
            said = inbound.payload
        elif inbound.kind != "message":
            return None
        else:
            said = inbound.text
        if self.predicate is not None:
            return ([], {}) if self.predicate(turn) else None
        assert self.pattern is not None
        match = self.pattern.fullmatch(said) if self.on == "button" else self.pattern.search(said)
        if match is None:
            return None
        try:
            return self.signature.from_match(match)
        except BindError:
            return None  # "order abc" for an int: not this handler's message


class Router:
    def __init__(self, name: str = "") -> None:
        self.name = name
        self.routes: list[Route] = []
        self.children: list[Router] = []

    def __repr__(self) -> str:
        return f"Router({self.name!r})" if self.name else "Router()"

    # -- registration --------------------------------------------------------------------------
    def command(self, name: str) -> Callable[[H], H]:
        """A command, ``/order 12345``, typed or pressed as a button whose payload is the
        command. Its words fill the handler's parameters after ``turn`` (see core/routing/binding.py);
        input that does not fit is answered with the command's usage line."""
        command = ("/" + name.lstrip("/")).lower()
        if not _COMMAND.match(command):
            raise ValueError(f"{name!r} is not a command name (letters, digits, _ and -, like /order)")
        return self._add("command", command=command)

    def text(self, match: str | re.Pattern[str] | Predicate) -> Callable[[H], H]:
        """A message whose text matches: a regular expression searched in the text (a str is
        compiled case-insensitive) whose groups fill the handler's parameters, or a predicate
        ``(turn) -> bool`` whose handler takes the turn alone."""
        if callable(match) and not isinstance(match, re.Pattern):
            return self._add("text", predicate=match)
        return self._add("text", pattern=_compile(match, re.IGNORECASE))

    def button(self, pattern: str) -> Callable[[H], H]:
        """A button press whose payload matches ``pattern``, where each ``*`` matches any text
        and fills the next parameter: ``"reorder:*"`` with ``async def h(turn, number: int)``."""
        regex = "(.*)".join(re.escape(part) for part in pattern.split("*"))
        return self._add("button", pattern=re.compile(regex, re.DOTALL))

    def include(self, router: Router) -> Router:
        """Include another router: its routes are tried after this one's own, in the order
        routers are included. Returns the included router."""
        if router is self or self in router._tree():
            raise ValueError(f"including {router!r} in {self!r} would make a cycle")
        self.children.append(router)
        return router

    def _add(self, on: str, **match: Any) -> Callable[[H], H]:
        def register(handler: H) -> H:
            signature = Signature(handler)
            if on != "command":  # a command's words can fill any parameters
                signature.expect(match.get("pattern"))
            self.routes.append(Route(on, signature, **match))
            return handler

        return register

    # -- dispatch ------------------------------------------------------------------------------
    def _tree(self) -> Iterator[Router]:
        yield self
        for child in self.children:
            yield from child._tree()

    def __iter__(self) -> Iterator[Route]:
        for router in self._tree():
            yield from router.routes

    async def dispatch(self, turn: Turn) -> bool:
        """Run the handlers that match the turn until one answers; True if one did."""
        if turn.inbound is None:
            return False  # proactive turns (scheduled messages) are not routed
        for route in self:
            try:
                bound = route.bind(turn)
            except BindError as exc:
                turn.tags["route"] = route.command
                usage = route.signature.usage(route.command)
                # The parameter's name and the reason, never the words (they may be personal).
                log.info("command refused", extra={"command": route.command, "reason": str(exc)})
                turn.system("command_usage", usage=usage)
                return True
            if bound is None:
                continue
            said = len(turn.replies), len(turn.forwards)
            args, kwargs = bound
            await route.signature.handler(turn, *args, **kwargs)
            if (len(turn.replies), len(turn.forwards)) != said:
                turn.tags["route"] = route.command or getattr(route.signature.handler, "__name__", route.on)
                return True
        return False

    def middleware(self) -> Callable[[Turn, Handler], Awaitable[None]]:
        """The routers' step in the pipeline: a turn no handler answers goes on to the brain."""

        async def routers(turn: Turn, call_next: Handler) -> None:
            if not await self.dispatch(turn):
                await call_next(turn)

        return routers


def _compile(pattern: str | re.Pattern[str], flags: int) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
