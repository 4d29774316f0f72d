"""Slack user groups' members (``usergroups.users.list``, scope usergroups:read), cached for a
few minutes: lead routing asks for a group's members on every lead (parley.core.handoff.routing)."""

from __future__ import annotations

from parley.core.kernel.clock import Clock
from slack_sdk.web.async_client import AsyncWebClient


class UserGroups:
    def __init__(self, client: AsyncWebClient, clock: Clock, ttl: float = 300.0) -> None:
        self.client = client
        self.clock = clock
        self.ttl = ttl
        self._known: dict[str, tuple[list[str], float]] = {}

    async def members(self, group: str) -> list[str]:
        """The group's members' user ids; raises slack_sdk's errors (the router logs and moves on)."""
        known = self._known.get(group)
        if known is not None and known[1] > self.clock():
            return known[0]
        answer = await self.client.usergroups_users_list(usergroup=group)
        users = [str(u) for u in answer.get("users") or [] if isinstance(u, str)]
        self._known[group] = (users, self.clock() + self.ttl)
        return users
