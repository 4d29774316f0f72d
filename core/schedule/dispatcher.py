"""The dispatcher: claims due sends and runs each as a proactive turn (Engine.proactive), so it
goes through the same pipeline and durable outbox as a reply.

Exactly-once as the recipient sees it: claiming is at-least-once (a lease that expires is claimed
again), and the turn records the send id in the conversation's state in the same commit that
queues the outbox item (whose id is the send id), so a re-run finds it done and sends nothing.
The re-checks that need the conversation lock (consent, replies, caps, quiet hours, channel
rules) live in parley.core.schedule.gate, inside that turn.
"""

from __future__ import annotations

import asyncio
import json
import logging

from parley.core.http.metrics import Metrics
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.clock import Clock, system_clock
from parley.core.kernel.control import Proactive
from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.outage import Outage
from parley.core.kernel.wakeup import Wakeup
from parley.core.linking import best
from parley.core.schedule.campaigns import CampaignSpec, render
from parley.core.schedule.sends import Defer, Lost, Scheduled, Skip
from parley.core.schedule.store import CampaignRecord, Claimed, ScheduleStore, campaign_of, kind_of, person_of_send
from parley.core.storage.store import Store, StoreUnavailable

log = logging.getLogger("parley.scheduler")

BUSY_RETRY = 2.0  # the conversation is mid-turn: try again shortly
PAUSED_RETRY = 30.0  # a paused campaign's sends wait; resume wakes the dispatcher
ERROR_RETRY = 30.0
Ack = tuple[str, int, str]
KINDS = ("campaign", "followup", "reminder", "handoff")


