"""SLA reminders: while nobody has claimed a case, the desk is reminded in the card's thread at
each step (``PARLEY_HANDOFF__REMIND_MINUTES``, e.g. 5, 15 and 60 minutes after it opened, then
again every last step), and from the last step on the escalation channel hears of it too.

Each reminder is one scheduled turn (the scheduler: it survives restarts and runs once across
processes) that books the next; a claim, a resolve or a newer case ends the chain, because the
reminder finds the conversation no longer waiting on its case.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from parley.core.handoff import cases
from parley.core.handoff.cases import Case
from parley.core.handoff.events import KIND, Notice
from parley.core.handoff.hours import BusinessHours
from parley.core.handoff.queue import waited
from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.turn import Turn
from parley.core.storage.store import KeyValueStore

# The scheduler's one-off turns (Scheduler.at), as the desk takes them.
Later = Callable[[Address, float, str, dict[str, str], int], Awaitable[str]]
MOST = 48  # reminders for one case at most: a case left for days is not helped by more


class Reminders:
    def __init__(
        self,
        kv: KeyValueStore,
        later: Later,  # the scheduler's one-off turns
        hours: BusinessHours,
        desk: Address,
        steps: tuple[int, ...] = (5, 15, 60),
        escalate: Address | None = None,
    ) -> None:
        self.kv = kv
        self.later = later
        self.hours = hours
        self.desk = desk
        self.steps = tuple(sorted(s for s in steps if s > 0)) or (15,)
        self.escalate = escalate  # PARLEY_HANDOFF__ESCALATION_CHANNEL: a lead's channel

    def gap(self, step: int) -> float:
        """Seconds from reminder ``step - 1`` (or the opening) to reminder ``step``."""
        if step == 0:
            return self.steps[0] * 60.0
        if step < len(self.steps):
            return (self.steps[step] - self.steps[step - 1]) * 60.0
        return self.steps[-1] * 60.0  # past the last step: again every last step

    async def first(self, turn: Turn, case: Case) -> None:
        """Book the first reminder, counted from when the desk is (next) open."""
        start = self.hours.next_open(turn.now)
        await self._book(turn, case, 0, start.timestamp() + self.gap(0))

    async def _book(self, turn: Turn, case: Case, step: int, due: float) -> None:
        booking = Notice("remind", case.id, step).booking()
        await self.later(turn.address, due, KIND, booking, int(case.opened) + 1 + step)

    async def remind(self, turn: Turn, notice: Notice) -> None:
        handoff = turn.state.get("handoff") or {}
        if handoff.get("status") != "queued" or handoff.get("case") != notice.case:
            return  # claimed, closed or superseded: the chain ends here
        case = await cases.load(self.kv, f"handoff:{notice.case}")
        if case is None or case.agent or case.outcome:
            return
        now = turn.now
        if not self.hours.is_open(now):  # nobody is there to remind: try again when they are
            return await self._book(turn, case, notice.step, self.hours.next_open(now).timestamp())
        wait = waited(int((now.timestamp() - case.opened) // 60))
        who = case.name or "The customer"
        turn.forward(
            self.desk, cases.in_thread(case.ref, f"Reminder: {who} has waited {wait} and nobody has claimed this.")
        )
        if self.escalate is not None and notice.step >= len(self.steps) - 1:
            kind = "complaint" if case.urgent else case.kind
            link = f" {case.link}" if case.link else ""
            text = (
                f"Escalation: a {kind} has waited {wait} unclaimed ({who}, {case.customer.channel}, {case.id}).{link}"
            )
            turn.forward(self.escalate, Reply(text=text, kind="system"))
        if notice.step + 1 < MOST:
            await self._book(turn, case, notice.step + 1, now.timestamp() + self.gap(notice.step + 1))
