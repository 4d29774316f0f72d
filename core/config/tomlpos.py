"""Where a key sits in a TOML file. ``tomllib`` gives values, not positions, so error messages
(``bot.py check``, start-up refusals) scan the text to point at ``file:line``."""

from __future__ import annotations

import re
from collections.abc import Sequence

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in dotted.split(".")]


def line_of(text: str, loc: Sequence[str | int]) -> int:
    """1-based line of the key best matching ``loc`` (e.g. ``("messages", "greeting")`` or
    ``("qualification", 1, "ask")``); the table header when the key is absent; 1 if nothing."""
    want = [str(p) for p in loc]
    table: list[str] = []
    counts: dict[str, int] = {}
    best_line, best_score = 1, 0
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            names = _parts(header.group(2))
            if header.group(1) == "[[":  # an array of tables: count occurrences for the index
                key = ".".join(names)
                counts[key] = counts.get(key, -1) + 1
                names = [*names, str(counts[key])]
            table = names
            path = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            path = [*table, *_parts(key.group(1))]
        score = 0
        for have, wanted in zip(path, want, strict=False):
            if have != wanted:
                break
            score += 1
        if score == len(path) and score > best_score:  # only paths that are a prefix of loc
            best_line, best_score = number, score
    return best_line


def decode_error(exc: Exception) -> tuple[int, str]:
    """(line, message) from a TOMLDecodeError: Python 3.11's has no ``lineno`` attribute, its
    message ends "(at line N, column M)"."""
    message = str(exc)
    line = getattr(exc, "lineno", 0)
    if not line and "(at line " in message:
        message, _, where = message.rpartition(" (at line ")
        digits = where.split(",")[0].rstrip(")")
        line = int(digits) if digits.isdigit() else 0
    return line or 1, getattr(exc, "msg", message)