class Dispatcher:
    def __init__(
        self,
        sched: ScheduleStore,
        engine: Proactive,
        catalog: LocaleCatalog,
        clock: Clock = system_clock,
        *,
        lease: float = 60.0,
        batch: int = 100,
        idle_poll: float = 0.5,
        metrics: Metrics | None = None,
        people: Store | None = None,
    ) -> None:
        self.sched = sched
        # Who is who (core/linking): a campaign send goes to the person's best channel. None: the
        # identity the send was planned for.
        self.people = people
        self.engine = engine
        self.catalog = catalog
        self.clock = clock
        self.lease = lease
        self.batch = batch
        self.idle_poll = idle_poll
        self.metrics = metrics
        self._wake = Wakeup()
        self._campaigns: dict[str, tuple[float, CampaignRecord | None]] = {}
        self.dispatched = 0
        self._pumping = 0
        self.outage = Outage(log, "dispatcher")

    @property
    def busy(self) -> bool:
        """True while a pump claims or runs sends: a claimed send is invisible in the stores
        until its turn commits, so whoever waits for quiet (the test kit) asks here."""
        return self._pumping > 0

    def wake(self) -> None:
        self._campaigns.clear()  # a status changed: read it again
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                claimed = await self.pump()
                self.outage.ok()
            except StoreUnavailable as exc:  # one line per outage, not one per second
                self.outage.failed(exc)
                await asyncio.sleep(1.0)
                claimed = 0
            except Exception:  # a bug: never let the loop die
                log.exception("dispatcher step failed")
                await asyncio.sleep(1.0)
                claimed = 0
            if not claimed:
                await self._wake.wait(self.idle_poll)

    async def pump(self) -> int:
        self._pumping += 1
        try:
            claimed = await self.sched.claim(self.batch, self.lease)
            if claimed:
                now = self.clock()
                acks = await asyncio.gather(*(self.dispatch(c) for c in claimed))
                done = [a for a in acks if a is not None]
                await self.sched.ack_many(done)  # one round trip for the batch
                self.dispatched += sum(outcome == "sent" for _, _, outcome in done)
                if self.metrics is not None:
                    self._count(claimed, done, now)
            return len(claimed)
        finally:
            self._pumping -= 1

    def _count(self, claimed: list[Claimed], done: list[Ack], now: float) -> None:
        assert self.metrics is not None
        for send in claimed:
            self.metrics.schedule_lag.observe(max(0.0, now - send.due))
        for send_id, _, outcome in done:
            kind = kind_of(send_id)
            kind = kind if kind in KINDS else "other"  # bounded label values
            self.metrics.schedule_dispatched.labels(kind, outcome.split(":", 1)[0]).inc()

    async def dispatch(self, send: Claimed) -> Ack | None:
        """Run one send; the ack to record, or None when it was rescheduled (or is not ours)."""
        try:
            return await self._dispatch(send)
        except StoreUnavailable:
            log.warning("send %s: store unavailable; its lease will expire and it runs again", send.id)
        except Exception:
            log.exception("send failed; retrying later", extra={"send": send.id})
            await self.sched.reschedule(send.id, send.token, self.clock() + ERROR_RETRY)
        return None

    async def _dispatch(self, send: Claimed) -> Ack | None:
        planned = await self._plan(send)
        if isinstance(planned, str):
            if planned != "paused":
                return send.id, send.token, planned
            await self.sched.reschedule(send.id, send.token, self.clock() + PAUSED_RETRY)
            return None
        address, reply, scheduled = planned
        try:
            turn = await self.engine.proactive(address, reply, send.id, scheduled)
        except Defer as deferred:
            await self.sched.reschedule(send.id, send.token, deferred.until)
            return None
        except Skip as skipped:
            return send.id, send.token, f"skipped:{skipped.reason}"
        except Lost:  # cancelled or re-leased meanwhile: not ours to ack
            return None
        if turn is None:
            await self.sched.reschedule(send.id, send.token, self.clock() + BUSY_RETRY)
            return None
        return send.id, send.token, "sent"

    async def _plan(self, send: Claimed) -> tuple[Address, Reply, Scheduled] | str:
        """The address, message and typed send of a claim, or the outcome that ends it before
        any turn."""
        campaign = campaign_of(send.id)
        if not campaign:
            data = json.loads(send.data)
            kind = data.get("kind", "followup")
            scheduled = Scheduled(
                send.id,
                send.token,
                send.due,
                kind,
                anchor=float(data.get("anchor", 0)),
                tz=data.get("tz", ""),
                booked=data.get("meta", {}),  # e.g. the handoff desk's notice and case
            )
            # The WhatsApp template kind outside the 24-hour window (channels/twilio/whatsapp.py).
            meta = {"template": "follow_up" if kind == "followup" else kind}
            return Address(**data["address"]), Reply(text=data["text"], kind="proactive", meta=meta), scheduled
        record = await self._campaign(campaign)
        if record is None or record.status == "cancelled":
            return "skipped:cancelled"
        if record.status != "running":
            return "paused"
        spec = CampaignSpec.model_validate(record.spec)
        if self.people is None:
            entry = await self.sched.person(person_of_send(send.id))
        else:
            choice = await best.choose_for(
                self.people, self.sched, spec, person_of_send(send.id), self.clock(), self.catalog
            )
            if choice is not None and choice.why is not best.Why.ONLY:
                await best.record(self.people, send.id, choice)  # the send listing shows it
                if choice.entry is None:
                    return f"skipped:{choice.skipped}"
            entry = choice.entry if choice is not None else None
        if entry is None:
            return "skipped:unknown_person"  # erased since planning
        scheduled = Scheduled(
            send.id,
            send.token,
            send.due,
            spec.kind,
            tz=entry.tz or spec.timezone,
            cap=spec.frequency.max,
            cap_days=spec.frequency.per_days,
            attribution_hours=spec.attribution_hours,
            campaign=campaign,
        )
        return entry.address, render(spec, entry, self.catalog), scheduled

    async def _campaign(self, campaign: str) -> CampaignRecord | None:
        # Cached for a second: a campaign's record is read once per batch, not once per send.
        now = self.clock()
        hit = self._campaigns.get(campaign)
        if hit is None or hit[0] < now - 1.0:
            hit = (now, await self.sched.campaign(campaign))
            self._campaigns[campaign] = hit
        return hit[1]
