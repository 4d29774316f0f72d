"""Conversations: the live list (the people seen most recently, with their channel, language,
persona, any open handoff and how long it has waited) and a transcript with who answered (the
bot, or an agent) and the sources the bot cited."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from parley.core.console.roles import Permission
from parley.core.console.shell import Console, NavItem, Viewer
from parley.core.handoff.desk import OPEN
from parley.core.kernel.clock import Clock
from parley.core.schedule.store import PersonEntry, ScheduleStore
from parley.core.storage.store import Store

NAV = (NavItem("nav_conversations", "/console/conversations", Permission.READ_CONVERSATIONS),)
SHOWN = 50
WAITING = (*OPEN, "requested")  # a person asked and nobody answered yet, or someone is on it


@dataclass(frozen=True)
class Row:
    conversation: str
    entry: PersonEntry
    persona: str
    handoff: str  # the handoff's status, "" when none is open
    waiting: float  # seconds since the handoff opened (0 without one)


def waited(handoff: dict, now: float) -> float:
    try:
        return max(0.0, now - datetime.fromisoformat(str(handoff.get("at", ""))).timestamp())
    except ValueError:
        return 0.0


def minutes(seconds: float) -> str:
    return (
        f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min" if seconds >= 3600 else f"{int(seconds // 60)} min"
    )


class ConversationsSection:
    def __init__(self, console: Console, store: Store, sched: ScheduleStore, clock: Clock, persona: str) -> None:
        self.console = console
        self.store = store
        self.sched = sched
        self.clock = clock
        self.persona = persona  # the default persona: conversations that never chose another

    def routes(self) -> list[web.RouteDef]:
        p = self.console.page
        return [
            web.get("/console/conversations", p(Permission.READ_CONVERSATIONS, self.live)),
            web.get("/console/conversations/{id}", p(Permission.READ_CONVERSATIONS, self.transcript)),
        ]

    async def live(self, request: web.Request, viewer: Viewer) -> web.Response:
        now = self.clock()
        open_only = request.query.get("handoff") == "open"
        rows = []
        entries = await self.sched.recent_people(SHOWN)
        # All fifty states at once: on Redis that is fifty requests in flight, not fifty round trips.
        states = await asyncio.gather(*(self.store.state(e.address.conversation) for e in entries))
        for entry, state in zip(entries, states, strict=True):
            conversation = entry.address.conversation
            handoff = state.get("handoff") or {}
            status = str(handoff.get("status", "")) if handoff.get("status") in WAITING else ""
            if open_only and not status:
                continue
            wait = waited(handoff, now) if status else 0.0
            rows.append(Row(conversation, entry, str(state.get("persona") or self.persona), status, wait))
        rows.sort(key=lambda r: -r.waiting)  # the longest wait first: that is who needs someone
        return self.console.render(
            request, viewer, "conversations.html", rows=rows, open_only=open_only, minutes=minutes, shown=SHOWN
        )

    async def transcript(self, request: web.Request, viewer: Viewer) -> web.Response:
        conversation = request.match_info["id"]
        state = await self.store.state(conversation)
        if not state:
            return self.console.render(request, viewer, "error.html", status=404, message="not_found")
        handoff = state.get("handoff") or {}
        return self.console.render(
            request,
            viewer,
            "transcript.html",
            conversation=conversation,
            history=[h for h in state.get("history", []) if isinstance(h, dict)],
            persona=str(state.get("persona") or self.persona),
            handoff=handoff,
            channel=conversation.split(":", 1)[0],
        )
