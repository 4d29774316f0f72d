"""Human handoff: the middleware that hands a conversation to a person and back.

- A customer asks for a person (``/human``, a phrase, the brain's handoff): a case opens, a card
  lands in the desk channel (Slack) with Claim / Resolve / Return to bot, and the customer is
  told when to expect a reply (from the business hours).
- While a case is open the bot is silent: the customer's messages go to the card's thread.
- Desk events (a click, an agent's reply in the thread) arrive as Inbounds tagged with
  ``meta["desk_ref"]`` by the desk channel. They are applied to the customer's conversation as
  proactive turns carrying a typed event (parley.core.handoff.events), through the ``Proactive``
  seam handed to the desk, under that conversation's lock, so ordering holds there too.
- Resolve or Return hands back to the bot and asks for CSAT (1-5).
Every message, to the customer or to the desk, goes through the durable outbox.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import quote

from babel.dates import format_datetime, format_timedelta
from parley.core.handoff import card, cases
from parley.core.handoff.cases import Case
from parley.core.handoff.events import (
    KIND,
    AgentSaid,
    Canned,
    Claimed,
    Ended,
    HandoffEvent,
    Notice,
    Start,
    notice,
)
from parley.core.handoff.hours import BusinessHours
from parley.core.handoff.notes import add_note, is_note
from parley.core.handoff.sla import Later, Reminders
from parley.core.http.metrics import Metrics
from parley.core.kernel.control import Proactive
from parley.core.kernel.facts import Fact, Metric
from parley.core.kernel.messages import Address, Button, HandoffMark
from parley.core.kernel.pipeline import Handler
from parley.core.kernel.turn import Turn
from parley.core.linking.channels import linked
from parley.core.schedule.sends import Scheduled
from parley.core.storage.store import KeyValueStore

log = logging.getLogger("parley.handoff")

# An LLM's summary of the conversation for the handoff card (LLMBrain.summarise).
Summarise = Callable[[list[dict]], Awaitable[str]]
FOLLOWUP = "/handoff-followup"
OPEN = ("queued", "active")


def babel_locale(code: str) -> str:
    return code.replace("-", "_")


class Desk:
    def __init__(
        self,
        kv: KeyValueStore,
        metrics: Metrics,
        hours: BusinessHours,
        desk: Address | None,
        proactive: Proactive,
        *,
        later: Later | None = None,
        summarise: Summarise | None = None,
        claim_timeout: float = 15 * 60.0,
        typical_wait: int = 5,
        show_agent_name: bool = True,
        transcripts: str = "",
        reminders: Reminders | None = None,
    ) -> None:
        self.kv = kv
        self.metrics = metrics
        self.hours = hours
        self.desk = desk
        self.proactive = proactive  # desk events reach the customer's conversation through it
        self.later = later  # None without a scheduler: no timeout notices, no follow-ups
        self.summarise = summarise  # None without an LLM: the card shows the last messages
        self.claim_timeout = claim_timeout
        self.typical_wait = typical_wait
        self.show_agent_name = show_agent_name
        # The console's transcript pages ("https://bot.example.com/console/conversations/"): each
        # card links to its conversation there. Empty: no console, or no public URL to link to.
        self.transcripts = transcripts
        self.reminders = reminders  # SLA reminders while a case waits (None: the timeout alone)

    async def start(self, conversation: str) -> bool:
        """Hand a conversation to the desk as if the customer had asked (the admin API); False
        when the conversation is busy."""
        channel, chat, thread = conversation.split(":")
        address = Address(channel=channel, chat=chat, user=chat, thread=thread)
        return await self.proactive.proactive(address, None, f"ho:admin:{uuid.uuid4().hex}", Start()) is not None

    async def __call__(self, turn: Turn, call_next: Handler) -> None:
        inbound = turn.inbound
        if inbound is not None and inbound.meta.get("desk_ref", "").startswith("handoff:"):
            return await self._from_desk(turn, inbound.meta["desk_ref"])
        event = turn.control
        if isinstance(event, Scheduled) and event.kind == KIND:
            event = notice(event.booked)
            if event is None:
                return None  # a notice this version does not know: nothing to say
        if isinstance(event, Start):
            if (turn.state.get("handoff") or {}).get("status") not in OPEN:
                turn.system("handoff_started")
                await self.open(turn, "admin")
            return None
        if isinstance(event, Notice) and event.event == "remind":
            return await self.reminders.remind(turn, event) if self.reminders else None
        if isinstance(event, HandoffEvent):
            return self._apply(turn, event)
        handoff = turn.state.get("handoff") or {}
        if inbound is not None and inbound.kind == "button" and inbound.payload == FOLLOWUP:
            return await self._book_followup(turn, handoff)
        if inbound is not None and handoff.get("status") in OPEN:
            return await self._relay_to_desk(turn, handoff)
        if inbound is not None and await self._open_elsewhere(turn):
            return await self._relay_to_desk(turn, {"case": turn.profile["open_case"]})
        if inbound is not None and turn.state.get("csat") and await self._csat(turn):
            return None
        await call_next(turn)
        if (turn.state.get("handoff") or {}).get("status") == "requested":
            await self.open(turn, turn.state["handoff"].get("reason", "asked"))

    # -- customer side -----------------------------------------------------------------------
    async def open(self, turn: Turn, reason: str) -> Case | None:
        if self.desk is None:
            # No desk configured: say so honestly and keep helping, rather than promise a person
            # and then swallow every message (PARLEY_SLACK__DESK_CHANNEL enables handoff).
            turn.state["handoff"] = {"status": "unstaffed", "at": turn.now.isoformat(), "reason": reason}
            turn.replies[:] = [r for r in turn.replies if r.text != turn.pack.t("handoff_started")]
            turn.system("handoff_unavailable")
            turn.tags["handoff"] = "unstaffed"
            return None
        case = Case.opening("handoff", turn, reason)
        link = self.transcripts + quote(turn.address.conversation, safe="") if self.transcripts else ""
        summary = await self._summary(turn.state.get("history", []))
        card.describe(case, turn, summary, link, self.hours_note(turn.now))
        await cases.save(self.kv, case)
        turn.state["handoff"] = {"status": "queued", "case": case.id, "at": turn.now.isoformat(), "reason": reason}
        if linked(turn.profile):  # the case follows the person to their other channels
            turn.profile["open_case"] = case.id
        self.metrics.handoffs.labels(turn.address.channel, reason).inc()
        turn.facts.append(Fact(Metric.HANDOFFS))
        turn.tags["handoff"] = "opened"
        turn.forward(self.desk, card.handoff_card(case))
        if self.reminders is not None:
            await self.reminders.first(turn, case)
        if self.hours.is_open(turn.now):
            turn.system("handoff_wait", wait=self._wait(turn))
            _mark(turn, HandoffMark(status="wait"))  # a phone call is put through to a person now (docs/voice.md)
            if self.later is not None:  # no claim within the timeout: tell them, offer a follow-up
                timeout = Notice("timeout", case.id).booking()
                await self.later(
                    turn.address, turn.now.timestamp() + self.claim_timeout, KIND, timeout, int(case.opened)
                )
        else:
            opens = self.hours.next_open(turn.now)
            buttons = (Button(title=turn.pack.t("followup_button"), payload=FOLLOWUP),) if self.later else ()
            turn.system("handoff_closed", opens=self._when(opens, turn), buttons=buttons)
            _mark(turn, HandoffMark(status="closed", when=self._when(opens, turn)))
        return case

    def hours_note(self, now: datetime) -> str:
        """The desk's hours for the card (in English, like the rest of the desk)."""
        if self.hours.is_open(now):
            return "open now"
        opens = self.hours.next_open(now)
        return f"closed until {format_datetime(opens, 'EEE HH:mm', tzinfo=opens.tzinfo, locale='en')} ({opens.tzinfo})"

    def _wait(self, turn: Turn) -> str:
        return format_timedelta(timedelta(minutes=self.typical_wait), locale=babel_locale(turn.pack.code))

    def _when(self, moment, turn: Turn) -> str:
        return (
            f"{format_datetime(moment, 'EEEE HH:mm', tzinfo=moment.tzinfo, locale=babel_locale(turn.pack.code))}"
            f" ({moment.tzinfo})"
        )

    async def _book_followup(self, turn: Turn, handoff: dict) -> None:
        """The customer accepted a follow-up: at the next business morning the desk is reminded
        and the customer hears from us (a scheduled turn; booking twice books once)."""
        if self.later is None or handoff.get("status") != "queued":
            return
        when = self.hours.next_day_open(turn.now) if self.hours.is_open(turn.now) else self.hours.next_open(turn.now)
        followup = Notice("followup", handoff["case"]).booking()
        await self.later(turn.address, when.timestamp(), KIND, followup, int(when.timestamp()))
        turn.system("followup_booked", when=self._when(when, turn))

    async def _summary(self, history: list[dict]) -> str:
        if self.summarise is None:
            return ""
        try:
            async with asyncio.timeout(8):
                return (await self.summarise(history)).strip()
        except Exception:  # the card must go out anyway: the last messages will do
            log.warning("handoff summary failed; the card shows the last messages")
            return ""

    async def _relay_to_desk(self, turn: Turn, handoff: dict) -> None:
        turn.tags["handoff"] = "relay"
        if self.desk is None:
            return
        case = await cases.load(self.kv, f"handoff:{handoff['case']}")
        if case is not None:
            text = turn.inbound.text or turn.inbound.meta.get("title", "") or "(attachment)"
            where = "" if case.customer.channel == turn.address.channel else f" (on {turn.address.channel})"
            turn.forward(self.desk, cases.in_thread(case.ref, f"Customer{where}: {text}"))

    async def _open_elsewhere(self, turn: Turn) -> bool:
        """A linked customer writes on another channel while their case is open: it goes to the
        same case (the agent's answer comes back on the channel they wrote on last)."""
        ref = turn.profile.get("open_case")
        if not ref or not linked(turn.profile):
            return False
        case = await cases.load(self.kv, f"handoff:{ref}")
        if case is None or case.status == "ended":
            turn.profile.pop("open_case", None)
            return False
        return True

    async def _csat(self, turn: Turn) -> bool:
        """A 1-5 answer to the CSAT question (a button, or the number typed)."""
        inbound = turn.inbound
        raw = inbound.payload.removeprefix("csat:") if inbound.kind == "button" else inbound.text.strip()
        if not (raw.isdigit() and 1 <= int(raw) <= 5):
            turn.state.pop("csat", None)  # they moved on: don't ask again
            return False
        score = int(raw)
        self.metrics.csat.observe(score)
        turn.facts.append(Fact(Metric.CSAT, score))
        turn.state.setdefault("csat_scores", []).append({"case": turn.state["csat"]["case"], "score": score})
        case = await cases.load(self.kv, f"handoff:{turn.state['csat']['case']}")
        if case is not None:  # the card shows it too
            case.csat = score
            await cases.save(self.kv, case)
            self._redraw(turn, case)
        turn.state.pop("csat")
        turn.system("csat_thanks")
        turn.tags["csat"] = str(score)
        return True

    def _apply(self, turn: Turn, event: HandoffEvent) -> None:
        """A desk event, applied to the customer's conversation under its lock."""
        handoff = turn.state.setdefault("handoff", {})
        # Waits are counted in the customer's conversation (its channel, locale, persona), not the desk's.
        if isinstance(event, Claimed) and event.waited is not None:
            turn.facts.append(Fact(Metric.CLAIM_SECONDS, event.waited))
        if isinstance(event, AgentSaid):
            if event.claim_waited is not None:
                turn.facts.append(Fact(Metric.CLAIM_SECONDS, event.claim_waited))
            if event.waited is not None:
                turn.facts.append(Fact(Metric.FIRST_REPLY_SECONDS, event.waited))
        if isinstance(event, Claimed):
            handoff.update(status="active", agent=event.agent)
            turn.system("agent_joined", agent=event.agent or turn.pack.t("human_button"))
        elif isinstance(event, Canned):  # the saved reply in the customer's own language
            handoff.update(status="active", agent=event.agent)
            text = turn.persona.canned_text(event.name, turn.pack)
            if text:
                turn.say(f"{self._signature(event, turn)}: {text}", kind="agent")
                if self.desk is not None:
                    sent = f"{event.agent} sent the saved reply “{event.name}” ({turn.pack.code}): {text}"
                    turn.forward(self.desk, cases.in_thread(event.case, sent))
        elif isinstance(event, AgentSaid):
            handoff.update(status="active", agent=event.agent)
            turn.say(f"{self._signature(event, turn)}: {event.text}", kind="agent")
        elif isinstance(event, Notice) and handoff.get("status") == "queued":
            if handoff.get("case") != event.case:
                return  # an older case's notice: this one is newer
            if event.event == "timeout":
                when = self.hours.next_day_open(turn.now)
                button = Button(title=turn.pack.t("followup_button"), payload=FOLLOWUP)
                turn.system("handoff_timeout", when=self._when(when, turn), buttons=(button,))
            else:
                turn.system("handoff_wait", wait=self._wait(turn))
                _mark(turn, HandoffMark(status="wait"))  # the booked follow-up: a caller is rung and put through
                if self.desk is not None:
                    reminder = "Reminder: the customer is still waiting (follow-up)."
                    turn.forward(self.desk, cases.in_thread(f"handoff:{event.case}", reminder))
        elif isinstance(event, Ended):
            handoff["status"] = "ended"
            if turn.profile.get("open_case") == event.case:
                del turn.profile["open_case"]
            turn.system("handoff_ended", name=turn.persona.name)
            buttons = tuple(Button(title=str(n), payload=f"csat:{n}") for n in range(1, 6))
            turn.system("csat_question", buttons=buttons)
            turn.state["csat"] = {"case": event.case, "asked": turn.now.isoformat()}

    def _signature(self, event: AgentSaid, turn: Turn) -> str:
        return event.agent if self.show_agent_name and event.agent else turn.persona.name

    # -- desk side ---------------------------------------------------------------------------
    async def _from_desk(self, turn: Turn, ref: str) -> None:
        inbound = turn.inbound
        turn.tags["desk"] = ref
        case = await cases.load(self.kv, ref)
        if case is None or case.status == "ended":
            turn.system("handoff_relay_closed")
            return
        agent = inbound.user_name or inbound.address.user
        now = turn.now.timestamp()
        if inbound.kind == "button":
            action, _, name = inbound.payload.removeprefix(f"{ref}:").partition(":")
            if action == "canned":  # the card's saved-reply menu
                problem = await self.canned(turn, case, name)
                if problem:
                    turn.say(problem, kind="system")
            elif action == "claim":
                if not await self._claim(case, inbound.address.user, agent, now):
                    turn.say(f"Already claimed by {case.holder}.", kind="system")
                    return
                turn.say(f"Claimed by {agent}. Reply in this thread to answer.", kind="system")
                self._redraw(turn, case)
                await self._tell(case, Claimed(agent, now - case.opened), f"{ref}:claimed")
            elif action in ("resolve", "return"):
                case.status = "ended"
                case.outcome, case.closed_by = ("resolved" if action == "resolve" else "returned"), agent
                await cases.save(self.kv, case)
                self._redraw(turn, case)
                turn.say(f"{'Resolved' if action == 'resolve' else 'Returned to the bot'} by {agent}.", kind="system")
                await self._tell(case, Ended(case.id), f"{ref}:ended")
            return
        if not inbound.text.strip():
            return
        if inbound.meta.get("desk_note") or is_note(inbound.text):  # for the team only
            await add_note(self.kv, turn, case, agent, inbound.text, typed_here=not inbound.meta.get("desk_note"))
            return self._redraw(turn, case)
        waited, claim_waited = await self._answering(turn, case)
        await self._tell(case, AgentSaid(agent, inbound.text, waited, claim_waited), f"{ref}:m:{inbound.event_id}")

    async def canned(self, turn: Turn, case: Case, name: str) -> str:
        """Send the saved reply ``name`` to the case's customer as the rep of ``turn`` (the card's
        menu, /parley reply): it counts as their answer. What to tell the rep when it cannot go."""
        saved = dict((n, t) for n, t in case.canned)
        if case.kind != "handoff" or case.status == "ended" or case.outcome:
            return f"No open case {case.id}."
        if name not in saved:
            return f"No saved reply “{name}”. Saved replies: {', '.join(saved) or 'none'}."
        assert turn.inbound is not None
        agent = turn.inbound.user_name or turn.inbound.address.user
        waited, claim_waited = await self._answering(turn, case)
        event = Canned(agent, "", waited, claim_waited, name=name, case=case.ref)
        await self._tell(case, event, f"{case.ref}:c:{turn.inbound.event_id}")
        return ""

    async def _answering(self, turn: Turn, case: Case) -> tuple[float | None, float | None]:
        """A rep answers: the case becomes theirs if nobody held it, and the first answer's wait
        is measured. Returns (first-reply wait, claim wait) in seconds, None where not the first."""
        assert turn.inbound is not None
        now = turn.now.timestamp()
        agent = turn.inbound.user_name or turn.inbound.address.user
        claim_waited = None
        if not case.agent and await self._claim(case, turn.inbound.address.user, agent, now):
            claim_waited = now - case.opened  # claimed by answering
            self._redraw(turn, case)
        waited = None
        if not case.first_reply:
            case.first_reply = now
            waited = now - case.opened
            self.metrics.time_to_human.observe(waited / 60)
            await cases.save(self.kv, case)
        return waited, claim_waited

    async def _claim(self, case: Case, user: str, name: str, now: float) -> bool:
        if not case.claim(user, name, now):
            return False
        self.metrics.time_to_claim.observe((now - case.opened) / 60)
        await cases.save(self.kv, case)
        return True

    def _redraw(self, turn: Turn, case: Case) -> None:
        if self.desk is not None:
            turn.forward(self.desk, card.redraw(case))

    async def _tell(self, case: Case, event: HandoffEvent, send_id: str) -> None:
        await self.proactive.proactive(case.customer, None, send_id, event)


def _mark(turn: Turn, mark: HandoffMark) -> None:
    """Tag the reply that tells the customer how the handoff goes, for channels that act on it
    rather than just say it (a call is transferred or offered a call back:
    parley.channels.twilio.voice)."""
    last = turn.replies[-1]
    turn.replies[-1] = last.model_copy(update={"handoff": mark})
