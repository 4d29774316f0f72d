"""Streaming a brain's answer to a channel that can edit (parley.core.kernel.channel.Streaming).

The channel shows chunks as they come and returns the platform id of the message it grew. The
final Reply is still recorded and queued in the outbox with ``replaces`` = that id: a
streaming channel's ``send`` turns it into a last edit of the same message (final text, buttons,
sources), never a second message. So history, the outbox ledger and a crash-retry all stay as
for any reply. If the channel's stream fails, the reply goes out as a normal durable send.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from parley.core.brains.brain import Answer, Brain
from parley.core.kernel.channel import Streaming
from parley.core.kernel.turn import Turn

log = logging.getLogger("parley.stream")


async def think(brain: Brain, turn: Turn, channel: Streaming | None) -> tuple[Answer, str]:
    """The brain's answer, streamed to ``channel`` when both can; returns (answer, platform id
    of the streamed message or "")."""
    open_stream = getattr(brain, "stream", None)
    if channel is None or open_stream is None or turn.inbound is None:
        return await brain.answer(turn), ""
    chunks = open_stream(turn)
    seen: list[str] = []
    first = await anext(chunks, None)
    if first is None:  # nothing visible came (a tool-only turn): a plain reply
        return _final(chunks, seen), ""
    seen.append(first)

    async def rest() -> AsyncIterator[str]:
        yield first
        async for chunk in chunks:
            seen.append(chunk)
            yield chunk

    platform_id = ""
    try:
        platform_id = await channel.stream(turn.address, rest())
    except Exception as exc:  # the answer still goes out, through the outbox
        log.warning("stream failed; sending normally", extra={"error": type(exc).__name__})
    async for chunk in chunks:  # whatever the channel did not consume
        seen.append(chunk)
    return _final(chunks, seen), platform_id or ""


def _final(chunks: object, seen: list[str]) -> Answer:
    answer = getattr(chunks, "answer", None)
    return answer if isinstance(answer, Answer) else Answer("".join(seen))
