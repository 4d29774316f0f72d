"""Leads routed to reps by rules (PARLEY_HANDOFF__LEAD_ROUTES): the first route whose territory
(locales or countries) takes the lead picks a rep round robin among its Slack user group's
members (asked of Slack through the ``Roster`` seam) or its listed users. The rep is mentioned on
the lead card; claiming stays theirs to do.

The turn is shared across processes by the store: each lead takes the next slot of its route's
counter with ``add`` (set-if-absent), so two processes never give two leads the same slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from parley.core.config.settings import LeadRoute
from parley.core.storage.store import KeyValueStore

log = logging.getLogger("parley.handoff")

# A Slack user group's members (user ids), as Slack lists them (usergroups.users.list).
Roster = Callable[[str], Awaitable[list[str]]]
SLOT_TTL = 7 * 86400.0
ROSTER_BUDGET = 3.0  # seconds a lead waits for the group's members before it goes out unrouted


@dataclass(frozen=True)
class Routed:
    user: str  # the rep's Slack user id
    why: str  # "locale es, group S0SALESES": what the card says


def covers(route: LeadRoute, locale: str, country: str) -> bool:
    if not route.locales and not route.countries:
        return True  # a catch-all route
    in_locale = any(locale == code or locale.split("-")[0] == code for code in route.locales)
    return in_locale or (bool(country) and country.upper() in route.countries)


class LeadRouting:
    def __init__(self, routes: list[LeadRoute], kv: KeyValueStore, roster: Roster | None = None) -> None:
        self.routes = routes
        self.kv = kv
        self.roster = roster  # None without Slack: group routes are skipped

    async def route(self, case_id: str, locale: str, country: str = "") -> Routed | None:
        """The rep for a new lead, or None when no route takes it (or its group is empty)."""
        for n, route in enumerate(self.routes):
            if not covers(route, locale, country):
                continue
            members = list(route.users) or await self._members(route.group)
            if not members:
                continue  # an empty or unreachable group: the next route may still take it
            slot = await self._slot(n, case_id)
            where = f"locale {locale}" if route.locales and locale else f"country {country}" if country else "any"
            reps = f"group {route.group}" if route.group else "round robin"
            return Routed(
                members[slot % len(members)], f"{where}, {reps}" if route.locales or route.countries else reps
            )
        return None

    async def _members(self, group: str) -> list[str]:
        if self.roster is None:
            return []
        try:
            async with asyncio.timeout(ROSTER_BUDGET):
                return sorted(await self.roster(group))  # a stable order: the rotation is fair
        except Exception as exc:  # Slack down or the group gone: the lead still goes out
            log.warning("lead routing: the members of %s are unknown (%s)", group, type(exc).__name__)
            return []

    async def _slot(self, route: int, case_id: str) -> int:
        key = f"leadroute:{route}"
        raw = await self.kv.get(key)
        turn = int(raw) if raw and raw.isdigit() else 0
        for _ in range(100):  # others may be taking slots at the same moment
            if await self.kv.add(f"{key}:{turn}", case_id, SLOT_TTL):
                await self.kv.put(key, str(turn + 1))
                return turn
            turn += 1
        return turn
