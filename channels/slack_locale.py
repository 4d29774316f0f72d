"""The Slack user's locale (``users.info`` with ``include_locale``) as a locale hint, cached.

The lookup runs before the ack (the hint is part of the stored Inbound), so it gets a small time
budget: past it the event goes on without a hint, and the lookup finishes in the background to
serve the person's next message.
"""

from __future__ import annotations

import asyncio
import logging

from slack_sdk.web.async_client import AsyncWebClient

from core.clock import Clock

log = logging.getLogger("parley.slack")


class LocaleCache:
    def __init__(
        self,
        client: AsyncWebClient,
        clock: Clock,
        *,
        ttl: float = 86400.0,
        failure_ttl: float = 300.0,
        budget: float = 0.5,
        size: int = 50_000,
    ) -> None:
        self.client = client
        self.clock = clock
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self.budget = budget  # seconds the ack may wait for users.info (Slack wants it within 3 s)
        self.size = size
        self._known: dict[str, tuple[str, float]] = {}
        self._pending: dict[str, asyncio.Task[str]] = {}

    async def get(self, user: str) -> str:
        known = self._known.get(user)
        if known is not None and known[1] > self.clock():
            return known[0]
        task = self._pending.get(user)
        if task is None:
            task = asyncio.create_task(self._fetch(user))
            self._pending[user] = task
            task.add_done_callback(lambda _: self._pending.pop(user, None))
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.budget)
        except TimeoutError:
            return ""

    async def _fetch(self, user: str) -> str:
        try:
            response = await self.client.users_info(user=user, include_locale=True)
            profile = response.get("user") or {}
            locale = str(profile.get("locale", "")) if isinstance(profile, dict) else ""
            ttl = self.ttl
        except Exception as exc:  # a missing users:read scope or a slow API must not block a message
            log.info("slack locale lookup failed", extra={"error": type(exc).__name__})
            locale, ttl = "", self.failure_ttl
        if len(self._known) >= self.size:
            self._known.pop(next(iter(self._known)))  # oldest first: dicts keep insertion order
        self._known[user] = (locale, self.clock() + ttl)
        return locale

    async def close(self) -> None:
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
