"""Who a Slack user is, for the ``Inbound``: locale (the locale hint) and display name, from
``users.info`` with ``include_locale``, cached.

The lookup runs before the ack (both are part of the stored Inbound), so it gets a small time
budget: past it the event goes on without them, and the lookup finishes in the background to
serve the person's next message.
"""

from __future__ import annotations

import asyncio
import logging
from typing import NamedTuple

from parley.core.kernel.clock import Clock
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("parley.slack")


class SlackPerson(NamedTuple):
    locale: str = ""
    name: str = ""


class PeopleCache:
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
        self._known: dict[str, tuple[SlackPerson, float]] = {}
        self._pending: dict[str, asyncio.Task[SlackPerson]] = {}

    async def get(self, user: str) -> SlackPerson:
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
            return SlackPerson()

    async def _fetch(self, user: str) -> SlackPerson:
        try:
            response = await self.client.users_info(user=user, include_locale=True)
            data = response.get("user")
            data = data if isinstance(data, dict) else {}
            profile = data.get("profile") if isinstance(data.get("profile"), dict) else {}
            name = profile.get("display_name") or profile.get("real_name") or data.get("real_name") or ""
            person, ttl = SlackPerson(str(data.get("locale") or ""), str(name)[:80]), self.ttl
        except Exception as exc:  # a missing users:read scope or a slow API must not block a message
            log.info("slack users.info failed", extra={"error": type(exc).__name__})
            person, ttl = SlackPerson(), self.failure_ttl
        if len(self._known) >= self.size:
            self._known.pop(next(iter(self._known)))  # oldest first: dicts keep insertion order
        self._known[user] = (person, self.clock() + ttl)
        return person

    async def close(self) -> None:
        tasks = list(self._pending.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
