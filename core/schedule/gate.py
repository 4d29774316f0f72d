"""The send-time re-checks (docs/campaigns.md), as a middleware: it runs inside the proactive
turn, so under the conversation's lock with the profile loaded after the lock.

A send that must not go now ends the turn with a typed exception (parley.core.schedule.sends):
``Skip(reason)`` (opted out, replied since, capped...), ``Defer(until)`` (quiet hours:
reschedule to the next allowed moment, never drop) or ``Lost`` (cancelled or re-leased since
the claim). A turn that returns was sent (or had been, before a crash: the ledger says so).
"""

from __future__ import annotations

import json

from parley.core.kernel.pipeline import Handler, Middleware
from parley.core.kernel.turn import Turn
from parley.core.linking.channels import consent_of, seen_on
from parley.core.schedule.sends import Defer, Lost, Scheduled, Skip
from parley.core.schedule.store import ScheduleStore
from parley.core.schedule.timing import TimingError, hhmm, next_allowed, zone
from parley.core.storage.store import KeyValueStore

LEDGER = 200  # send ids remembered per conversation: re-runs after a crash find theirs here
DAY = 86400.0


def gate(sched: ScheduleStore, kv: KeyValueStore, default_tz: str = "UTC") -> Middleware:
    async def mw(turn: Turn, call_next: Handler) -> None:
        send = turn.control
        if not isinstance(send, Scheduled):
            return await call_next(turn)
        ledger = turn.state.setdefault("proactive_sent", [])
        if send.send_id in ledger:
            return  # committed before a crash: settle it as sent, never send twice
        if not await sched.holds(send.send_id, send.token):
            raise Lost(send.send_id)
        await check(turn, send, kv, default_tz)
        await call_next(turn)
        ledger.append(send.send_id)
        del ledger[:-LEDGER]
        now = turn.now.timestamp()
        if send.kind == "marketing":
            turn.profile.setdefault("marketing_sent", []).append(now)
        if send.campaign:
            until = now + send.attribution_hours * 3600
            turn.profile["last_campaign"] = {"id": send.campaign, "at": now, "until": until}

    return mw


async def check(turn: Turn, send: Scheduled, kv: KeyValueStore, default_tz: str) -> None:
    """Raise Skip or Defer when ``send`` must not go now; return when it may."""
    profile, now = turn.profile, turn.now.timestamp()
    consent = consent_of(profile, turn.address.person)  # this channel's: SMS consent is not WhatsApp's
    record = await kv.get(f"consent:{turn.address.person}")  # SMS keywords (channels/twilio/consent.py)
    if record:
        consent["marketing"] = json.loads(record).get("status") == "opted_in"
    if consent.get("marketing") is False:
        raise Skip("opted_out")  # a STOP on this channel: nothing proactive reaches them here
    if send.kind == "marketing" and consent.get("marketing") is not True:
        raise Skip("no_consent")
    if await kv.get(f"unreachable:{turn.address.person}"):
        raise Skip("unreachable")  # blocked the bot (a 403 recorded by the outbox)
    if turn.address.channel == "telegram" and not seen_on(profile, turn.address.person):
        raise Skip("never_wrote")  # a Telegram bot cannot start a chat
    if send.kind == "followup" and profile.get("last_inbound", 0) > send.anchor:
        raise Skip("replied")  # the person wrote after the follow-up was planned
    if send.kind == "marketing":
        recent = [t for t in profile.get("marketing_sent", []) if t > now - send.cap_days * DAY]
        if len(recent) >= send.cap:
            raise Skip("frequency_cap")
        profile["marketing_sent"] = recent
    # A reminder the person asked for goes at the time they asked; a handoff notice answers a
    # person who is waiting right now.
    if send.kind not in ("reminder", "handoff"):
        head = turn.pack.head
        try:
            tz = zone(send.tz or profile.get("tz") or default_tz)
        except TimingError:
            tz = zone(default_tz)
        quiet = (hhmm(head.quiet_hours[0]), hhmm(head.quiet_hours[1]))
        # Weekends are the campaign window's business (its days, per locale), decided at planning.
        allowed = next_allowed(now, tz, quiet)
        if allowed > now + 1:
            raise Defer(allowed)
