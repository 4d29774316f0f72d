"""Rich content degrades to text here, once, so a new channel only has to send text."""

from __future__ import annotations

import re

from parley.core.kernel.messages import Reply

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")


def as_text(reply: Reply, buttons: bool) -> str:
    """The reply's text plus what the channel cannot show natively: buttons as numbered choices
    (answered by number, see ``choice``). Sources are already cited in the text by the brain."""
    parts = [reply.text]
    if reply.buttons and not buttons:
        parts.append("\n".join(f"{n}. {b.title}" for n, b in enumerate(reply.buttons, 1)))
    return "\n\n".join(p for p in parts if p)


def choice(text: str, reply: Reply | None) -> str | None:
    """Map a numbered answer ("2") back to the payload of the button it names."""
    if reply is None or not reply.buttons:
        return None
    stripped = text.strip().rstrip(".)")
    if stripped.isdigit() and 1 <= int(stripped) <= len(reply.buttons):
        return reply.buttons[int(stripped) - 1].payload
    lowered = text.strip().lower()
    for button in reply.buttons:
        if button.title.lower() == lowered:
            return button.payload
    return None


def split(text: str, limit: int) -> list[str]:
    """Split text into chunks of at most ``limit`` characters, preferring sentence ends, then
    word breaks, then a hard cut (a single unbroken run longer than the limit)."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max((m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit), default=0)
        if cut < limit // 3:
            space = window.rfind(" ")
            cut = space + 1 if space > limit // 3 else limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return [c for c in chunks if c]


def clip(text: str, limit: int, ellipsis: str = "…") -> str:
    """``text`` within ``limit`` characters: cut at the last word break (never mid-word, unless
    one word is longer than the whole budget) and ended with ``ellipsis``."""
    text = " ".join(text.split())  # a card line: newlines and runs of spaces say nothing here
    if len(text) <= limit:
        return text
    room = max(0, limit - len(ellipsis))
    head = text[: room + 1]
    space = head.rfind(" ")
    head = head[:space] if space > 0 else text[:room]
    return head.rstrip(" ,;:.-–—") + ellipsis
