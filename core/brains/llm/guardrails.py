"""Guardrails around the model: no secret in a prompt, a check on every answer, a daily budget.

- Secrets: every configured secret value is scrubbed from outgoing messages, whatever path it
  took (a profile field, a pasted token), before the request is built.
- Output: a configurable blocklist (whole words, case-insensitive) checked while a reply streams
  and on the final text, plus the endpoint's moderation check on the final text when enabled.
- Budget: tokens per person per UTC day, kept in the person's profile (saved with the turn);
  past it, the retrieval brain answers until the next day.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

SCRUBBED = "[SECRET]"


def scrub_secrets(messages: list[dict[str, Any]], secrets: list[str]) -> list[dict[str, Any]]:
    values = [s for s in secrets if len(s) >= 6]  # shorter "secrets" would shred normal words
    if not values:
        return messages
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            for value in values:
                content = content.replace(value, SCRUBBED)
            message = {**message, "content": content}
        out.append(message)
    return out


class OutputCheck:
    def __init__(self, blocklist: list[str], moderate: Callable[[str], Awaitable[bool]] | None = None) -> None:
        words = [re.escape(w.strip()) for w in blocklist if w.strip()]
        self.pattern = re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)", re.IGNORECASE) if words else None
        self.moderate = moderate

    def blocked(self, text: str) -> bool:
        return bool(self.pattern and self.pattern.search(text))

    async def allowed(self, text: str) -> bool:
        if self.blocked(text):
            return False
        if self.moderate is not None and await self.moderate(text):
            return False
        return True


class DailyBudget:
    KEY = "llm_usage"

    def __init__(self, tokens_per_day: int) -> None:
        self.limit = tokens_per_day

    def used(self, profile: dict[str, Any], now: datetime) -> int:
        usage = profile.get(self.KEY) or {}
        return int(usage.get("tokens", 0)) if usage.get("day") == now.date().isoformat() else 0

    def exhausted(self, profile: dict[str, Any], now: datetime) -> bool:
        return self.limit > 0 and self.used(profile, now) >= self.limit

    def spend(self, profile: dict[str, Any], now: datetime, tokens: int) -> None:
        profile[self.KEY] = {"day": now.date().isoformat(), "tokens": self.used(profile, now) + tokens}
