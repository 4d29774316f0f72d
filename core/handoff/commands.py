"""The desk's own commands, from Slack's ``/parley`` slash command and App Home tab, arriving as
Inbounds whose ``meta["desk_command"]`` the desk channel set (``/parley queue`` -> ``queue``):

- ``queue``: every open case, the longest wait first (urgent ones on top);
- ``mine``: the cases the asking rep holds;
- ``assign CASE @someone`` (or ``assign CASE me``): hand a case to a rep (reassignment too);
- ``home``: the App Home tab, the queue and the rep's own cases.

Answers go back through the outbox like every reply: to the asker only (``meta["desk_private"]``)
or to their App Home (``meta["desk_home"]``). Nothing here reaches a customer, except the
"X from our team has joined" an assignment tells them (the desk's ``Claimed`` event).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from parley.core.handoff import card, cases
from parley.core.handoff.cases import Case
from parley.core.handoff.events import Claimed
from parley.core.handoff.queue import Queue, listing
from parley.core.kernel.control import Proactive
from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.pipeline import Handler
from parley.core.kernel.turn import Turn
from parley.core.storage.store import KeyValueStore

# Slack writes a mention in a command's text as <@U123|name> (manifest: should_escape).
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
USAGE = "Usage: /parley queue | /parley mine | /parley assign CASE @someone (or me) | /parley reply CASE NAME"
# The desk's saved replies (Desk.canned): send one to a case's customer as the asking rep.
SendCanned = Callable[[Turn, Case, str], Awaitable[str]]


class DeskCommands:
    def __init__(
        self,
        queue: Queue,
        kv: KeyValueStore,
        proactive: Proactive,
        desk: Address | None,
        canned: SendCanned | None = None,
    ) -> None:
        self.queue = queue
        self.kv = kv
        self.proactive = proactive  # an assignment tells the customer who joined
        self.desk = desk
        self.canned = canned  # /parley reply (None: no desk to send through)

    async def __call__(self, turn: Turn, call_next: Handler) -> None:
        inbound = turn.inbound
        command = inbound.meta.get("desk_command", "") if inbound is not None else ""
        if not command:
            return await call_next(turn)
        assert inbound is not None
        user = inbound.address.user
        now = turn.now.timestamp()
        words = inbound.text.split()[1:]  # the command's own word first: "assign abc @bob"
        turn.tags["desk_command"] = command
        if command == "home":
            everyone = listing(await self.queue.open_cases(now), "Open cases")
            mine = listing(await self.queue.open_cases(now, user), "Yours")
            text = f"{mine.text}\n\n{everyone.text}"
            turn.forward(inbound.address, Reply(text=text, kind="system", meta={"desk_home": user}))
        elif command in ("queue", "mine"):
            title = "Open cases" if command == "queue" else "Your cases"
            waiting = await self.queue.open_cases(now, user if command == "mine" else "")
            in_desk = self.desk is not None and inbound.address.chat == self.desk.chat
            self._private(turn, listing(waiting, title, names=in_desk).text)
        elif command == "assign" and len(words) >= 2:
            await self._assign(turn, words[0], " ".join(words[1:]))
        elif command == "reply" and len(words) == 2 and self.canned is not None:
            case = await cases.load(self.kv, f"handoff:{words[0]}")
            problem = await self.canned(turn, case, words[1]) if case is not None else f"No open case {words[0]}."
            self._private(turn, problem or f"Sent the saved reply “{words[1]}” to {words[0]}.")
        else:
            self._private(turn, USAGE)
        return None

    def _private(self, turn: Turn, text: str) -> None:
        assert turn.inbound is not None
        turn.forward(
            turn.inbound.address, Reply(text=text, kind="system", meta={"desk_private": turn.inbound.address.user})
        )

    async def _assign(self, turn: Turn, case_id: str, whom: str) -> None:
        assert turn.inbound is not None
        case = await cases.load(self.kv, f"handoff:{case_id}") or await cases.load(self.kv, f"lead:{case_id}")
        if case is None or case.outcome or case.status == "ended":
            return self._private(turn, f"No open case {case_id}.")
        mention = _MENTION.search(whom)
        if whom.strip().lower() == "me":
            user, name = turn.inbound.address.user, turn.inbound.user_name or turn.inbound.address.user
        elif mention:
            user, name = mention.group(1), mention.group(2) or mention.group(1)
        else:
            return self._private(turn, USAGE)
        case.agent, case.agent_name, case.claimed, case.status = user, name, turn.now.timestamp(), "active"
        await cases.save(self.kv, case)
        self._private(turn, f"{case.id} is now {name}'s.")
        if self.desk is not None:
            turn.forward(self.desk, card.redraw(case))
            turn.forward(
                self.desk, cases.in_thread(case.ref, f"Assigned to {name} by {turn.inbound.user_name or 'a rep'}.")
            )
        if case.kind == "handoff":
            await self.proactive.proactive(
                case.customer, None, f"{case.ref}:assigned:{turn.inbound.event_id}", Claimed(name)
            )
