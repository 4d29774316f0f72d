"""The ``Brain`` seam: a turn in, an answer out (or a stream of text chunks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from parley.core.kernel.messages import Button
from parley.core.kernel.turn import Turn


@dataclass(frozen=True)
class Answer:
    text: str
    sources: tuple[str, ...] = ()
    confidence: float = 1.0
    buttons: tuple[Button, ...] = ()
    handoff: bool = False  # the brain wants a human to take over
    intent: str = "answer"
    # Which built-in brain said it: "llm", or "retrieval" when the LLM fell back to it; empty for
    # any other. Thumbs up/down go on the LLM's own answers only.
    brain: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # for people and logs; nothing reads it


class Brain(Protocol):
    async def answer(self, turn: Turn) -> Answer: ...


class StreamingBrain(Brain, Protocol):
    """Optional: brains that can stream (the LLM). Channels with edits show chunks as they come."""

    def stream(self, turn: Turn) -> AsyncIterator[str]: ...
