"""The door: what every route and frame passes before anything else reads it.

Platform JSON and browser frames are parsed here, bounded (size, nesting depth, number range)
and normalised to valid Unicode, so nothing downstream (the store's encoder, ``datetime``, a
translator) meets a lone surrogate, a ``1e400`` or a 10,000-deep list and raises. A refusal is
one typed ``BadInput`` with a short, loggable reason: webhooks answer 400, the web chat sends an
error frame, and there is never a traceback.
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_BYTES = 1024 * 1024  # the server's body limit; frames are smaller still
MAX_DEPTH = 64  # Slack's Block Kit payloads nest about 12 deep; nothing real comes near 64
MAX_INT = 2**63 - 1  # ids and timestamps from every platform fit a signed 64-bit integer
REPLACEMENT = "\ufffd"


class BadInput(ValueError):
    """Input refused at the door. ``reason`` is a short label for metrics and the log line."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def clean(text: str) -> str:
    """``text`` as valid Unicode: lone surrogates (JSON's ``"\\ud800"``, a broken client) become
    U+FFFD. ASCII and valid text are returned as they are, without a copy."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        # Through UTF-16: a pair held as two code points joins, a lone half becomes one U+FFFD.
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _float(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):  # "1e400" parses to inf
        raise BadInput("number_range", "a number is out of range")
    return number


def _constant(name: str) -> Any:
    raise BadInput("malformed", f"{name} is not JSON")


def _int(value: str) -> int:
    if len(value) > 20:  # cheaper than building a 4,000-digit int to compare it
        raise BadInput("number_range", "an integer is out of range")
    number = int(value)
    if abs(number) > MAX_INT:
        raise BadInput("number_range", "an integer is out of range")
    return number


def parse_json(raw: bytes | str, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON from outside: size, depth and numbers bounded, strings valid Unicode.

    The common case costs one ``json.loads`` and two byte counts: the walk that cleans strings
    and measures depth only runs when the text could hold a surrogate escape or nest deeper
    than ``max_depth``."""
    if len(raw) > max_bytes:
        raise BadInput("too_big", f"more than {max_bytes} bytes")
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("bad_encoding", "not UTF-8") from None
    else:
        text = clean(raw)
    try:
        value = json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant)
    except BadInput:
        raise
    except RecursionError:
        raise BadInput("too_deep", f"nested deeper than {max_depth}") from None
    except ValueError as exc:
        raise BadInput("malformed", f"not JSON ({type(exc).__name__})") from None
    openers = text.count("[") + text.count("{")
    escaped = "\\ud" in text or "\\uD" in text
    if openers > max_depth or escaped:
        value = _walk(value, max_depth)
    return value


def _walk(value: Any, max_depth: int) -> Any:
    """Depth-checked copy with every string (keys too) made valid Unicode; iterative, so a
    hostile depth cannot exhaust the Python stack here either."""
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]
    while stack:
        parent, key, depth = stack.pop()
        item = parent[key]
        if isinstance(item, str):
            parent[key] = clean(item)
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                raise BadInput("too_deep", f"nested deeper than {max_depth}")
            if isinstance(item, dict):
                item = {clean(k): v for k, v in item.items()}
                parent[key] = item
                stack.extend((item, k, depth + 1) for k in item)
            else:
                stack.extend((item, i, depth + 1) for i in range(len(item)))
    return root[0]


def strict_int(value: Any, low: int = -MAX_INT, high: int = MAX_INT) -> int | None:
    """An integer field of a platform payload, or None: ``true`` is not an update id (bool is
    an int in Python), and a float is not a timestamp we can trust."""
    if type(value) is not int or not low <= value <= high:
        return None
    return value
