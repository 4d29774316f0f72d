"""A chat completion stream read as plain JSON (the model client's streaming path).

The SDK's typed stream builds a pydantic ``ChatCompletionChunk`` for every token (construct_type
over its nested models): half of the model client's CPU per answer, and on a voice call every
answer streams (bench/voice.py). Parley reads four fields of a chunk, so the stream's
server-sent events are read as lines and each ``data`` is ``json.loads``-ed instead; the request,
its headers, authentication and the status errors stay the SDK's.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field


class StreamError(RuntimeError):
    """The server sent an error event mid-stream, or a chunk that is not JSON."""


@dataclass
class Delta:
    """What one chunk adds: text, tool-call fragments ((index, id, name, arguments)), usage."""

    text: str = ""
    tool_parts: list[tuple[int, str, str, str]] = field(default_factory=list)
    tokens: int = 0  # the usage chunk's total_tokens, 0 in every other chunk


async def events(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The ``data`` of each server-sent event: its data lines up to a blank line (the SSE
    format); ``event:``, ``id:`` and ``:`` comment lines carry nothing a completion needs."""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


async def deltas(lines: AsyncIterator[str]) -> AsyncIterator[Delta]:
    """One Delta per chunk, up to the end of the body (read whole, so the connection is reused)."""
    async for data in events(lines):
        if data.startswith("[DONE]"):
            continue  # the body ends right after it
        try:
            chunk = json.loads(data)
        except ValueError:
            raise StreamError("a chunk that is not JSON") from None
        if not isinstance(chunk, dict):
            raise StreamError("a chunk that is not an object")
        if chunk.get("error"):
            error = chunk["error"]
            message = error.get("message") if isinstance(error, dict) else None
            raise StreamError(str(message or "an error event")[:200])
        yield parse(chunk)


def parse(chunk: dict) -> Delta:
    delta = Delta()
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        delta.tokens = int(usage.get("total_tokens") or 0)
    for choice in chunk.get("choices") or ():
        part = choice.get("delta") or {}
        delta.text += part.get("content") or ""
        for call in part.get("tool_calls") or ():
            function = call.get("function") or {}
            delta.tool_parts.append(
                (
                    int(call.get("index") or 0),
                    call.get("id") or "",
                    function.get("name") or "",
                    function.get("arguments") or "",
                )
            )
    return delta
