"""The send-time re-checks (docs/campaigns.md), as a middleware: it runs inside the proactive turn, so
under the conversation's lock with the profile loaded after the lock.

It tells the dispatcher what happened through ``turn.tags["schedule"]``: "sent", "skipped:why",
"defer:<epoch>" (quiet hours: reschedule to the next allowed moment, never drop) or "lost".
"""

from __future__ import annotations

import json

from parley.core.kernel.pipeline import Handler, Middleware
from parley.core.kernel.turn import Turn
from parley.core.schedule.store import ScheduleStore, campaign_of, kind_of
from parley.core.schedule.timing import TimingError, hhmm, next_allowed, zone
from parley.core.storage.store import KeyValueStore

LEDGER = 200  # send ids remembered per conversation: re-runs after a crash find theirs here
DAY = 86400.0


def gate(sched: ScheduleStore, kv: KeyValueStore, default_tz: str = "UTC") -> Middleware:
    async def mw(turn: Turn, call_next: Handler) -> None:
        reply = turn.proactive
        if reply is None or "send_id" not in reply.meta:
            return await call_next(turn)
        send_id = reply.meta["send_id"]
        ledger = turn.state.setdefault("proactive_sent", [])
        if send_id in ledger:
            turn.tags["schedule"] = "sent"  # committed before a crash: ack, never send twice
            return
        if not await sched.holds(send_id, int(reply.meta["token"])):
            turn.tags["schedule"] = "lost"  # cancelled (or re-leased) since the claim
            return
        verdict = await check(turn, kv, default_tz)
        turn.tags["schedule"] = verdict
        if verdict != "sent":
            return
        await call_next(turn)
        ledger.append(send_id)
        del ledger[:-LEDGER]
        now = turn.now.timestamp()
        if reply.meta.get("kind") == "marketing":
            turn.profile.setdefault("marketing_sent", []).append(now)
        if campaign_of(send_id):
            hours = float(reply.meta.get("attribution_hours", "0"))
            turn.profile["last_campaign"] = {"id": campaign_of(send_id), "at": now, "until": now + hours * 3600}

    return mw


async def check(turn: Turn, kv: KeyValueStore, default_tz: str) -> str:
    reply = turn.proactive
    assert reply is not None
    meta, profile, now = reply.meta, turn.profile, turn.now.timestamp()
    kind = meta.get("kind") or kind_of(meta["send_id"])
    consent = dict(profile.get("consent") or {})
    record = await kv.get(f"consent:{turn.address.person}")  # SMS keywords (channels/twilio/consent.py)
    if record:
        consent["marketing"] = json.loads(record).get("status") == "opted_in"
    if consent.get("marketing") is False:
        return "skipped:opted_out"  # any channel's STOP: nothing proactive reaches them
    if kind == "marketing" and consent.get("marketing") is not True:
        return "skipped:no_consent"
    if await kv.get(f"unreachable:{turn.address.person}"):
        return "skipped:unreachable"  # blocked the bot (a 403 recorded by the outbox)
    if turn.address.channel == "telegram" and not profile.get("last_inbound"):
        return "skipped:never_wrote"  # a Telegram bot cannot start a chat
    if kind == "followup" and profile.get("last_inbound", 0) > float(meta.get("anchor", "0")):
        return "skipped:replied"  # the person wrote after the follow-up was planned
    if kind == "marketing":
        days = float(meta.get("cap_days", "7"))
        recent = [t for t in profile.get("marketing_sent", []) if t > now - days * DAY]
        profile["marketing_sent"] = recent
        if len(recent) >= int(meta.get("cap", "1")):
            return "skipped:frequency_cap"
    # A reminder the person asked for goes at the time they asked; a handoff notice answers a
    # person who is waiting right now.
    if kind not in ("reminder", "handoff"):
        head = turn.pack.head
        try:
            tz = zone(meta.get("tz") or profile.get("tz") or default_tz)
        except TimingError:
            tz = zone(default_tz)
        quiet = (hhmm(head.quiet_hours[0]), hhmm(head.quiet_hours[1]))
        # Weekends are the campaign window's business (its days, per locale), decided at planning.
        allowed = next_allowed(now, tz, quiet)
        if allowed > now + 1:
            return f"defer:{allowed}"
    return "sent"
