"""From a handler's signature to its arguments: the words after a command, or the groups of a
pattern, converted to the parameters' type hints.

The conversion is pydantic's (lax mode): ``int``, ``float``, ``Decimal``, ``bool``, ``date``,
enums, ``Literal[...]`` and ``Annotated[..., Field(...)]`` constraints all work, and a word that
does not convert is refused with the parameter's name instead of reaching the handler as a str.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import PydanticSchemaGenerationError, TypeAdapter, ValidationError


class BindError(ValueError):
    """The input does not fit the handler's parameters (a missing or malformed argument)."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: inspect._ParameterKind
    adapter: TypeAdapter[Any] | None  # None for the re.Match parameter
    required: bool
    default: Any
    is_match: bool  # annotated re.Match: receives the pattern's match object itself

    @property
    def positional(self) -> bool:
        return self.kind in (self.kind.POSITIONAL_ONLY, self.kind.POSITIONAL_OR_KEYWORD)

    def convert(self, raw: str) -> Any:
        assert self.adapter is not None
        try:
            return self.adapter.validate_python(raw)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise BindError(f"{self.name}: {reason}") from None


class Signature:
    """The parameters of ``async def handler(turn, ...)`` after ``turn``, read once at
    registration (type hints resolved, converters built), so a turn only converts words."""

    def __init__(self, handler: Callable[..., Any]) -> None:
        if not inspect.iscoroutinefunction(handler):
            raise TypeError(f"{_name(handler)} must be an async function: async def handler(turn, ...)")
        hints = typing.get_type_hints(handler, include_extras=True)
        params = list(inspect.signature(handler).parameters.values())
        if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
            raise TypeError(f"{_name(handler)} must take the turn as its first argument")
        self.handler = handler
        self.params = [_param(handler, p, hints.get(p.name, str)) for p in params[1:]]

    def expect(self, pattern: re.Pattern[str] | None) -> None:
        """Refuse at registration a handler whose required parameters no group can fill (a
        predicate has no groups: its handler takes the turn alone)."""
        named = set(pattern.groupindex) if pattern is not None else set()
        unnamed = (pattern.groups - len(named)) if pattern is not None else 0
        for p in self.params:
            if p.is_match and pattern is not None or p.name in named:
                continue
            if p.positional and unnamed:
                unnamed -= 1
            elif p.required:
                raise TypeError(f"{_name(self.handler)}: nothing in the pattern fills parameter {p.name!r}")

    def usage(self, command: str) -> str:
        """``/order <number> [note] [words...]``: required in <>, optional in []."""
        parts = [command]
        for p in self.params:
            if p.kind is p.kind.VAR_POSITIONAL:
                parts.append(f"[{p.name}...]")
            elif p.kind is not p.kind.VAR_KEYWORD:
                parts.append(f"<{p.name}>" if p.required else f"[{p.name}]")
        return " ".join(parts)

    def from_words(self, rest: str) -> tuple[list[Any], dict[str, Any]]:
        """A command's arguments: one word per positional parameter, ``*words`` takes the words
        left, and a keyword-only parameter takes the rest of the line as it was typed (the
        convention of discord.py's commands: ``async def note(turn, *, text: str)``)."""
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        rest = rest.strip()
        for p in self.params:
            if p.kind is p.kind.VAR_POSITIONAL:
                words, rest = rest.split(), ""
                args.extend(p.convert(w) for w in words)
            elif p.kind is p.kind.KEYWORD_ONLY:
                if rest:
                    kwargs[p.name] = p.convert(rest)
                    rest = ""
                elif p.required:
                    raise BindError(f"{p.name}: missing")
            elif p.kind is not p.kind.VAR_KEYWORD:
                word, rest = (rest.split(maxsplit=1) + ["", ""])[:2]
                if word:
                    args.append(p.convert(word))
                elif p.required:
                    raise BindError(f"{p.name}: missing")
        if rest:
            raise BindError("more words than the command takes")
        return args, kwargs

    def from_match(self, match: re.Match[str]) -> tuple[list[Any], dict[str, Any]]:
        """A pattern's groups: named groups fill the parameters of that name, the unnamed ones
        fill the other positional parameters in order, ``*groups`` takes the unnamed ones left;
        a parameter annotated ``re.Match`` gets the match. A group that does not convert
        (``abc`` for an int) raises BindError: that handler does not match."""
        named_at = set(match.re.groupindex.values())
        unnamed = [match.group(i) for i in range(1, match.re.groups + 1) if i not in named_at]
        named = match.groupdict()
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for p in self.params:
            if p.is_match:
                value: Any = match
            elif p.name in named:
                value = named[p.name]
            elif p.kind is p.kind.VAR_POSITIONAL:
                args.extend(p.convert(g) for g in unnamed if g is not None)
                unnamed = []
                continue
            elif p.positional and unnamed:
                value = unnamed.pop(0)
            else:
                value = None
            if value is None:
                if p.required:
                    raise BindError(f"{p.name}: missing")
                if not p.positional:
                    continue  # keyword-only (or **kwargs): its default applies
                value = p.default
            elif isinstance(value, str):
                value = p.convert(value)
            if p.positional:
                args.append(value)
            else:
                kwargs[p.name] = value
        return args, kwargs


def _param(handler: Callable[..., Any], p: inspect.Parameter, hint: Any) -> Param:
    is_match = hint is re.Match or typing.get_origin(hint) is re.Match
    try:
        adapter = None if is_match else TypeAdapter(hint)
    except PydanticSchemaGenerationError:
        raise TypeError(f"{_name(handler)}: parameter {p.name!r}: cannot convert text to {hint!r}") from None
    required = p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    return Param(p.name, p.kind, adapter, required, p.default, is_match)


def _name(handler: Callable[..., Any]) -> str:
    return getattr(handler, "__qualname__", repr(handler))
